"""A party's particulars (当事人的基本情况) and a court's code: entered, checked, refused when wrong."""

from __future__ import annotations

from tests.api.helpers import open_case
from tests.conftest import World


async def test_the_mediator_completes_a_partys_particulars_and_sees_what_is_missing(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    applicant = next(p for p in case["parties"] if p["role"] == "applicant")
    assert applicant["missing_particulars"] == ["sex", "birth_date", "ethnicity", "address"]
    path = f"/api/v1/cases/{case['id']}/parties/{applicant['id']}"
    updated = await liu.call(
        "PATCH", path, {"sex": "male", "birth_date": "1990-03-07", "ethnicity": "汉族", "occupation": "个体工商户"}
    )
    assert updated["sex"] == "male" and updated["birth_date"] == "1990-03-07" and updated["occupation"] == "个体工商户"
    assert updated["missing_particulars"] == ["address"]
    assert updated["id_number_masked"] == "1101**********1234" and "110101199003071234" not in str(updated)
    cleared = await liu.call("PATCH", path, {"occupation": ""})
    assert cleared["occupation"] is None and cleared["ethnicity"] == "汉族"
    # The history names what changed, never the values.
    event = (await liu.call("GET", f"/api/v1/cases/{case['id']}/history"))["items"][-1]
    assert event["kind"] == "party_updated" and "个体工商户" not in str(event)


async def test_a_sex_or_birth_date_that_contradicts_the_id_number_is_refused(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    applicant = next(p for p in case["parties"] if p["role"] == "applicant")
    path = f"/api/v1/cases/{case['id']}/parties/{applicant['id']}"
    # 110101 19900307 12 3 4: born 7 March 1990; the 17th digit (3) is odd, a man.
    wrong = await liu.call("PATCH", path, {"sex": "female", "birth_date": "1990-03-08"}, expect=422)
    assert {f["field"] for f in wrong["error"]["fields"]} == {"sex", "birth_date"}
    added = await liu.call(
        "POST",
        f"/api/v1/cases/{case['id']}/parties",
        {"role": "agent", "name": "王五", "phone": "13700000003", "id_number": "110101198001011236", "sex": "female",
         "represents_party_id": applicant["id"], "authority": "特别授权"},
        expect=422,
    )  # fmt: skip
    assert added["error"]["fields"][0]["field"] == "sex"
    await liu.call("PATCH", path, {"role": "respondent"}, expect=422)
    other = await open_case(await world.staff("zhao"), "（2026）海调字第1号")
    await liu.call("PATCH", f"/api/v1/cases/{other['id']}/parties/{other['parties'][0]['id']}", {"sex": "male"}, expect=403)


async def test_a_court_has_a_unique_code_and_only_a_court_has_one(world: World) -> None:
    admin = await world.staff("admin1")
    made = await admin.call(
        "POST", "/api/v1/organisations", {"name": "达拉特旗人民法院", "kind": "court", "court_code": "蒙0621"}, expect=201
    )
    assert made["court_code"] == "蒙0621"
    await admin.call(
        "POST", "/api/v1/organisations", {"name": "某委员会", "kind": "committee", "court_code": "蒙0622"}, expect=422
    )
    await admin.call("POST", "/api/v1/organisations", {"name": "某法院", "kind": "court", "court_code": "0105"}, expect=422)
    taken = await admin.call(
        "POST", "/api/v1/organisations", {"name": "另一法院", "kind": "court", "court_code": "京0105"}, expect=409
    )
    assert "朝阳区人民法院" in taken["error"]["message"]
    changed = await admin.call("PATCH", f"/api/v1/organisations/{made['id']}", {"court_code": "蒙0627"})
    assert changed["court_code"] == "蒙0627"
    await (await world.staff("liu")).call("PATCH", f"/api/v1/organisations/{made['id']}", {"court_code": "蒙0628"}, expect=403)
