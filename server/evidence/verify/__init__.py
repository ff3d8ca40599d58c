"""`mediate verify BUNDLE.zip`: check a case's evidence bundle offline, for a court.

Nothing here trusts the platform: no database, no network, only the bundle, the keys the
court chooses to trust and, optionally, a checkpoint the court saved earlier. The chain of
trust is: the log key signs the checkpoint; inclusion proofs put every record under that
checkpoint; the records' own signatures and `key_bound` records say who signed what; the
last `export` record logs the manifest's hash; the manifest's hashes cover every other file.
Each failure becomes a `Finding` with a stable code and subject, rendered as one plain
sentence; hostile input is reported, never a traceback.

The modules, in the order a check runs:

- `checker`: `verify_bundle`, which runs the checks of FORMAT.md in order;
- `reading`: the manifest, the records and their chain, the keys, the bodies (a–c);
- `signers`: who signed each record, and the key bindings the signatures rest on (d);
- `log_check`: the checkpoint, inclusion, consistency and witnesses (e–f);
- `recording_check`, `document_check`: the recordings' segments and coverage, the agreement;
- `findings`: `Finding` and the `Report` they gather;
- `sentences`, `report`: what a judge reads, in Chinese or English;
- `cli`: the command line (also `python -m server.evidence.verify`).
"""

from server.evidence.verify.checker import verify_bundle
from server.evidence.verify.cli import main, parser
from server.evidence.verify.findings import SAVED, Finding, RecordSummary, Report, Signer, UsageError
from server.evidence.verify.report import render
from server.evidence.verify.sentences import sentence

__all__ = [
    "SAVED",
    "Finding",
    "RecordSummary",
    "Report",
    "Signer",
    "UsageError",
    "main",
    "parser",
    "render",
    "sentence",
    "verify_bundle",
]
