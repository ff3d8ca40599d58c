"""Rotating the platform's keys keeps every earlier record and bundle verifiable."""

from __future__ import annotations

import pytest

from server import db
from server.composition import make_services
from server.domain.principal import SYSTEM
from server.errors import InvalidInput
from server.evidence.records import Claim, body_hash, make_body
from server.evidence.verify import render, verify_bundle
from tests.api.helpers import open_case
from tests.conftest import World


async def test_after_rotating_the_log_and_platform_keys_old_and_new_evidence_verify(world: World) -> None:
    settings = world.services.settings
    liu = await world.staff("liu")
    case = await open_case(liu, "ROT-1", parties=1)
    before = settings.data_dir / "before.zip"
    before.write_bytes((await world.services.evidence.export(SYSTEM, case["id"])).data)
    assert verify_bundle(before).ok

    ring = world.services.ledger.keyring
    old_platform = ring.signer("platform")
    old_log_vkey = ring.vkey()
    ring.rotate("platform")
    ring.rotate("log")

    # A restart picks up the new keys (the running app keeps the keys it started with).
    engine = db.make_engine(settings.resolved_database_url)
    try:
        restarted = make_services(settings, engine)
        await restarted.ledger.publish_platform_keys()
        assert restarted.ledger.keyring.vkey() != old_log_vkey
        async with restarted.ledger._maker() as session, session.begin():
            await restarted.ledger.append_platform(
                session,
                type="identity_checked",
                case=case["id"],
                actor={"kind": "platform", "id": "platform"},
                data={"after": "rotation"},
            )
        # The retired platform key signs nothing new.
        body = make_body({"late": True})
        late = Claim(ring.origin, "identity_checked", case["id"], {"kind": "platform", "id": "platform"}, body_hash(body))
        with pytest.raises(InvalidInput, match="not valid at this time"):
            async with restarted.ledger._maker() as session, session.begin():
                await restarted.ledger.append(session, late, [old_platform.sign(late.statement)], body)
        after = settings.data_dir / "after.zip"
        after.write_bytes((await restarted.evidence.export(SYSTEM, case["id"])).data)
        report = verify_bundle(after)
        assert report.ok, render(report, "en")
        # Every key ever used is still published, with its period of validity.
        published = restarted.ledger.keyring.public_document()
        platform_keys = [k for k in published["keys"] if k["purpose"] == "platform"]
        assert len(platform_keys) == 2 and sum(k["valid_until"] is None for k in platform_keys) == 1
        assert len(published["log"]["all_vkeys"]) == 2
    finally:
        await engine.dispose()
    # The bundle made before the rotation is untouched and still verifies, pinned to the old log key.
    assert verify_bundle(before, trusted_log_keys=[old_log_vkey]).ok
