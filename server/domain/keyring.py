"""The platform's own keys: the log key, the platform (co-signing) key and the recorder key.

They are generated on first start into `<data dir>/keys/keyring.json` (mode 0600). Rotation
adds a new key and closes the old one's validity; no key is ever removed, so every record and
checkpoint ever signed stays verifiable and every key ever used is published.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from server.evidence import note
from server.evidence.records import Ed25519Signer, KeyInfo, b64, key_id, spki_of, timestamp, unb64
from server.settings import is_loopback_host

PURPOSES = ("log", "platform", "recorder")


class KeyringError(RuntimeError):
    """The keyring file is missing, unreadable or not ours."""


@dataclass(frozen=True)
class PlatformKey:
    purpose: str
    seed: bytes
    valid_from: str
    valid_until: str | None

    @property
    def private(self) -> ed25519.Ed25519PrivateKey:
        return ed25519.Ed25519PrivateKey.from_private_bytes(self.seed)

    def info(self) -> KeyInfo:
        spki = spki_of(self.private.public_key())
        return KeyInfo(
            key_id(spki),
            "ed25519",
            spki,
            self.purpose,
            {"kind": "platform", "id": self.purpose},
            self.valid_from,
            self.valid_until,
        )

    def signer(self) -> Ed25519Signer:
        return Ed25519Signer(self.private, self.info())


def provisional_origin() -> str:
    """A unique name for a log whose server has no public address yet (RFC 2606 ``.invalid``).

    Unique, so two installations tried out on ``localhost`` are never taken for one log by a
    witness or a court; never a loopback name; and plainly not an address.
    """
    return f"mediate-{secrets.token_hex(6)}.invalid/log"


class Keyring:
    def __init__(self, path: Path, origin: str, keys: list[PlatformKey], *, provisional: bool = False) -> None:
        self.path = path
        self.origin = origin
        self.keys = keys
        # The origin was made up for lack of a public address and may still be replaced by one
        # (``adopt_origin``) as long as nothing has been logged under it.
        self.provisional = provisional

    # -- loading ---------------------------------------------------------------------------

    @classmethod
    def open(cls, data_dir: Path, default_origin: str | None) -> Keyring:
        """Load the keyring, creating it on first start.

        The log's origin is fixed for life once records are logged under it. ``default_origin``
        is the one taken from the public address (or ``MEDIATE_LOG_ORIGIN``); None when there is
        no public address yet, and the log then gets a provisional name (``provisional_origin``).
        """
        path = data_dir / "keys" / "keyring.json"
        if path.exists():
            return cls._read(path)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        now = timestamp()
        keys = [PlatformKey(p, secrets.token_bytes(32), now, None) for p in PURPOSES]
        ring = cls(path, default_origin or provisional_origin(), keys, provisional=default_origin is None)
        ring._write(exclusive=True)
        return cls._read(path)  # another process may have won the race; its file is the one

    @classmethod
    def _read(cls, path: Path) -> Keyring:
        try:
            data = json.loads(path.read_text())
            keys = [PlatformKey(k["purpose"], unb64(k["seed"]), k["valid_from"], k.get("valid_until")) for k in data["keys"]]
            origin = str(data["origin"])
            # Keyrings written before provisional names existed took "localhost:PORT/log" when
            # no public URL was set: such a name is as replaceable as a provisional one.
            provisional = bool(data.get("provisional")) or is_loopback_host(origin.split("/", 1)[0].rsplit(":", 1)[0])
            return cls(path, origin, keys, provisional=provisional)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise KeyringError(f"cannot read the keyring {path}: {exc}") from exc

    def _write(self, exclusive: bool = False) -> None:
        payload = {
            "origin": self.origin,
            "provisional": self.provisional,
            "keys": [
                {
                    "purpose": k.purpose,
                    "seed": b64(k.seed),
                    "valid_from": k.valid_from,
                    "valid_until": k.valid_until,
                    "id": k.info().id,
                }
                for k in self.keys
            ],
        }
        text = json.dumps(payload, indent=2)
        if exclusive:
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return
        else:
            tmp = self.path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if not exclusive:
            os.replace(tmp, self.path)

    def adopt_origin(self, origin: str) -> None:
        """Name the log after the public address, replacing a provisional name.

        Only for a log with nothing under its old name: the caller (``Ledger.adopt_origin``) checks
        that no record, pending record or checkpoint exists, since every claim and checkpoint
        carries the origin and a renamed log would no longer verify.
        """
        if not self.provisional:
            raise KeyringError(f"the log is named {self.origin} for life")
        self.origin, self.provisional = origin, False
        self._write()

    # -- use ---------------------------------------------------------------------------------

    def current(self, purpose: str) -> PlatformKey:
        live = [k for k in self.keys if k.purpose == purpose and k.valid_until is None]
        if len(live) != 1:
            raise KeyringError(f"the keyring has {len(live)} current {purpose} keys")
        return live[0]

    def signer(self, purpose: str) -> Ed25519Signer:
        return self.current(purpose).signer()

    def note_signer(self) -> note.Signer:
        """The log key as a C2SP signed-note signer; its key name is the log's origin."""
        return note.Signer(self.origin, self.current("log").seed)

    def note_verifiers(self) -> list[note.Verifier]:
        return [note.Signer(self.origin, k.seed).verifier() for k in self.keys if k.purpose == "log"]

    def vkey(self) -> str:
        return self.note_signer().verifier().vkey()

    def infos(self) -> list[KeyInfo]:
        return [k.info() for k in self.keys]

    def rotate(self, purpose: str, when: datetime | None = None) -> KeyInfo:
        """Close the current key's validity and start a new one. The log key's origin stays."""
        now = timestamp(when)
        old = self.current(purpose)
        self.keys = [PlatformKey(k.purpose, k.seed, k.valid_from, now) if k is old else k for k in self.keys] + [
            PlatformKey(purpose, secrets.token_bytes(32), now, None)
        ]
        self._write()
        return self.current(purpose).info()

    def public_document(self) -> dict[str, Any]:
        """What `/.well-known/mediate-keys.json` and every bundle publish."""
        vkeys = [v.vkey() for v in self.note_verifiers()]
        return {
            "log": {"origin": self.origin, "vkey": self.vkey(), "all_vkeys": vkeys},
            "keys": [k.to_json() for k in self.infos()],
        }
