"""What the commands share: the settings from the command line, the services for one piece of work, an
organisation named by id or name, a zip written whole or not at all. Apart from server/cli.py so that a command of its own module
(server/stats_command.py) uses them without importing the command line back."""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, Any, TypeVar

from server import db
from server.composition import make_services
from server.domain.principal import SYSTEM
from server.services import Services
from server.settings import Settings

T = TypeVar("T")


def settings_from(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    return settings.with_overrides(
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        data_dir=Path(args.data_dir) if getattr(args, "data_dir", None) else None,
    )


def with_services(settings: Settings, work: Callable[[Services], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = db.make_engine(
            settings.resolved_database_url, pool_size=settings.database_pool_size, max_overflow=settings.database_max_overflow
        )
        try:
            await db.upgrade(engine)
            services = make_services(settings, engine)
            try:
                return await work(services)
            finally:
                await asyncio.to_thread(services.recordings.storage.close)  # an object store's client
        finally:
            await engine.dispose()

    return asyncio.run(run())


async def _organisation_id(s: Services, reference: str, *, strict: bool = True) -> str:
    """An organisation by id or by its exact name (the command line names one either way).

    Not ``strict``: an unknown reference is passed on, for the service to refuse in its own words."""
    for org in await s.accounts.list_organisations(SYSTEM):
        if reference in (org.id, org.name):
            return org.id
    if not strict:
        return reference
    raise SystemExit(f"no organisation {reference}")


async def written_whole(directory: Path, write: Callable[[IO[bytes]], Awaitable[tuple[str, T]]]) -> tuple[Path, T]:
    """Where ``write`` put its zip, and what else it returned.

    ``write`` writes into a file in ``directory`` entry by entry (a bundle's recordings are streamed,
    never held whole: a two-hour session's are gigabytes, #24) and returns the name it is to have,
    known only then for a snapshot. The file is renamed to it when whole; a failed export leaves
    nothing partial behind."""
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    partial = directory / f".mediate-{secrets.token_hex(8)}.partial"
    try:
        with await asyncio.to_thread(open, partial, "wb") as into:
            name, said = await write(into)
        path = directory / name
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path, said
