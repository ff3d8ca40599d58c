"""A hotline's work orders (12345 派单, issue #21): the key, the order becoming a case, a repeated
order joining it, a resend changing nothing, and the result read back through the same interface."""

from __future__ import annotations

from typing import Any

from tests.api.test_referrals import bundle_types, refer
from tests.conftest import Actor, World

ORDER: dict[str, Any] = {
    "order_number": "GD20261205-0042",
    "caller": {"name": "马建军", "phone": "13900000001", "address": "朝阳区望京街道"},
    "respondent": {"name": "北京鑫达建筑劳务有限公司", "phone": "010-64000000"},
    "dispute_type": "wages",
    "content": "来电人反映：在鑫达建筑劳务公司工地干活，公司拖欠其2026年8月至10月工资共计18600元，诉求尽快支付。",
}


async def issue(admin: Actor, world: World, receiver: str = "liu", expect: int = 201) -> Any:
    body = {"label": "12345 政务服务便民热线", "receiver_id": world.ids[receiver]}
    return await admin.call("POST", f"/api/v1/organisations/{world.org_a.id}/hotline-keys", body, expect=expect)


async def send(world: World, key: str | None, order: dict[str, Any], expect: int = 200) -> Any:
    hotline = await world.actor()  # the hotline's system: no session, only its key
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    response = await hotline.request("POST", "/api/v1/work-orders", order, headers=headers)
    assert response.status == expect, await response.text()
    return await response.json()


async def result(world: World, key: str, order_number: str, expect: int = 200) -> Any:
    hotline = await world.actor()
    response = await hotline.request("GET", f"/api/v1/work-orders/{order_number}", headers={"Authorization": f"Bearer {key}"})
    assert response.status == expect, await response.text()
    return await response.json()


async def test_an_order_becomes_a_case_a_repeat_joins_it_and_the_result_goes_back(world: World) -> None:
    admin, liu = await world.staff("admin1"), await world.staff("liu")
    issued = await issue(admin, world)
    key = issued["key"]
    assert key.startswith("mdh_") and issued["receiver"]["display_name"] == "刘调解员"
    # The key is shown once: the list names it by its prefix only.
    [listed] = (await admin.call("GET", f"/api/v1/organisations/{world.org_a.id}/hotline-keys"))["keys"]
    assert "key" not in listed and listed["prefix"] == issued["prefix"] and listed["last_used_at"] is None

    first = await send(world, key, ORDER)
    assert (
        first["received"] == "registered"
        and first["case_number"].startswith("（")
        and first["case_number"].endswith("热线调字第1号")
    )
    assert (first["status"], first["status_words"], first["handled_by"], first["mediator"]) == (
        "open", "正在调解", "朝阳区人民调解委员会", "刘调解员",
    )  # fmt: skip

    # The receiving clerk finds it among the organisation's cases, registered from the order.
    [case] = [c for c in (await liu.call("GET", "/api/v1/cases"))["items"] if c["case_number"] == first["case_number"]]
    detail = await liu.call("GET", f"/api/v1/cases/{case['id']}")
    assert (detail["source"], detail["source_reference"], detail["dispute_type"]) == ("hotline_order", "GD20261205-0042", "wages")
    assert [(p["role"], p["name"]) for p in detail["parties"]] == [
        ("applicant", "马建军"),
        ("respondent", "北京鑫达建筑劳务有限公司"),
    ]

    # The hotline retries after a timeout: the same answer, no second case.
    again = await send(world, key, ORDER)
    assert again["received"] == "already_received" and again["case_number"] == first["case_number"]
    # A different order under a number already used is refused.
    clash = await send(world, key, {**ORDER, "content": "另一件事"}, expect=409)
    assert clash["error"]["reason"] == "order_number_taken"

    # The same caller rings again about the same employer: a new order number, the same case.
    repeat = await send(world, key, {**ORDER, "order_number": "GD20261207-0007", "content": "来电人再次反映工资仍未支付。"})
    assert repeat["received"] == "joined" and repeat["case_number"] == first["case_number"]
    # A workmate rings about the same dispute; the hotline marks it as repeating the first order.
    workmate = {
        **ORDER,
        "order_number": "GD20261208-0113",
        "caller": {"name": "杨秀英", "phone": "13900000002"},
        "content": "同一工地工人反映被拖欠工资。",
        "related_order_number": "GD20261205-0042",
    }
    joined = await send(world, key, workmate)
    assert joined["received"] == "joined" and joined["case_number"] == first["case_number"]
    detail = await liu.call("GET", f"/api/v1/cases/{case['id']}")
    assert [p["name"] for p in detail["parties"] if p["role"] == "applicant"] == ["马建军", "杨秀英"]
    # Another caller about another employer is another case.
    other = await send(
        world,
        key,
        {**ORDER, "order_number": "GD20261208-0200", "respondent": {"name": "某物业公司", "phone": "010-1"}},
        expect=422,
    )
    assert [f["field"] for f in other["error"]["fields"]] == ["respondent.phone"]
    other = await send(
        world, key, {**ORDER, "order_number": "GD20261208-0200", "respondent": {"name": "某物业公司", "phone": "010-64000001"}}
    )
    assert other["received"] == "registered" and other["case_number"].endswith("热线调字第2号")

    # The case is referred on and ends without agreement: the hotline reads where and how, in words.
    zhao_org = world.org_b.id
    sent = await refer(liu, case["id"], zhao_org)
    zhao = await world.staff("zhao")
    await zhao.call("POST", f"/api/v1/referrals/{sent['id']}/accept", {"mediator_id": world.ids["zhao"]})
    await zhao.call(
        "POST", f"/api/v1/cases/{case['id']}/outcome", {"outcome": "failed", "reason": "divergence", "note": "用人单位拒绝支付"}
    )
    back = await result(world, key, "GD20261207-0007")
    assert (back["case_number"], back["handled_by"], back["mediator"]) == (
        first["case_number"],
        "海淀区矛盾纠纷多元化解中心",
        "赵调解员",
    )
    assert (back["status"], back["status_words"], back["reason_words"]) == (
        "failed",
        "调解终止，未达成协议",
        "当事人分歧较大且难以达成调解协议",
    )
    assert back["closed_at"] is not None and back["received"] == "already_received"

    # The bundle shows the case's path from the order: registered, joined twice, referred, accepted (its
    # mediator named), ended.
    types = await bundle_types(world, zhao, case["id"], "hotline.zip")
    assert types[0] == "case_registered" and types.count("work_order_joined") == 2
    assert types[-4:] == ["case_referred", "referral_accepted", "mediator_assigned", "mediation_ended"]
    records = (await zhao.call("GET", f"/api/v1/cases/{case['id']}/evidence"))["items"]
    assert records[0]["actor"]["kind"] == "platform" and records[0]["actor"]["role"] == "hotline"


