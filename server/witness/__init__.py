"""A witness for the evidence log: it cosigns a checkpoint only if the log has only grown.

The platform signs its own checkpoints, so on its own a checkpoint proves nothing against the
platform: it could show one history to a court and another to a party (a split view), or
quietly drop records and start again. A witness run by someone else — a court, a notary —
closes that gap. It remembers the last checkpoint it accepted for each log and cosigns a new
one only after checking, from the log's public tiles alone, that the new tree extends the
old (RFC 9162 §2.1.4 consistency). Two conflicting checkpoints can therefore never both
carry its cosignature, and anyone holding a cosigned checkpoint knows the witness saw that
exact tree.

The witness *pulls* instead of being called: it fetches ``<log>/checkpoint`` (a C2SP
signed note, https://c2sp.org/signed-note, whose body is a https://c2sp.org/tlog-checkpoint),
reads the hash tiles it needs (https://c2sp.org/tlog-tiles), and posts its cosignature line
(https://c2sp.org/tlog-cosignature, ``cosignature/v1``, Ed25519 signature type 0x04) to
``<log>/cosignature`` (see ``server/http/witness_api.py``). A court can run it behind its own
firewall with only outbound HTTP; nothing at the court needs to accept connections.

``state``: the witness's key and memory (the state file); ``rounds``: one round for one log
(``witness_once``); ``command``: the loop over the logs and ``mediate witness``.
"""

from __future__ import annotations

from server.witness.command import main, parser, run_witness
from server.witness.rounds import (
    Outcome,
    WitnessError,
    fetch_tiles,
    log_prefix,
    post_cosignature,
    tiles_for_nodes,
    witness_once,
)
from server.witness.state import LogState, StateError, WitnessState, exclusive

__all__ = [
    "LogState",
    "Outcome",
    "StateError",
    "WitnessError",
    "WitnessState",
    "exclusive",
    "fetch_tiles",
    "log_prefix",
    "main",
    "parser",
    "post_cosignature",
    "run_witness",
    "tiles_for_nodes",
    "witness_once",
]
