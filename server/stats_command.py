"""`mediate stats`: an organisation's figures over a period, or its people's-deputy report of a quarter (#23)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from server.cli_common import _organisation_id, settings_from, with_services
from server.domain.principal import SYSTEM
from server.domain.statistics.deputies import render as render_deputies
from server.domain.statistics.export import FORMATS, render
from server.services import Services


def cmd_stats(args: argparse.Namespace) -> int:
    """The statistics of an organisation (and its subtree) over a period, or its people's-deputy report of a
    quarter (``mediate stats deputies``), as JSON, CSV or XLSX (#23)."""
    deputies = args.report == "deputies"
    needed = {"--year": args.year, "--quarter": args.quarter} if deputies else {"--from": args.date_from, "--to": args.date_to}
    if None in needed.values():
        print(f"mediate stats{' deputies' if deputies else ''}: give {' and '.join(needed)}", file=sys.stderr)
        return 2

    async def work(s: Services) -> dict[str, Any]:
        organisation = await _organisation_id(s, args.org)
        if deputies:
            return await s.statistics.deputies(SYSTEM, organisation, args.year, args.quarter, subtree=args.subtree)
        return await s.statistics.figures(SYSTEM, organisation, args.date_from, args.date_to, subtree=args.subtree)

    result = with_services(settings_from(args), work)
    data = render_deputies(result, args.format) if deputies else render(result, args.format)
    if args.out:
        Path(args.out).write_bytes(data)
        totals = result["totals"]
        if deputies:
            print(f"wrote {args.out}: {totals['cases']} cases with a people's deputy, {totals['settled']} settled")
        else:
            print(f"wrote {args.out}: {totals['mediated']} cases mediated, {totals['successful']} successfully")
    else:
        sys.stdout.buffer.write(data)
    return 0


def add_stats_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    stats = sub.add_parser(
        "stats",
        parents=[common],
        help="an organisation's statistics over a period, or its people's-deputy report (JSON, CSV or XLSX)",
    )
    stats.add_argument(
        "report", nargs="?", choices=["figures", "deputies"], default="figures",
        help="figures (default: --from, --to) or deputies, the people's-deputy report of a quarter (--year, --quarter)",
    )  # fmt: skip
    stats.add_argument("--org", required=True, help="organisation id or exact name")
    stats.add_argument("--from", dest="date_from", type=date.fromisoformat, help="first registration day, YYYY-MM-DD")
    stats.add_argument("--to", dest="date_to", type=date.fromisoformat, help="last registration day, YYYY-MM-DD")
    stats.add_argument("--year", type=int, help="deputies: the year")
    stats.add_argument("--quarter", type=int, choices=[1, 2, 3, 4], help="deputies: the quarter")
    stats.add_argument("--subtree", action="store_true", help="with every organisation below it")
    stats.add_argument("--format", choices=FORMATS, default="json")
    stats.add_argument("--out", help="file to write (default: standard output)")
    stats.set_defaults(func=cmd_stats)
