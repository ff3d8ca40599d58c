"""Several mediators per case (人民调解法 art. 19), the directory parties choose from (在线调解规则
art. 5), each mediator's signed disclosure (art. 13) and a party's request for another mediator
(art. 14): who may do each, who may not, and the records a bundle shows."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from server.domain.access import assigned_mediators
from server.domain.principal import SYSTEM
from server.evidence.records import DeviceKey, b64, unb64
from tests.api.helpers import book, next_weekday_at, open_case
from tests.api.test_referrals import bundle_types
from tests.conftest import PASSWORD, Actor, World


def reason(body: dict[str, Any]) -> str:
    return str(body["error"]["reason"])


def codes(body: dict[str, Any]) -> dict[str, str]:
    return {f["field"]: f["code"] for f in body["error"]["fields"]}


async def supervisor(world: World) -> Actor:
    await world.services.accounts.create_user(
        SYSTEM, username="sup_a", display_name="孟督导员", password=PASSWORD, role="supervisor", organisation_id=world.org_a.id
    )
    return await world.staff("sup_a")


async def party_of(world: World, mediator: Actor, case: dict[str, Any], days_ahead: int = 2) -> Actor:
    booked = await book(mediator, case["id"], next_weekday_at(10, days_ahead=days_ahead))
    party = await world.actor()
    await party.open_link(booked["links"][0]["url"])
    return party


async def assigned(world: World, case_id: str) -> list[str]:
    async with world.services.recordings.maker() as db:
        ids = await assigned_mediators(db, case_id)
    names = {v: k for k, v in world.ids.items()}
    return [names[i] for i in ids]


async def test_a_mediator_assigns_a_co_mediator_then_a_new_lead_and_the_bundle_shows_both(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    url = f"/api/v1/cases/{case['id']}/mediators"
    assert await assigned(world, case["id"]) == ["liu"]
    # The mediator who opened the case leads it; designating them formally is one record, once.
    other = await open_case(liu, "（2026）朝调字第13号")
    await liu.call(
        "POST", f"/api/v1/cases/{other['id']}/mediators", {"mediator_id": world.ids["liu"], "role": "lead"}, expect=201
    )
    await liu.call(
        "POST", f"/api/v1/cases/{other['id']}/mediators", {"mediator_id": world.ids["liu"], "role": "lead"}, expect=409
    )
    view = await liu.call("POST", url, {"mediator_id": world.ids["wang"], "role": "co"}, expect=201)
    assert [(m["display_name"], m["role"]) for m in view["mediators"]] == [("刘调解员", "lead"), ("王调解员", "co")]
    assert await assigned(world, case["id"]) == ["liu", "wang"]
    again = await liu.call("POST", url, {"mediator_id": world.ids["wang"], "role": "co"}, expect=409)
    assert (reason(again), again["error"]["name"]) == ("already_assigned", "王调解员")
    # Another organisation's mediator is no choice, and assigns nothing here.
    elsewhere = await liu.call("POST", url, {"mediator_id": world.ids["zhao"]}, expect=422)
    assert codes(elsewhere) == {"mediator_id": "mediator_of_org"}
    zhao = await world.staff("zhao")
    assert reason(await zhao.call("POST", url, {"mediator_id": world.ids["wang"]}, expect=403)) == "another_organisation"
    await zhao.call("GET", url, expect=403)
    # A supervisor reads who mediates, and assigns no one.
    sup = await supervisor(world)
    assert [m["display_name"] for m in (await sup.call("GET", url))["mediators"]] == ["刘调解员", "王调解员"]
    assert reason(await sup.call("POST", url, {"mediator_id": world.ids["wang"]}, expect=403)) == "supervisor_reads_only"
    # The co-mediator becomes the lead: the case's handling mediator is now 王调解员.
    lead = await liu.call("POST", url, {"mediator_id": world.ids["wang"], "role": "lead"}, expect=201)
    assert [(m["display_name"], m["role"]) for m in lead["mediators"]] == [("王调解员", "lead")]
    assert (await liu.call("GET", f"/api/v1/cases/{case['id']}"))["mediator"]["display_name"] == "王调解员"
    twice = await liu.call("POST", url, {"mediator_id": world.ids["wang"], "role": "lead"}, expect=409)
    assert reason(twice) == "already_assigned"
    bad = await liu.call("POST", url, {"mediator_id": world.ids["liu"], "role": "boss"}, expect=422)
    assert codes(bad) == {"role": "choice"}
    types = await bundle_types(world, liu, case["id"], "assigned.zip")
    assert types.count("mediator_assigned") == 2
    history = (await liu.call("GET", f"/api/v1/cases/{case['id']}/history"))["items"]
    assert [(e["data"]["mediator"], e["data"]["role"]) for e in history if e["kind"] == "mediator_assigned"] == [
        ("王调解员", "co"),
        ("王调解员", "lead"),
    ]


async def sign_disclosure(actor: Actor, case_id: str, key: DeviceKey, body: dict[str, Any], expect: int = 201) -> Any:
    prepared = await actor.call("POST", f"/api/v1/cases/{case_id}/disclosures", {"key_id": key.info.id, **body}, expect=expect)
    if expect != 201:
        return prepared
    return await actor.call(
        "POST",
        f"/api/v1/signatures/{prepared['challenge']}",
        {"signature": key.sign(unb64(prepared["statement"]))["sig"]},
        expect=201,
    )


async def own_key(actor: Actor, case_id: str) -> DeviceKey:
    key = DeviceKey.generate({"kind": "staff", "id": "ignored"})
    await actor.call("POST", "/api/v1/me/keys/device", {"spki": b64(key.info.spki)}, expect=201)
    binding = await actor.call("POST", f"/api/v1/cases/{case_id}/keys/{key.info.id}/bind", expect=201)
    await actor.call(
        "POST",
        f"/api/v1/signatures/{binding['challenge']}",
        {"signature": key.sign(unb64(binding["statement"]))["sig"]},
        expect=201,
    )
    return key


async def test_each_assigned_mediator_signs_a_disclosure_with_their_own_key(world: World) -> None:
    liu, wang = await world.staff("liu"), await world.staff("wang")
    case = await open_case(liu)
    url = f"/api/v1/cases/{case['id']}/mediators"
    await liu.call("POST", url, {"mediator_id": world.ids["wang"], "role": "co"}, expect=201)
    assert (await liu.call("GET", url))["awaiting_disclosure"] == [world.ids["liu"], world.ids["wang"]]
    key = await own_key(liu, case["id"])
    # A conflict is described, not merely ticked.
    refused = await sign_disclosure(liu, case["id"], key, {"conflict": True, "statement": "  "}, expect=422)
    assert codes(refused) == {"statement": "required"}
    await sign_disclosure(liu, case["id"], key, {"conflict": False})
    wang_key = await own_key(wang, case["id"])
    await sign_disclosure(wang, case["id"], wang_key, {"conflict": True, "statement": "申请人张三是本人表弟的同事"})
    view = await liu.call("GET", url)
    assert view["awaiting_disclosure"] == []
    assert [(m["display_name"], m["disclosure"]["conflict"], m["disclosure"]["statement"]) for m in view["mediators"]] == [
        ("刘调解员", False, ""),
        ("王调解员", True, "申请人张三是本人表弟的同事"),
    ]
    # An unbound key is refused before anything is prepared.
    loose = DeviceKey.generate({"kind": "staff", "id": "ignored"})
    await liu.call("POST", "/api/v1/me/keys/device", {"spki": b64(loose.info.spki)}, expect=201)
    assert reason(await sign_disclosure(liu, case["id"], loose, {"conflict": False}, expect=409)) == "key_not_bound"
    # Only an assigned mediator discloses: not a colleague of another case, another organisation or a supervisor.
    other = await open_case(wang, "（2026）朝调字第99号")
    assert reason(await sign_disclosure(liu, other["id"], key, {"conflict": False}, expect=403)) == "not_assigned"
    zhao = await world.staff("zhao")
    refused_zhao = await zhao.call(
        "POST", f"/api/v1/cases/{case['id']}/disclosures", {"key_id": key.info.id, "conflict": False}, expect=403
    )
    assert reason(refused_zhao) == "another_organisation"
    sup = await supervisor(world)
    refused_sup = await sup.call(
        "POST", f"/api/v1/cases/{case['id']}/disclosures", {"key_id": key.info.id, "conflict": False}, expect=403
    )
    assert reason(refused_sup) in ("supervisor_reads_only", "role_needed")
    types = await bundle_types(world, liu, case["id"], "disclosed.zip")
    assert types.count("disclosure_signed") == 2


async def test_a_party_asks_for_another_mediator_and_the_organisation_grants_or_refuses(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    party = await party_of(world, liu, case)
    mine = await party.call("GET", "/api/v1/party/mediators")
    assert [m["display_name"] for m in mine["mediators"]] == ["刘调解员"]
    assert [e["display_name"] for e in mine["directory"]] == sorted(["刘调解员", "王调解员"])
    ask = {"mediator_id": world.ids["liu"], "preferred_id": world.ids["wang"], "reason": "刘调解员是被申请人的邻居"}
    no_reason = await party.call("POST", "/api/v1/party/mediator-changes", {**ask, "reason": " "}, expect=422)
    assert codes(no_reason) == {"reason": "required"}
    asked = await party.call("POST", "/api/v1/party/mediator-changes", ask, expect=201)
    [request] = asked["requests"]
    assert (request["status"], request["mediator"]["display_name"], request["preferred"]["display_name"]) == (
        "pending",
        "刘调解员",
        "王调解员",
    )
    twice = await party.call("POST", "/api/v1/party/mediator-changes", ask, expect=409)
    assert reason(twice) == "change_request_pending"
    # Staff of the case decide; not another organisation's mediator, a supervisor or a party.
    decide = f"/api/v1/mediator-changes/{request['id']}/decision"
    zhao = await world.staff("zhao")
    assert reason(await zhao.call("POST", decide, {"grant": True}, expect=403)) == "another_organisation"
    sup = await supervisor(world)
    assert reason(await sup.call("POST", decide, {"grant": True}, expect=403)) == "supervisor_reads_only"
    assert reason(await party.call("POST", decide, {"grant": True}, expect=403)) == "staff_only"
    no_why = await liu.call("POST", decide, {"grant": False}, expect=422)
    assert codes(no_why) == {"reason": "required"}
    granted = await liu.call("POST", decide, {"grant": True}, expect=200)
    assert [(m["display_name"], m["role"], m["chosen_by"]) for m in granted["mediators"]] == [("王调解员", "lead", "张三")]
    assert reason(await liu.call("POST", decide, {"grant": False, "reason": "晚了"}, expect=409)) == "change_granted"
    seen = await party.call("GET", "/api/v1/party/mediators")
    assert seen["requests"][0]["status"] == "granted" and seen["requests"][0]["replacement"]["display_name"] == "王调解员"
    # A second request, refused with a reason the party reads.
    again = await party.call(
        "POST", "/api/v1/party/mediator-changes", {"mediator_id": world.ids["wang"], "reason": "不信任"}, expect=201
    )
    wang = await world.staff("wang")
    refused = await wang.call(
        "POST",
        f"/api/v1/mediator-changes/{again['requests'][-1]['id']}/decision",
        {"grant": False, "reason": "所述理由不属于回避情形"},
    )
    assert refused["requests"][-1]["status"] == "refused"
    last = (await party.call("GET", "/api/v1/party/mediators"))["requests"][-1]
    assert (last["status"], last["decision_reason"], last["decided_by"]) == ("refused", "所述理由不属于回避情形", "王调解员")
    types = await bundle_types(world, liu, case["id"], "change.zip")
    assert [t for t in types if t.startswith("mediator_")] == [
        "mediator_change_requested",
        "mediator_change_decided",
        "mediator_assigned",
        "mediator_change_requested",
        "mediator_change_decided",
    ]


async def test_a_party_of_another_case_sees_their_own_organisations_directory_and_acts_on_no_other_case(world: World) -> None:
    liu, zhao = await world.staff("liu"), await world.staff("zhao")
    ours = await open_case(liu)
    theirs = await open_case(zhao, "（2026）海调字第3号")
    stranger = await party_of(world, zhao, theirs)
    seen = await stranger.call("GET", "/api/v1/party/mediators")
    assert [e["display_name"] for e in seen["directory"]] == ["赵调解员"]
    # 刘调解员 is not of their organisation: neither chosen nor replaced through their link.
    wrong = await stranger.call(
        "POST", "/api/v1/party/mediator-changes", {"preferred_id": world.ids["liu"], "reason": "想要刘调解员"}, expect=422
    )
    assert codes(wrong) == {"preferred_id": "mediator_of_org"}
    wrong = await stranger.call(
        "POST", "/api/v1/party/mediator-changes", {"mediator_id": world.ids["liu"], "reason": "x"}, expect=422
    )
    assert codes(wrong) == {"mediator_id": "not_assigned"}
    await stranger.call("GET", f"/api/v1/cases/{ours['id']}/mediators", expect=403)
    await stranger.call("POST", f"/api/v1/cases/{ours['id']}/mediators", {"mediator_id": world.ids["wang"]}, expect=403)
    await stranger.call("GET", f"/api/v1/mediators/{world.ids['liu']}/photo", expect=404)


def image_bytes(kind: str, size: tuple[int, int] = (900, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(out, format=kind, **({"exif": b"Exif\x00\x00secret"} if kind == "JPEG" else {}))
    return out.getvalue()


async def put_photo(actor: Actor, user_id: str, data: bytes, content_type: str, expect: int) -> Any:
    response = await actor.request("PUT", f"/api/v1/mediators/{user_id}/photo", data=data, headers={"Content-Type": content_type})
    body = await response.json()
    assert response.status == expect, body
    return body


async def test_a_mediator_writes_their_directory_entry_and_the_photo_is_checked_and_re_encoded(world: World) -> None:
    liu, wang, admin = await world.staff("liu"), await world.staff("wang"), await world.staff("admin1")
    me = world.ids["liu"]
    entry = {"profile": "从事人民调解工作十二年", "languages": ["mn", "zh"], "specialities": ["wages", "land_contracting"]}
    written = await liu.call("PUT", f"/api/v1/mediators/{me}/profile", entry)
    # Kept in the vocabularies' order.
    assert (written["languages"], written["specialities"]) == (["zh", "mn"], ["land_contracting", "wages"])
    assert reason(await wang.call("PUT", f"/api/v1/mediators/{me}/profile", entry, expect=403)) == "own_profile_only"
    await admin.call("PUT", f"/api/v1/mediators/{me}/profile", {**entry, "profile": "管理员改写"})
    bad = await liu.call("PUT", f"/api/v1/mediators/{me}/profile", {**entry, "languages": ["klingon"]}, expect=422)
    assert codes(bad) == {"languages": "choice"}
    # The photo: a PNG becomes a JPEG of at most 480 pixels a side, without the file's metadata.
    uploaded = await put_photo(liu, me, image_bytes("PNG"), "image/png", 200)
    assert uploaded["photo_url"]
    jpeg = await put_photo(liu, me, image_bytes("JPEG"), "image/jpeg", 200)
    case = await open_case(liu)
    party = await party_of(world, liu, case)
    response = await party.request("GET", jpeg["photo_url"])
    assert response.status == 200 and response.content_type == "image/jpeg"
    stored = await response.read()
    assert b"secret" not in stored
    with Image.open(io.BytesIO(stored)) as shown:
        assert shown.format == "JPEG" and max(shown.size) == 480
    assert [e["photo_url"] is not None for e in (await party.call("GET", "/api/v1/party/mediators"))["directory"]] == [
        True,
        False,
    ]
    # Not an image, an image of another type than it says, a GIF: refused, each with its reason.
    junk = await put_photo(liu, me, b"\xff\xd8\xff" + b"\x00" * 200, "image/jpeg", 422)
    assert codes(junk) == {"photo": "photo_unreadable"}
    lying = await put_photo(liu, me, image_bytes("PNG"), "image/jpeg", 422)
    assert codes(lying) == {"photo": "photo_unreadable"}
    gif = await put_photo(liu, me, image_bytes("GIF"), "image/gif", 415)
    assert codes(gif) == {"photo": "photo_type"}
    assert reason(await put_photo(wang, me, image_bytes("PNG"), "image/png", 403)) == "own_profile_only"
    listed = await wang.call("GET", "/api/v1/mediator-directory")
    assert [(e["display_name"], e["languages"]) for e in listed["items"]] == [("刘调解员", ["zh", "mn"]), ("王调解员", [])]


async def test_an_invited_person_sees_who_mediates_but_does_not_ask_for_another_mediator(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    deputy = {"role": "invited", "invited_as": "deputy", "name": "王代表", "phone": "13700000003"}
    await liu.call("POST", f"/api/v1/cases/{case['id']}/parties", deputy, expect=201)
    booked = await book(liu, case["id"], next_weekday_at(10))
    invited = await world.actor()
    await invited.open_link(next(link["url"] for link in booked["links"] if link["role"] == "invited"))
    seen = await invited.call("GET", "/api/v1/party/mediators")
    assert [m["display_name"] for m in seen["mediators"]] == ["刘调解员"]
    refused = await invited.call(
        "POST", "/api/v1/party/mediator-changes", {"mediator_id": world.ids["liu"], "reason": "想换人"}, expect=403
    )
    assert reason(refused) == "disputants_only"
    # Nor once the case has ended.
    applicant = await world.actor()
    await applicant.open_link(next(link["url"] for link in booked["links"] if link["role"] == "applicant"))
    await liu.call("POST", f"/api/v1/cases/{case['id']}/outcome", {"outcome": "failed", "reason": "divergence", "note": "分歧大"})
    ended = await applicant.call(
        "POST", "/api/v1/party/mediator-changes", {"mediator_id": world.ids["liu"], "reason": "想换人"}, expect=409
    )
    assert reason(ended) == "failed"
