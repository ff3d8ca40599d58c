"""Records as FORMAT.md defines them: canonical, chained, signed."""

from __future__ import annotations

import pytest

from server.evidence.records import (
    Claim,
    DeviceKey,
    Ed25519Signer,
    KeyInfo,
    Record,
    RecordError,
    SignatureError,
    body_hash,
    canonical,
    entry_hash,
    make_body,
)
from server.evidence.signatures import verify_signature


def claim(**changes: object) -> Claim:
    body = make_body({"name": "张三", "phone": "13800000001"})
    values: dict[str, object] = {
        "log": "mediate.test/log",
        "type": "consent",
        "case": "case-1",
        "actor": {"kind": "party", "id": "p1", "role": "applicant"},
        "body_hash": body_hash(body),
    }
    values.update(changes)
    return Claim(**values)  # type: ignore[arg-type]


def test_canonical_json_is_rfc8785() -> None:
    assert canonical({"b": 1, "a": [True, None, "中"], "c": 1.0}) == '{"a":[true,null,"中"],"b":1,"c":1}'.encode()


def test_a_record_round_trips_through_its_entry_bytes() -> None:
    c = claim(public={"é": ["z", 1.5, None], "a\u20ac": {"y": True}})
    platform = Ed25519Signer.generate("platform")
    record = Record(c, 1, None, [platform.sign(c.statement)])
    assert record.entry == canonical(record.to_json()), "the spliced entry is exactly the JCS form"
    again = Record.from_entry(record.entry)
    assert again.entry == record.entry and again.claim.statement == c.statement
    second = Record(claim(), 2, entry_hash(record.entry), [])
    assert Record.from_entry(second.entry).prev == entry_hash(record.entry)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda e: e.replace(b'"seq":1', b'"seq":0'),
        lambda e: e[: -len(b'"v":1}')] + b'"v":2}',
        lambda e: e + b" ",
        lambda e: e.replace(b'"type":"consent"', b'"type":"bribe"'),
        lambda e: e.replace(b'"prev":null', b'"prev":"00"'),
        lambda e: b"[" + e + b"]",
    ],
)
def test_malformed_entries_are_rejected(mangle: object) -> None:
    record = Record(claim(), 1, None, [])
    with pytest.raises(RecordError):
        Record.from_entry(mangle(record.entry))  # type: ignore[operator]


def test_ed25519_and_device_signatures_verify_and_tampering_does_not() -> None:
    c = claim()
    for signer in (Ed25519Signer.generate("platform"), DeviceKey.generate({"kind": "party", "id": "p1"})):
        sig = signer.sign(c.statement)
        verify_signature(sig, signer.info, c.statement)
        with pytest.raises(SignatureError):
            verify_signature(sig, signer.info, claim().statement)
        other = DeviceKey.generate({"kind": "party", "id": "p2"}).info
        with pytest.raises(SignatureError):
            verify_signature(sig, other, c.statement)


def test_a_key_whose_id_does_not_match_its_public_key_is_refused() -> None:
    real = DeviceKey.generate({"kind": "party", "id": "p1"}).info.to_json()
    substitute = DeviceKey.generate({"kind": "party", "id": "p1"}).info.to_json()
    real["spki"] = substitute["spki"]
    with pytest.raises(RecordError, match="substituted"):
        KeyInfo.from_json(real)


def test_body_hashes_are_salted() -> None:
    a, b = make_body({"name": "张三"}), make_body({"name": "张三"})
    assert body_hash(a) != body_hash(b)
    assert body_hash(a) == body_hash({"salt": a["salt"], "data": {"name": "张三"}})
