"""The party's one path (server/domain/party_path.py): GET /party/me says what to do now, from the
invitation to the court, and never leaves a party with nothing to do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.domain.party_path import (
    AgreementFacts,
    ApplicationFacts,
    ConfirmationFacts,
    PathFacts,
    days_left,
    next_step,
)
from server.domain.principal import Staff
from server.models import utcnow
from tests.api.agreement_helpers import bind_device_key, draft_and_finalise, mediation, party_signs, sealed_agreement
from tests.api.helpers import book, next_weekday_at
from tests.api.test_confirmation import regions, sign_application
from tests.conftest import World

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def facts(**kw: object) -> PathFacts:
    base: dict[str, object] = {
        "now": NOW,
        "session_status": "scheduled",
        "starts_at": NOW - 3 * HOUR,
        "ends_at": NOW - 2 * HOUR,
        "case_status": "open",
    }
    return PathFacts(**{**base, **kw})  # type: ignore[arg-type]


def applied(status: str, **kw: object) -> ConfirmationFacts:
    fields: dict[str, object] = {
        "status": status,
        "court": "朝阳区人民法院",
        "me_signed": False,
        "signed_by": None,
        "unsigned": None,
    }
    return ConfirmationFacts(
        deadline=NOW + timedelta(days=20),
        reason=None,
        courts=1,
        application=ApplicationFacts(**{**fields, **kw}),  # type: ignore[arg-type]
    )


SEALED = AgreementFacts("effective", must_sign=True, signed=True, deadline=None)


# -- the rule, step by step -------------------------------------------------------------------------


def test_before_and_during_the_session_the_step_is_to_join() -> None:
    assert next_step(facts(starts_at=NOW + HOUR, ends_at=NOW + 2 * HOUR)).step == "join_before"
    during = next_step(facts(starts_at=NOW - HOUR, ends_at=NOW + HOUR, agreement=AgreementFacts("final", True, False, NOW)))
    assert during.step == "join_now", "in the room the agreement is signed too"


def test_a_session_the_mediator_ended_early_is_not_offered_to_join() -> None:
    step = next_step(facts(session_status="ended", starts_at=NOW - HOUR, ends_at=NOW + HOUR))
    assert step.step == "session_over"


def test_a_final_agreement_is_signed_then_waited_for_then_closed_after_its_deadline() -> None:
    due = NOW + timedelta(days=1, hours=3)
    sign = next_step(facts(agreement=AgreementFacts("final", must_sign=True, signed=False, deadline=due)))
    assert (sign.step, sign.at, sign.days_left, sign.urgent) == ("sign", due, 2, True)
    wait = next_step(facts(agreement=AgreementFacts("final", True, True, due, waiting_for=("李四", "刘调解员"))))
    assert (wait.step, wait.name) == ("sign_wait", "李四、刘调解员")
    closed = next_step(facts(agreement=AgreementFacts("final", True, False, NOW - HOUR)))
    assert closed.step == "sign_closed"


def test_an_agreement_in_effect_leads_to_applying_within_the_thirty_days() -> None:
    eligible = ConfirmationFacts(deadline=NOW + timedelta(days=30), reason=None, courts=2)
    step = next_step(facts(agreement=SEALED, confirmation=eligible))
    assert (step.step, step.days_left, step.urgent) == ("apply", 30, False)
    late = ConfirmationFacts(deadline=NOW - HOUR, reason="out_of_time", courts=2)
    assert next_step(facts(agreement=SEALED, confirmation=late)).step == "confirmation_lapsed"
    nowhere = ConfirmationFacts(deadline=NOW + timedelta(days=30), reason=None, courts=0)
    assert next_step(facts(agreement=SEALED, confirmation=nowhere)).step == "sealed"


def test_an_application_is_cosigned_by_the_other_party_naming_who_started_it() -> None:
    step = next_step(facts(agreement=SEALED, confirmation=applied("awaiting_cosign", signed_by="张三")))
    assert (step.step, step.name, step.court, step.days_left) == ("cosign", "张三", "朝阳区人民法院", 20)
    mine = next_step(facts(agreement=SEALED, confirmation=applied("awaiting_cosign", me_signed=True, unsigned="李四")))
    assert (mine.step, mine.name) == ("cosign_wait", "李四")


def test_with_the_court_a_hearing_then_the_ruling() -> None:
    assert next_step(facts(agreement=SEALED, confirmation=applied("accepted"))).step == "with_court"
    hearing = applied("hearing_scheduled", hearing_starts_at=NOW + HOUR, hearing_ends_at=NOW + 2 * HOUR)
    step = next_step(facts(agreement=SEALED, confirmation=hearing))
    assert (step.step, step.at, step.court) == ("hearing", NOW + HOUR, "朝阳区人民法院")
    ruled = next_step(facts(agreement=SEALED, confirmation=applied("rejected", decision="rejected")))
    assert (ruled.step, ruled.result) == ("ruling", "rejected")


def test_failed_mediation_cancelled_sessions_and_later_sessions_each_lead_somewhere() -> None:
    assert next_step(facts(case_status="failed")).step == "mediation_failed"
    assert next_step(facts(session_status="cancelled")).step == "cancelled"
    later = next_step(facts(session_status="cancelled", next_session_at=NOW + timedelta(days=3)))
    assert (later.step, later.at) == ("next_session", NOW + timedelta(days=3))
    assert next_step(facts(agreement=AgreementFacts("drafting", True, False, None))).step == "draft"
    assert next_step(facts()).step == "session_over"


@pytest.mark.parametrize(("hours", "left"), [(0.5, 1), (24, 1), (25, 2), (24 * 30, 30)])
def test_days_left_count_today(hours: float, left: int) -> None:
    assert days_left(NOW + timedelta(hours=hours), NOW) == left


# -- through the API --------------------------------------------------------------------------------


async def test_party_me_walks_the_party_from_the_invitation_to_the_court(world: World) -> None:
    await regions(world)
    m = await mediation(world)
    now = (await m.applicant.call("GET", "/api/v1/party/me"))["now"]
    assert now["step"] == "join_before" and now["at"] == m.session["session"]["starts_at"]
    me = await m.applicant.call("GET", "/api/v1/party/me")
    assert me["session"]["status"] == "scheduled" and me["agreement"] is None and me["confirmation"] is None
    assert me["mediator"]["display_name"] == "刘调解员" and me["case"]["status"] == "open"

    # The mediator declares the agreement final (deadline in two days): both are asked to sign.
    a = await bind_device_key(world, m.applicant, m.party_id("applicant"))
    await draft_and_finalise(m)
    me = await m.applicant.call("GET", "/api/v1/party/me")
    assert me["now"]["step"] == "sign" and me["now"]["days_left"] == 2 and me["now"]["urgent"] is True
    assert me["agreement"]["status"] == "final" and me["agreement"]["must_sign"] and not me["agreement"]["signed"]
    await party_signs(world, a)
    waiting = (await m.applicant.call("GET", "/api/v1/party/me"))["now"]
    assert waiting["step"] == "sign_wait" and waiting["name"] == "李四、刘调解员"


async def test_party_me_names_who_applied_and_the_court_and_then_the_hearing(world: World) -> None:
    await regions(world)
    m = await mediation(world)
    a, b = await sealed_agreement(world, m)
    now = (await b.actor.call("GET", "/api/v1/party/me"))["now"]
    assert now["step"] == "apply" and now["days_left"] in (29, 30)
    status = await a.actor.call("GET", "/api/v1/party/confirmation")
    court = next(c for c in status["courts"] if c["name"] == "朝阳区人民法院")
    started = await a.actor.call(
        "POST", "/api/v1/party/confirmation", {"court_id": court["id"], "ground": "org_location"}, expect=201
    )
    await sign_application(world, a, started["sign"])
    cosign = (await b.actor.call("GET", "/api/v1/party/me"))["now"]
    assert (cosign["step"], cosign["name"], cosign["court"]) == ("cosign", "张三", "朝阳区人民法院")
    assert (await a.actor.call("GET", "/api/v1/party/me"))["now"]["name"] == "李四"
    prepared = await b.actor.call("POST", "/api/v1/party/confirmation/sign", {}, expect=201)
    application = (await sign_application(world, b, prepared))["application"]
    me = await b.actor.call("GET", "/api/v1/party/me")
    assert me["now"]["step"] == "with_court" and me["confirmation"]["application"]["status"] == "received"
    judge = await world.staff("judge1")
    app_path = f"/api/v1/court/applications/{application['id']}"
    await judge.call("POST", f"{app_path}/status", {"status": "accepted"})
    starts = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    await judge.call("POST", f"{app_path}/hearing", {"starts_at": starts.isoformat(), "duration_minutes": 20}, expect=201)
    hearing = (await a.actor.call("GET", "/api/v1/party/me"))["now"]
    assert hearing["step"] == "hearing" and datetime.fromisoformat(hearing["at"]) == starts


async def test_an_ended_session_and_a_failed_mediation_say_what_comes_next(world: World) -> None:
    m = await mediation(world)
    liu = Staff(world.ids["liu"], world.org_a.id, "mediator", "刘调解员", "Asia/Shanghai")
    # The mediator ends the session early (the live room's "end"): the page no longer offers to join it.
    await world.services.booking.end(liu, m.session["session"]["id"])
    me = await m.applicant.call("GET", "/api/v1/party/me")
    assert (me["session"]["status"], me["session"]["phase"], me["now"]["step"]) == ("ended", "over", "session_over")
    # A second session is booked: the step points at it.
    later = await book(m.liu, m.case_id, next_weekday_at(15, days_ahead=3))
    me = await m.applicant.call("GET", "/api/v1/party/me")
    assert me["now"]["step"] == "next_session" and me["now"]["at"] == later["session"]["starts_at"]
    assert me["next_session"]["starts_at"] == later["session"]["starts_at"]
    await m.liu.call("POST", f"/api/v1/sessions/{later['session']['id']}/cancel", {})
    # Mediation fails: the party is told the other routes.
    await m.liu.call("POST", f"/api/v1/cases/{m.case_id}/outcome", {"outcome": "failed", "reason": "divergence"})
    me = await m.applicant.call("GET", "/api/v1/party/me")
    assert me["case"]["status"] == "failed" and me["now"]["step"] == "mediation_failed"
