"""`mediate verify BUNDLE.zip`: the command line of the offline verifier."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from server.evidence.verify.checker import verify_bundle
from server.evidence.verify.findings import UsageError
from server.evidence.verify.report import render
from server.evidence.verify.sentences import sentence


def _key_args(values: Sequence[str] | None) -> list[str]:
    """Each value is a vkey or a file of vkeys (one per line, '#' comments allowed)."""
    out: list[str] = []
    for value in values or ():
        path = Path(value)
        if "+" not in value or path.is_file():
            text = path.read_text(encoding="utf-8")
            out += [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
        else:
            out.append(value)
    return out


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mediate verify", description="Check a case's evidence bundle offline.")
    p.add_argument("bundle", help="the bundle .zip")
    p.add_argument("--trusted-key", action="append", metavar="VKEY_OR_FILE", help="the log's vkey, or a file of vkeys")
    p.add_argument("--witness-key", action="append", metavar="VKEY_OR_FILE", help="a witness vkey that must have cosigned")
    p.add_argument("--checkpoint", metavar="SAVED.txt", help="a checkpoint of this log saved earlier")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the report (default zh)")
    p.add_argument("--json", action="store_true", help="print the findings as JSON instead")
    return p


def main(argv: list[str] | None = None) -> int:
    """Exit 0 when everything verified, 1 when a problem was found, 2 for usage errors or an unreadable bundle."""
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:
        return 0 if exc.code == 0 else 2
    try:
        saved = Path(args.checkpoint).read_text(encoding="utf-8") if args.checkpoint else None
        logs, witnesses = _key_args(args.trusted_key), _key_args(args.witness_key)
        report = verify_bundle(args.bundle, trusted_log_keys=logs, trusted_witness_keys=witnesses, saved_checkpoint=saved)
    except (OSError, UnicodeDecodeError, UsageError) as exc:
        print(f"mediate verify: {exc}", file=sys.stderr)
        return 2
    if args.json:
        findings = [asdict(f) | {"message": sentence(f, args.lang)} for f in report.findings]
        out = {"ok": report.ok, "case": report.case, "findings": findings, "recordings": report.recordings}
        print(json.dumps(out, ensure_ascii=False, indent=1, default=str))
    else:
        sys.stdout.write(render(report, args.lang))
    return report.exit_code
