"""Zip members as the bundle, the filing package and the snapshot export write them (#24).

Each member is stored or deflated by its kind (:func:`compression_for`): a session's WebM, a
picture, a PDF or a zip is compressed already, and deflating it again spent the export's CPU for
under one percent. A member as big as a case's recordings (an evidence bundle inside a package) is
copied from a file a chunk at a time (:func:`copy_member`), never held whole, and a file's SHA-256
is read back from disk the same way (:func:`file_sha256`): zipfile rewrites each member's header once
the member's CRC is known, so a zip's bytes are final only when it is closed.
"""

from __future__ import annotations

import hashlib
import time
import zipfile
from typing import IO

CHUNK = 1024 * 1024

#: Kinds whose bytes are compressed already (recordings, pictures, PDFs, archives), by suffix.
ALREADY_COMPRESSED = frozenset(
    {".webm", ".mp4", ".m4a", ".ogg", ".opus", ".mkv", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", ".zip", ".gz"}
)


def compression_for(name: str) -> int:
    """Stored if the member's kind is compressed already (its suffix says), else deflated.

    Any zip reader reads both, and ``mediate verify`` accepts both: a bundle's manifest lists its
    files' own hashes, which do not depend on how the zip holds them.
    """
    base = name.rsplit("/", 1)[-1]
    dot = base.rfind(".")
    return zipfile.ZIP_STORED if dot > 0 and base[dot:].lower() in ALREADY_COMPRESSED else zipfile.ZIP_DEFLATED


def member_info(name: str) -> zipfile.ZipInfo:
    """A member as ``ZipFile.writestr(name, …)`` makes one (dated now, mode 0600), compressed by its kind."""
    info = zipfile.ZipInfo(name, time.localtime(time.time())[:6])
    info.compress_type = compression_for(name)
    info.external_attr = 0o600 << 16
    return info


def write_member(zf: zipfile.ZipFile, name: str, data: bytes | str) -> None:
    """A small member, held whole."""
    zf.writestr(member_info(name), data)


def copy_member(zf: zipfile.ZipFile, name: str, source: IO[bytes], size: int) -> None:
    """``source``, from its start, into the member ``name`` a chunk at a time.

    ``size`` is declared first, as ``writestr`` declares it, so zipfile decides on zip64 from it
    (a member over 4 GiB needs it in its local header, which is written before the data).
    """
    info = member_info(name)
    info.file_size = size
    source.seek(0)
    with zf.open(info, "w") as member:
        while chunk := source.read(CHUNK):
            member.write(chunk)
    # zipfile checks the count itself ("File size too large") only past the zip64 limit.
    if info.file_size != size:
        raise ValueError(f"{name}: {info.file_size} bytes copied, {size} expected")


def file_sha256(fp: IO[bytes], start: int = 0) -> tuple[str, int]:
    """The hex SHA-256 and size of ``fp``'s bytes from ``start`` to its end, read a chunk at a time.

    Leaves ``fp`` at its end, where a writer left it.
    """
    fp.seek(start)
    digest, size = hashlib.sha256(), 0
    while chunk := fp.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size
