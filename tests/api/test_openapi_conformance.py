"""The OpenAPI document matches the server: schemathesis fuzzes every operation against it.

Each operation gets 30 generated requests (valid and invalid ones) as a logged-in mediator and
10 anonymously (where nearly every one is refused by the same authentication check before its
body is read, so more examples would only repeat that 401), against the real server on loopback with a real database. A request may be
refused, but only with a status the document lists for that operation, in the documented
content type and body shape; never a 5xx. Generation is derandomized (the same cases every
run), so a failure here is reproducible.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks
from schemathesis.core.result import Ok

from server.authentication import COOKIE
from tests.api.helpers import book, open_case, weekday_slot
from tests.conftest import BACKENDS, PASSWORD, World

#: Examples per operation: as the mediator, and anonymously (see the module's docstring).
EXAMPLES = {True: 30, False: 10}
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]
#: Logging out would end the mediator's session for the operations after it; it is fuzzed
#: anonymously (where it must still answer 204).
NOT_AS_MEDIATOR = {("POST", "/api/v1/auth/logout")}


@dataclass
class Run:
    base_url: str
    session: requests.Session
    headers: dict[str, str]
    #: The mediator's session cookie, sent over any the generator makes up for the document's
    #: cookie scheme (anonymously, those made-up cookies go as they are: junk must be a 401).
    cookies: dict[str, str] | None
    #: Ids that exist (the mediator's case, its parties and session): half the cases use them, so
    #: the fuzzing reaches past "no such case" into the handlers.
    known: dict[str, str]
    failures: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)


def _fuzz_operation(run: Run, operation: Any, examples: int) -> None:
    known = {p.name: run.known[p.name] for p in operation.path_parameters if p.name in run.known}
    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        for path_parameters in [None, known] if known else [None]:
            try:
                strategies.append(operation.as_strategy(mode, path_parameters=path_parameters))
            except Exception:  # noqa: BLE001 - an operation with nothing to negate is fuzzed with valid data only
                continue
    strategy = st.one_of(*strategies)

    @hypothesis.settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        # Shrinking would re-run a failing case many times; the report below already names it.
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        # The server answers in milliseconds, but building 30 bodies for the larger models on a
        # loaded two-core machine can pass hypothesis's 1 s data-generation budget.
        suppress_health_check=[hypothesis.HealthCheck.too_slow],
    )
    @hypothesis.given(case=strategy)
    def fuzz(case: schemathesis.Case[Any]) -> None:
        response = case.call(base_url=run.base_url, session=run.session, headers=run.headers, cookies=run.cookies, timeout=60)
        run.statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=run.headers)

    try:
        fuzz()
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collected, so one run reports every operation that fails
        run.failures.append(f"{operation.method.upper()} {operation.path}: {exc}")


def _fuzz_all(base_url: str, known: dict[str, str], *, as_mediator: bool) -> Run:
    session = requests.Session()
    headers: dict[str, str] = {}
    cookies = None
    if as_mediator:
        answer = session.post(f"{base_url}/api/v1/auth/login", json={"username": "liu", "password": PASSWORD}, timeout=60)
        assert answer.status_code == 200, answer.text
        headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        cookies = {COOKIE: str(session.cookies[COOKIE])}
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json", timeout=60)
    run = Run(base_url, session, headers, cookies, known)
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the document has an operation schemathesis cannot read: {result.err()}"
        operation = result.ok()
        if as_mediator and (operation.method.upper(), operation.path) in NOT_AS_MEDIATOR:
            continue
        _fuzz_operation(run, operation, EXAMPLES[as_mediator])
    if as_mediator:
        me = session.get(f"{base_url}/api/v1/auth/me", timeout=60)
        assert me.status_code == 200, "the mediator's session ended during the run, so later operations were fuzzed anonymously"
    return run


# One database: PostgreSQL when the run has one (stricter about text and types than SQLite), else
# SQLite. Both pass; fuzzing both would double the test's time for little more.
@pytest.mark.parametrize("database_url", [BACKENDS[-1]], indirect=True)
async def test_every_operation_answers_as_documented_to_a_mediator_and_to_anyone(world: World) -> None:
    base_url = str(world.server.make_url("")).rstrip("/")
    liu = await world.staff("liu")
    case = await open_case(liu)
    session = (await book(liu, case["id"], weekday_slot(0, days_ahead=3)))["session"]
    known = {
        "case_id": case["id"],
        "party_id": case["parties"][0]["id"],
        "session_id": session["id"],
        "user_id": world.ids["liu"],
        "organisation_id": world.org_a.id,
    }
    started = time.monotonic()
    failures = []
    statuses: Counter[int] = Counter()
    for as_mediator in (True, False):
        # In a thread: schemathesis calls the server synchronously, and the server runs on this loop.
        run = await asyncio.to_thread(_fuzz_all, base_url, known, as_mediator=as_mediator)
        who = "mediator" if as_mediator else "anonymous"
        failures += [f"[{who}] {failure}" for failure in run.failures]
        statuses += run.statuses
    print(f"schemathesis: {statuses.total()} requests in {time.monotonic() - started:.1f} s: {sorted(statuses.items())}")
    assert not failures, "\n\n".join(failures)