async def test_only_a_valid_key_sends_or_reads_and_only_its_own_organisations_orders(world: World) -> None:
    admin, liu = await world.staff("admin1"), await world.staff("liu")
    key = (await issue(admin, world))["key"]
    await send(world, key, ORDER)

    for wrong in (None, "mdh_000000000000_nothing", "not-a-key", key + "x"):
        refused = await send(world, wrong, {**ORDER, "order_number": "X1"}, expect=401)
        assert refused["error"]["reason"] in ("hotline_key_needed", "hotline_key_invalid")
    # A mediator's session is not a hotline key.
    response = await liu.request("POST", "/api/v1/work-orders", {**ORDER, "order_number": "X2"})
    assert response.status == 401 and (await response.json())["error"]["reason"] == "hotline_key_needed"

    # Another organisation's key neither reads this organisation's orders nor collides with their numbers.
    zhao_key = (
        await admin.call(
            "POST",
            f"/api/v1/organisations/{world.org_b.id}/hotline-keys",
            {"label": "12345", "receiver_id": world.ids["zhao"]},
            expect=201,
        )
    )["key"]
    missing = await result(world, zhao_key, ORDER["order_number"], expect=404)
    assert missing["error"]["reason"] == "no_such_order"
    theirs = await send(world, zhao_key, ORDER)
    assert theirs["received"] == "registered" and theirs["handled_by"] == "海淀区矛盾纠纷多元化解中心"

    # Only an administrator issues keys, to a mediator of that organisation; a revoked key stops working.
    refused = await liu.call(
        "POST",
        f"/api/v1/organisations/{world.org_a.id}/hotline-keys",
        {"label": "12345", "receiver_id": world.ids["liu"]},
        expect=403,
    )
    assert refused["error"]["reason"] == "role_needed"
    wrong = await issue(admin, world, receiver="zhao", expect=422)
    assert [(f["field"], f["code"]) for f in wrong["error"]["fields"]] == [("receiver_id", "mediator_of_org")]
    [listed] = (await admin.call("GET", f"/api/v1/organisations/{world.org_a.id}/hotline-keys"))["keys"]
    assert listed["last_used_at"] is not None
    await admin.call("DELETE", f"/api/v1/hotline-keys/{listed['id']}", expect=204)
    gone = await result(world, key, ORDER["order_number"], expect=401)
    assert gone["error"]["reason"] == "hotline_key_invalid"


async def test_an_order_that_names_an_unknown_earlier_order_or_lacks_a_phone_is_refused_and_registers_nothing(
    world: World,
) -> None:
    admin, liu = await world.staff("admin1"), await world.staff("liu")
    key = (await issue(admin, world))["key"]
    unknown = await send(world, key, {**ORDER, "related_order_number": "GD-NONE"}, expect=422)
    assert [(f["field"], f["code"]) for f in unknown["error"]["fields"]] == [("related_order_number", "not_found")]
    no_phone = await send(world, key, {**ORDER, "caller": {"name": "马建军", "phone": "不知道"}}, expect=422)
    assert [f["field"] for f in no_phone["error"]["fields"]] == ["caller.phone"]
    malformed = await send(world, key, {**ORDER, "order_number": "有空格 的编号"}, expect=422)
    assert [f["field"] for f in malformed["error"]["fields"]] == ["order_number"]
    assert (await liu.call("GET", "/api/v1/cases"))["items"] == []
    await result(world, key, ORDER["order_number"], expect=404)
