"""The `mediate` command's entry: loads only what the command asked for.

`mediate verify` runs on a court's or a notary's machine and needs the verifier alone (a fifth of a
second to load); the other commands need the domain wired together (server/commands.py), about
two seconds of imports, a fifth of which went to the garbage collector walking the modules as they
arrived: the collector is paused while they load, and what they made is then left out of every
later collection (``gc.freeze``; it lives as long as the process anyway).
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable

from server.ops import logs


def main(argv: list[str] | None = None) -> int:
    # The database, keys and (later) recordings hold personal data: whatever mediate creates is
    # readable by the account that runs it and nobody else.
    os.umask(0o077)
    whole_process = argv is None  # the program itself, not a test calling it
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (["witness"], ["verify"]):
        logs.configure(logs.format_from_env())
    if argv[:1] == ["witness"]:
        # A witness runs on a court's or notary's machine and has its own options.
        from server import witness

        return witness.main(argv[1:])
    if argv[:1] == ["verify"]:
        # The verifier has its own options and depends on nothing but the package.
        from server.evidence import verify

        return verify.main(argv[1:])
    command: Callable[[list[str]], int]
    gc.disable()
    try:
        if argv[:1] == ["verify-stats"]:
            from server.domain.statistics import audit

            command = audit.main
        else:
            from server import commands

            command = commands.run
        if whole_process:
            gc.freeze()
    finally:
        gc.enable()
    # Only now, as before the entry was split: alembic announces its plugins in INFO lines as it is
    # imported, which belong in no command's output (a benchmark's table, a bundle's path).
    logs.configure(logs.format_from_env())
    return command(argv[1:] if argv[:1] == ["verify-stats"] else argv)


if __name__ == "__main__":
    sys.exit(main())
