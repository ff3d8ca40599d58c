"""Segments at rest: AES-256-GCM under a data key per recording, wrapped by a master key.

The master key comes from the settings (``MEDIATE_RECORDING_KEY``, 32 bytes in base64) or,
on the embedded deployment, from ``recording-master.key`` in the data directory, made on first
start. Only the wrapped data key is stored with a recording, so the database and the disk
together reveal no media without the master key. The hashes in the chain and the manifests
are of the *plaintext* segments: that is what an evidence bundle carries and a court checks.

A sealed segment is ``nonce (12 bytes) || ciphertext+tag``; its associated data is the
recording id and segment number, so a sealed segment moved to another place fails to open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class RecordingKeyError(ValueError):
    """A key is missing, malformed or does not open what it is given."""


@dataclass(frozen=True)
class MasterKey:
    key: bytes

    @property
    def id(self) -> str:
        return hashlib.sha256(b"mediate recording master key\x00" + self.key).hexdigest()[:16]

    @classmethod
    def from_text(cls, text: str) -> MasterKey:
        try:
            key = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise RecordingKeyError("the recording master key is not base64") from None
        if len(key) != 32:
            raise RecordingKeyError("the recording master key must be 32 bytes (AES-256)")
        return cls(key)

    @classmethod
    def load(cls, configured: str | None, data_dir: Path) -> MasterKey:
        """The configured key, or the embedded deployment's key file (made on first start, mode 0600)."""
        if configured:
            return cls.from_text(configured)
        path = data_dir / "recording-master.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process made it first
            else:
                with os.fdopen(fd, "w") as out:
                    out.write(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
                    out.flush()
                    os.fsync(out.fileno())
        return cls.from_text(path.read_text())

    def wrap(self, data_key: bytes) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + AESGCM(self.key).encrypt(nonce, data_key, b"mediate data key")

    def unwrap(self, wrapped: bytes) -> bytes:
        try:
            return AESGCM(self.key).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], b"mediate data key")
        except InvalidTag:
            raise RecordingKeyError("this data key was not wrapped by this master key") from None


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def _aad(recording_id: str, index: int) -> bytes:
    return f"mediate segment {recording_id} {index}".encode()


def seal(data_key: bytes, recording_id: str, index: int, plaintext: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(data_key).encrypt(nonce, plaintext, _aad(recording_id, index))


def open_sealed(data_key: bytes, recording_id: str, index: int, sealed: bytes) -> bytes:
    try:
        return AESGCM(data_key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _aad(recording_id, index))
    except InvalidTag:
        raise RecordingKeyError(f"segment {index} of recording {recording_id} does not open: altered or misplaced") from None
