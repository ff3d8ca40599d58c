"""A case's first record: `case_registered` now, `case_opened` in logs begun before registration (#21).

Both verify offline and name the case by its number; either must carry the platform's signature.
"""

from __future__ import annotations

from pathlib import Path

from server.evidence.sample import Platform, consent, export, open_case
from server.evidence.verify import render, verify_bundle


def test_a_log_that_begins_with_case_opened_still_verifies_and_names_its_case(tmp_path: Path) -> None:
    case, people = open_case(Platform(), first="case_opened")
    consent(case, people.applicant)
    export(case, tmp_path / "old.zip", exporter=people.mediator)
    report = verify_bundle(tmp_path / "old.zip", trusted_log_keys=[case.platform.vkey()])
    assert report.ok, render(report, "en")
    assert report.records[0].type == "case_opened" and report.records[0].actor_name == "王芳"
    assert report.case_number == "(2026)京0101民调123号"
    assert "立案" in render(report) and "case opened" in render(report, "en")


def test_a_registered_case_names_its_registration_in_the_report(tmp_path: Path) -> None:
    case, people = open_case(Platform())
    export(case, tmp_path / "new.zip", exporter=people.mediator)
    report = verify_bundle(tmp_path / "new.zip", trusted_log_keys=[case.platform.vkey()])
    assert report.ok, render(report, "en")
    first = report.records[0]
    assert first.type == "case_registered" and first.actor_name == "王芳"
    assert report.case_number == "(2026)京0101民调123号"
    assert "受理登记" in render(report) and "case registered" in render(report, "en")


def test_a_registration_without_the_platform_signature_is_named(tmp_path: Path) -> None:
    platform = Platform()
    case, people = open_case(platform)
    assert people.mediator.key is not None
    forged = {"case_number": "(2026)京0101民调999号", "source": "own_initiative", "registered_by": "王芳"}
    case.add("case_registered", people.mediator.holder, forged, {"source": "own_initiative"}, [people.mediator.key])
    export(case, tmp_path / "forged.zip", exporter=people.mediator)
    report = verify_bundle(tmp_path / "forged.zip", trusted_log_keys=[platform.vkey()])
    assert not report.ok
    assert [(f.code, f.seq) for f in report.problems] == [("platform_signature_missing", len(report.records) - 1)]
