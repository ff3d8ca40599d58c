"""The `mediate` command as an operator uses it."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from server.evidence.verify import render, verify_bundle
from tests.pdf_text import pdf_text


def mediate(*args: str, data_dir: Path, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATE_")}
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        input=stdin,
        env=env,
        check=check,
        timeout=120,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_organisations_and_users_are_created_from_the_command_line(tmp_path: Path) -> None:
    org = mediate("org", "add", "--name", "东城区人民调解委员会", "--kind", "committee", data_dir=tmp_path)
    org_id = org.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"[0-9a-f-]{36}", org_id)
    listed = mediate("org", "list", data_dir=tmp_path).stdout
    assert org_id in listed and "东城区人民调解委员会" in listed
    # Its seal certificate exists from the start, issued by the platform's seal CA.
    seal = mediate("org", "seal", "--org", org_id, data_dir=tmp_path).stdout
    assert "东城区人民调解委员会" in seal and "mediate platform seal CA" in seal
    user = mediate(
        "user",
        "add",
        "--username",
        "li",
        "--role",
        "mediator",
        "--org",
        org_id,
        "--display-name",
        "李调解员",
        "--password-stdin",
        data_dir=tmp_path,
        stdin="Long-enough-password\n",
    )
    assert "created mediator li" in user.stdout
    duplicate = mediate(
        "user",
        "add",
        "--username",
        "li",
        "--role",
        "mediator",
        "--org",
        org_id,
        "--password",
        "Long-enough-password",
        data_dir=tmp_path,
        check=False,
    )
    assert duplicate.returncode == 1 and "taken" in duplicate.stderr
    judge_at_committee = mediate(
        "user",
        "add",
        "--username",
        "judge",
        "--role",
        "judge",
        "--org",
        org_id,
        "--password",
        "Long-enough-password",
        data_dir=tmp_path,
        check=False,
    )
    assert judge_at_committee.returncode == 1 and "court" in judge_at_committee.stderr


def test_a_court_is_given_its_code_for_its_case_numbers(tmp_path: Path) -> None:
    court = mediate(
        "org", "add", "--name", "达拉特旗人民法院", "--kind", "court", "--region", "鄂尔多斯市达拉特旗", "--court-code", "蒙0621",
        data_dir=tmp_path,
    )  # fmt: skip
    court_id = court.stdout.strip().splitlines()[-1]
    assert "蒙0621" in mediate("org", "list", data_dir=tmp_path).stdout
    changed = mediate("org", "set", "--org", court_id, "--court-code", "蒙0627", data_dir=tmp_path)
    assert "court code 蒙0627" in changed.stdout
    wrong = mediate("org", "set", "--org", court_id, "--court-code", "0627", data_dir=tmp_path, check=False)
    assert wrong.returncode == 1 and "蒙0105" in wrong.stderr


def test_organisations_are_placed_in_a_tree_and_a_supervisor_is_added(tmp_path: Path) -> None:
    mediate("org", "add", "--name", "乌兰市司法局", "--kind", "bureau", data_dir=tmp_path)
    county = mediate("org", "add", "--name", "达拉县调解中心", "--kind", "centre", "--parent", "乌兰市司法局", data_dir=tmp_path)
    county_id = county.stdout.strip().splitlines()[-1]
    village = mediate("org", "add", "--name", "树林召村调委会", "--kind", "committee", "--parent", county_id, data_dir=tmp_path)
    village_id = village.stdout.strip().splitlines()[-1]
    assert f"parent {county_id}" in mediate("org", "list", data_dir=tmp_path).stdout
    # The bureau below the village committee under it would be a loop.
    loop = mediate("org", "set", "--org", "乌兰市司法局", "--parent", village_id, data_dir=tmp_path, check=False)
    assert loop.returncode == 1 and "loop" in loop.stderr
    unknown = mediate(
        "org", "add", "--name", "无名", "--kind", "committee", "--parent", "没有这个组织", data_dir=tmp_path, check=False
    )
    assert unknown.returncode != 0 and "没有这个组织" in unknown.stderr
    supervisor = mediate(
        "user", "add", "--username", "meng", "--role", "supervisor", "--org", "乌兰市司法局", "--password-stdin",
        data_dir=tmp_path, stdin="Long-enough-password\n",
    )  # fmt: skip
    assert "created supervisor meng" in supervisor.stdout


def test_a_past_month_is_snapshot_once_corrected_with_a_reason_exported_and_verified_from_the_command_line(
    tmp_path: Path,
) -> None:
    org_id = mediate("org", "add", "--name", "东城区人民调解委员会", "--kind", "committee", data_dir=tmp_path).stdout.split()[-1]
    taken = mediate("snapshot", "take", "--org", org_id, "--month", "2026-01", data_dir=tmp_path)
    snapshot_id, month, version, written = taken.stdout.strip().split("\t")
    assert (month, version, written) == ("2026-01", "version 1", "written")
    again = mediate("snapshot", "take", "--org", "东城区人民调解委员会", "--month", "2026-01", data_dir=tmp_path)
    assert again.stdout.strip().split("\t") == [snapshot_id, "2026-01", "version 1", "exists already: nothing written"]
    refused = mediate("snapshot", "correct", snapshot_id, "--reason", " ", data_dir=tmp_path, check=False)
    assert refused.returncode == 1 and "say why" in refused.stderr
    corrected = mediate("snapshot", "correct", snapshot_id, "--reason", "补录一件漏登的纠纷", data_dir=tmp_path)
    assert "version 2, correcting version 1" in corrected.stdout
    listed = mediate("snapshot", "list", "--org", org_id, data_dir=tmp_path).stdout.splitlines()
    assert [line.split("\t")[3] for line in listed] == ["version 1", "version 2"]
    out = tmp_path / "snapshot.zip"
    mediate("snapshot", "export", snapshot_id, "--out", str(out), data_dir=tmp_path)
    audit = subprocess.run(
        [sys.executable, "-m", "server.cli", "verify-stats", str(out)], capture_output=True, text=True, timeout=120, check=False
    )
    assert audit.returncode == 0 and "东城区人民调解委员会 2026-01（第 1 版" in audit.stdout, audit.stdout + audit.stderr


def test_db_upgrade_is_idempotent(tmp_path: Path) -> None:
    assert "up to date" in mediate("db", "upgrade", data_dir=tmp_path).stdout
    assert "up to date" in mediate("db", "upgrade", data_dir=tmp_path).stdout
    database = tmp_path / "mediate.sqlite3"
    assert database.exists()
    assert database.stat().st_mode & 0o077 == 0, "the database holds personal data: private to its owner"


def test_first_serve_prints_the_url_and_a_one_time_admin_password(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATE_")}
    env["MEDIATE_PORT"] = str(port)
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "First start" in line:
                break
        output = "".join(lines)
        assert f"http://localhost:{port}/" in output
        password = re.search(r"as 'admin' with password (\S+)", output)
        assert password, output
        secret = tmp_path / "initial-admin-password.txt"
        assert secret.read_text().strip() == password.group(1)
        assert secret.stat().st_mode & 0o777 == 0o600
        keyring = tmp_path / "keys" / "keyring.json"
        assert keyring.stat().st_mode & 0o777 == 0o600, "the platform's private keys are readable by their owner only"
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("the server did not answer /healthz")
        # What start-up made is left out of garbage collection (a full collection walked it: 200-400 ms stalls, #24).
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            metrics = response.read().decode()
        [frozen] = [line for line in metrics.splitlines() if line.startswith("mediate_gc_frozen_objects ")]
        assert float(frozen.split()[1]) > 100_000, frozen
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_demo_builds_a_case_recorded_agreed_confirmed_performed_and_closed_whose_bundle_verifies(tmp_path: Path) -> None:
    demo = mediate("demo", "--out", str(tmp_path / "out"), data_dir=tmp_path / "data")  # check: verify's exit code is 0
    assert "consented to recording" in demo.stdout, demo.stdout
    [bundle] = (tmp_path / "out").glob("evidence-*.zip")
    report = verify_bundle(str(bundle))
    assert report.ok, render(report, "en")
    [recording] = report.recordings
    assert recording["status"] == "complete" and recording["end_reason"] == "stopped_by_mediator"
    assert len(recording["participants"]) == 3, "the mediator and both parties are recorded"
    for covered in recording["participants"].values():
        assert covered["recorded_seconds"] > 5.0
    types = [r.type for r in report.records]
    # Applied for online and accepted at the centre, agreed to by the other side, routed to the
    # committee, which took the lead and designated the mediator who leads (#21; 人民调解法 arts. 17, 19).
    start = ["case_registered", "case_accepted", "mediation_accepted", "case_referred", "referral_accepted", "mediator_assigned"]
    assert [t for t in types if t in start][: len(start)] == start, types[:10]
    assert types[0] == "case_registered", types[:5]
    assert "applied online" in demo.stdout and "agreed to mediation" in demo.stdout
    assert "referred to" in demo.stdout and "accepted there" in demo.stdout and "designated to lead" in demo.stdout
    assert types.count("consent") == 3 and "segment_manifest" in types
    # The agreement signed by both parties and the mediator and sealed; then confirmed by a court.
    assert types.count("signature") == 3 and "agreement_sealed" in types
    assert types.count("confirmation_applied") == 2 and "confirmation_decided" in types
    [agreement] = report.agreements
    assert agreement["sealed"] is not None and len(agreement["signatures"]) == 3
    # The mediation record written in the session and signed by both parties with their keys (#22).
    assert types.count("transcript_version") == 1 and types.count("transcript_signed") == 2
    assert [f.seq for f in report.findings if f.code == "transcript_signed"] == [
        i + 1 for i, t in enumerate(types) if t == "transcript_signed"
    ]
    # Performed and closed: the payment reported with a screenshot and confirmed, a visit, the case closed, its file made.
    end = ["performance_reported", "performance_confirmed", "follow_up_recorded", "case_closed", "case_file_made", "export"]
    assert [t for t in types if t in end] == end, types[-12:]
    files = zipfile.ZipFile(bundle).namelist()
    kinds = {}
    for name in files:
        if name.startswith("records/"):
            claim = json.loads(zipfile.ZipFile(bundle).read(name))["claim"]
            if claim["type"] == "document_added":
                kinds[claim["public"]["kind"]] = claim["public"]["document"]
    assert {"transcript", "signed_agreement", "ruling", "upload", "closing_report", "case_file"} <= set(kinds)
    assert f"documents/{kinds['case_file']}.pdf" in files and f"documents/{kinds['transcript']}.pdf" in files
    [intact] = [f for f in report.findings if f.code == "case_file_intact"]
    assert intact.params["parts"] >= 12 and "卷宗（第" in render(report, "zh")
    case_file = zipfile.ZipFile(bundle).read(f"documents/{kinds['case_file']}.pdf")
    text = pdf_text(case_file)
    assert "卷内目录" in text and "人民调解记录（经当事人签名）" in text and "人民调解协议书（已签署、盖章）" in text
    assert "performed" in demo.stdout and "人民调解卷宗" in demo.stdout
    # The committee's signed statistics snapshot (#23), with the case's bundle behind it, checked offline.
    [snapshot] = (tmp_path / "out").glob("statistics-*.zip")
    assert "statistics snapshot" in demo.stdout and "1 case mediated, 1 successfully, 1 closed" in demo.stdout
    audit = subprocess.run(
        [sys.executable, "-m", "server.cli", "verify-stats", str(snapshot), "--lang", "en"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "\u201cMediated successfully\u201d: 1, each of its 1 cases checked against its signed records." in audit.stdout
    assert "Result: verified." in audit.stdout
