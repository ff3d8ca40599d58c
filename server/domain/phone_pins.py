"""Phone PINs: six digits a party types on a phone's keypad to join their session without a smartphone (#25).

Every session link gets a PIN of its own when it is issued (server/domain/links.py), and the PIN
stands for that link: it names the same party and session, and stops working when the link does.

Six digits are a million values, which a computer tries in no time against a plain hash; so only
an HMAC-SHA256 of the PIN under a server-side key is stored (``MEDIATE_PHONE_PIN_KEY``, else a key
file made in the data directory on first start). A leaked database alone then gives no PIN away,
and a PIN is still found by computing its HMAC and looking it up.

A PIN names one link: the hash is unique. A link gives its PIN up (its hash set to None) when it is
re-issued or withdrawn, so that the old PIN no longer works; a link of a cancelled session keeps it
until it expires, so that a caller is told the session was cancelled; an expired link's PIN is
given up when a new draw hits it. A draw that hits a PIN still held is drawn again.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain import later
from server.errors import Conflict, FieldError, InvalidInput
from server.models import PartyLink
from server.settings import Settings

PIN_DIGITS = 6
#: Draws before giving up: with a tenth of all PINs held by live links, 32 draws all hit one once
#: in 10^32 issues.
MAX_DRAWS = 32
#: The key file of a deployment that sets no ``MEDIATE_PHONE_PIN_KEY``, in its data directory.
KEY_FILE = "phone-pin.key"
#: A link revoked for this reason keeps its PIN until it expires (a caller hears "cancelled").
KEPT_WHEN_REVOKED = frozenset({"session_cancelled"})

_WELL_FORMED = re.compile(r"[0-9]{6}")


def draw() -> str:
    """A PIN: six decimal digits, each of the million equally likely."""
    return f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"


def check(pin: str) -> str:
    """The PIN as typed, if it is six digits (ASCII); InvalidInput otherwise."""
    if not _WELL_FORMED.fullmatch(pin):
        raise InvalidInput(
            "a PIN is six digits",
            [FieldError("pin", "six digits, 0-9", "pin_digits", {"digits": PIN_DIGITS})],
            reason="pin_malformed",
        )
    return pin


def key_of(settings: Settings) -> str:
    """``MEDIATE_PHONE_PIN_KEY``, else the data directory's key file (made here the first time, mode 0600)."""
    if settings.phone_pin_key:
        return settings.phone_pin_key
    path = settings.data_dir / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(32) + "\n")
                out.flush()
                os.fsync(out.fileno())
    return path.read_text().strip()


def keyed(settings: Settings) -> Settings:
    """The settings with the PINs' key resolved, read once at start (server/composition.py) rather
    than from the key file at each link issued or PIN looked up."""
    return settings if settings.phone_pin_key else replace(settings, phone_pin_key=key_of(settings))


def pin_hash(settings: Settings, pin: str) -> str:
    return hmac.new(key_of(settings).encode(), pin.encode(), hashlib.sha256).hexdigest()


async def assign(db: AsyncSession, settings: Settings, link: PartyLink, now: datetime) -> str:
    """Add ``link`` to the session with a PIN no other link holds; return the PIN.

    The insert runs in a savepoint: another transaction may take the same PIN between the check
    and the insert (PostgreSQL), and the unique index then refuses only this draw.

    In a group commit on SQLite the link is instead kept for the batch's end (server/domain/later.py),
    with no savepoint: three statements fewer on SQLite's one connection for each link a booking
    issues. SQLite has one writer, the batch itself, so nothing can take the PIN between the check
    and the insert; the check also misses the PINs this batch's other new links were given.
    """
    kept = later.grouped(db) and db.get_bind().dialect.name == "sqlite"
    if not kept:
        await db.flush()  # what the caller changed before stays out of the savepoint's rollback
    for _ in range(MAX_DRAWS):
        pin = draw()
        hashed = pin_hash(settings, pin)
        if later.holds(db, PartyLink, "pin_hash", hashed):
            continue
        holder = await db.scalar(select(PartyLink).where(PartyLink.pin_hash == hashed))
        if holder is not None:
            if holder.expires_at > now:
                continue
            holder.pin_hash = None  # an expired link's PIN is free again
            await db.flush()
        link.pin_hash = hashed
        if kept:
            later.stage(db, link)
            return pin
        try:
            async with db.begin_nested():
                db.add(link)
                await db.flush()
        except IntegrityError:
            continue
        return pin
    raise Conflict("no free phone PIN was found; try again", reason="no_free_pin")


def notice_values(settings: Settings, pin: str | None) -> dict[str, str]:
    """The parameters a notice of a session to join carries for joining by phone (server/domain/notices.py):
    none unless ``MEDIATE_PHONE_NUMBER`` is set and the link has a PIN."""
    if not settings.phone_number or not pin:
        return {}
    return {"phone": settings.phone_number, "pin": pin}
