"""C2SP signed notes, tlog checkpoints and tlog cosignatures with Ed25519.

* https://c2sp.org/signed-note — text, blank line, ``— <name> <base64(keyid||sig)>`` lines.
  Keys are text-encoded as in Go's ``golang.org/x/mod/sumdb/note``:
  verifier ``<name>+<keyid hex>+<base64(type||pubkey)>`` and signer
  ``PRIVATE+KEY+<name>+<keyid hex>+<base64(type||seed)>``.
* https://c2sp.org/tlog-checkpoint — origin, size and root hash note text.
* https://c2sp.org/tlog-cosignature — Ed25519 type 0x04 witness signatures over
  ``cosignature/v1\\ntime <t>\\n`` + checkpoint, payload ``timestamp(8) || sig(64)``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, Self, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SIG_ED25519 = 0x01
SIG_COSIGNATURE_V1 = 0x04
MAX_SIGNATURES = 100  # signed-note: verifiers SHOULD cap, MUST accept >= 16 (Go caps at 100).
_DASH = "\u2014 "


class NoteError(ValueError):
    """Base class for signed-note, key, checkpoint and cosignature errors."""


class MalformedNoteError(NoteError):
    """The note text does not follow the signed-note grammar."""


class KeyFormatError(NoteError):
    """A verifier or signer key string is malformed or its key ID is wrong."""


class UnknownKeyError(NoteError):
    """No signature in the note is from a known key (signed-note §Signatures: reject)."""

    def __init__(self, signatures: Sequence[Signature]) -> None:
        self.signatures = tuple(signatures)
        keys = ", ".join(f"{s.name}+{s.key_id:08x}" for s in self.signatures)
        super().__init__(f"note has no signature from a known key; unknown key {keys}")


class InvalidSignatureError(NoteError):
    """A signature from a known key does not verify (the whole note is rejected)."""

    def __init__(self, name: str, key_id: int) -> None:
        self.name, self.key_id = name, key_id
        super().__init__(f"invalid signature for key {name}+{key_id:08x}")


class CheckpointError(NoteError):
    """The note text is not a valid tlog-checkpoint."""


def key_id(name: str, sig_type: int, public_key: bytes) -> int:
    """signed-note: SHA-256(name || 0x0A || type || public key)[:4], big-endian."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def is_valid_name(name: str) -> bool:
    """Key names are non-empty, with no Unicode spaces and no ``+`` (signed-note §Format)."""
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError(f"invalid base64 {text!r}") from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class Signature:
    """One signature line: key name, key ID and the bytes after the key ID."""

    name: str
    key_id: int
    signature: bytes

    def line(self) -> str:
        return f"{_DASH}{self.name} {_b64(self.key_id.to_bytes(4, 'big') + self.signature)}\n"


class NoteVerifier(Protocol):
    name: str
    key_id: int

    def verify(self, text: bytes, signature: bytes) -> bool: ...


class NoteSigner(Protocol):
    name: str
    key_id: int

    def sign(self, text: bytes) -> bytes: ...


def _parse_key(text: str, private: bool) -> tuple[str, int, int, bytes]:
    """Split ``[PRIVATE+KEY+]name+hash+base64(type||key)`` like Go's NewVerifier/NewSigner."""
    parts = text.split("+", 4 if private else 2)
    if private:
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise KeyFormatError("signer key must start with PRIVATE+KEY+")
        parts = parts[2:]
    if len(parts) != 3:
        raise KeyFormatError("key must be <name>+<key id>+<base64 key>")
    name, hex_id, b64 = parts
    if not is_valid_name(name):
        raise KeyFormatError(f"invalid key name {name!r}")
    if len(hex_id) != 8 or any(c not in "0123456789abcdefABCDEF" for c in hex_id):
        raise KeyFormatError(f"key id {hex_id!r} is not 8 hex digits")
    try:
        raw = _b64decode(b64)
    except ValueError as e:
        raise KeyFormatError(str(e)) from None
    if len(raw) != 33:
        raise KeyFormatError(f"key material is {len(raw)} bytes, expected type byte + 32")
    return name, int(hex_id, 16), raw[0], raw[1:]


class Verifier:
    """Ed25519 verifier for plain note signatures (type 0x01)."""

    sig_type = SIG_ED25519

    def __init__(self, name: str, public_key: bytes) -> None:
        if not is_valid_name(name):
            raise KeyFormatError(f"invalid key name {name!r}")
        self.name = name
        self.public_key = public_key
        try:
            self._key = Ed25519PublicKey.from_public_bytes(public_key)
        except ValueError as e:
            raise KeyFormatError(f"invalid Ed25519 public key: {e}") from None
        self.key_id = key_id(name, self.sig_type, public_key)

    @classmethod
    def from_vkey(cls, vkey: str) -> Self:
        name, kid, sig_type, pub = _parse_key(vkey, private=False)
        if sig_type != cls.sig_type:
            raise KeyFormatError(f"key type 0x{sig_type:02x} is not 0x{cls.sig_type:02x}")
        verifier = cls(name, pub)
        if verifier.key_id != kid:
            raise KeyFormatError(f"key id {kid:08x} does not match key ({verifier.key_id:08x})")
        return verifier

    def vkey(self) -> str:
        raw = bytes([self.sig_type]) + self.public_key
        return f"{self.name}+{self.key_id:08x}+{_b64(raw)}"

    def verify(self, text: bytes, signature: bytes) -> bool:
        if len(signature) != 64:
            return False
        try:
            self._key.verify(signature, text)
        except InvalidSignature:
            return False
        return True


class Signer:
    """Ed25519 signer for plain note signatures (type 0x01)."""

    sig_type = SIG_ED25519
    verifier_class: type[Verifier] = Verifier

    def __init__(self, name: str, seed: bytes) -> None:
        if len(seed) != 32:
            raise KeyFormatError("Ed25519 seed must be 32 bytes")
        self._seed = seed
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        self._verifier = self.verifier_class(name, self._key.public_key().public_bytes_raw())
        self.name, self.key_id = name, self._verifier.key_id

    @classmethod
    def generate(cls, name: str) -> Self:
        return cls(name, Ed25519PrivateKey.generate().private_bytes_raw())

    @classmethod
    def from_skey(cls, skey: str) -> Self:
        """Parse a signer key; its key ID must match the derived public key."""
        name, kid, sig_type, seed = _parse_key(skey, private=True)
        if sig_type != cls.sig_type:
            raise KeyFormatError(f"key type 0x{sig_type:02x} is not 0x{cls.sig_type:02x}")
        signer = cls(name, seed)
        if signer.key_id != kid:
            raise KeyFormatError(f"key id {kid:08x} does not match key ({signer.key_id:08x})")
        return signer

    def skey(self) -> str:
        raw = bytes([self.sig_type]) + self._seed
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{_b64(raw)}"

    def verifier(self) -> Verifier:
        return self._verifier

    def sign(self, text: bytes) -> bytes:
        return self._key.sign(text)


def _check_text(text: str) -> None:
    """signed-note §Format: valid UTF-8, no control characters other than newline."""
    if any(c < " " and c != "\n" for c in text):
        raise MalformedNoteError("note contains a control character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedNoteError("note is not valid UTF-8") from None


def sign_note(text: str, *signers: NoteSigner) -> str:
    """Sign ``text`` (which must end in a newline) with each signer, in order."""
    _check_text(text)
    if not text.endswith("\n"):
        raise MalformedNoteError("note text must end with a newline")
    if not signers or not all(is_valid_name(s.name) for s in signers):
        raise KeyFormatError("sign_note needs signers with valid key names")
    sigs = [Signature(s.name, s.key_id, s.sign(text.encode())) for s in signers]
    return text + "\n" + "".join(sig.line() for sig in sigs)


def parse_note(note: str) -> tuple[str, list[Signature]]:
    """Split a note into its text and (unverified) signatures."""
    _check_text(note)
    split = note.rfind("\n\n")
    if split < 0:
        raise MalformedNoteError("no blank line before the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block or not block.endswith("\n"):
        raise MalformedNoteError("signature block missing or not newline-terminated")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNoteError(f"more than {MAX_SIGNATURES} signatures")
    sigs = []
    for line in lines:
        if not line.startswith(_DASH):
            raise MalformedNoteError(f"signature line does not start with an em dash: {line!r}")
        name, _, b64 = line[len(_DASH) :].partition(" ")
        try:
            raw = _b64decode(b64)
        except ValueError:
            raw = b""
        if not is_valid_name(name) or len(raw) < 5:
            raise MalformedNoteError(f"malformed signature line {line!r}")
        sigs.append(Signature(name, int.from_bytes(raw[:4], "big"), raw[4:]))
    return text, sigs


def open_note(note: str, verifiers: Iterable[NoteVerifier]) -> tuple[str, list[Signature]]:
    """Verify a note; returns its text and the signatures from known keys.

    Per signed-note §Signatures: lines from unknown (name, key ID) pairs are
    ignored, any known key's bad signature rejects the note, and a note with
    no verified signature is rejected (``UnknownKeyError``).
    """
    text, sigs = parse_note(note)
    known: dict[tuple[str, int], list[NoteVerifier]] = {}
    for v in verifiers:
        known.setdefault((v.name, v.key_id), []).append(v)
    verified: list[Signature] = []
    unknown: list[Signature] = []
    seen: set[tuple[str, int]] = set()
    for sig in sigs:
        candidates = known.get((sig.name, sig.key_id))
        if not candidates:
            unknown.append(sig)
            continue
        if len(candidates) > 1:
            raise NoteError(f"ambiguous key {sig.name}+{sig.key_id:08x}")
        if (sig.name, sig.key_id) in seen:
            continue
        seen.add((sig.name, sig.key_id))
        if not candidates[0].verify(text.encode(), sig.signature):
            raise InvalidSignatureError(sig.name, sig.key_id)
        verified.append(sig)
    if not verified:
        raise UnknownKeyError(unknown)
    return text, verified


@dataclass(frozen=True)
class Checkpoint:
    """tlog-checkpoint note text: origin, tree size, root hash, extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise CheckpointError("origin must be a non-empty single line")
        if not 0 <= self.size < 1 << 64:
            raise CheckpointError(f"tree size {self.size} out of range")
        if len(self.root_hash) != 32:
            raise CheckpointError(f"root hash is {len(self.root_hash)} bytes, expected 32")
        if any(not line or "\n" in line for line in self.extensions):
            raise CheckpointError("extension lines must be non-empty single lines")
        try:
            _check_text(self.format())
        except MalformedNoteError as e:
            raise CheckpointError(str(e)) from None

    def format(self) -> str:
        lines = [self.origin, str(self.size), _b64(self.root_hash), *self.extensions]
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse note text (not a signed note) per tlog-checkpoint §Note text."""
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError(f"checkpoint has {len(lines)} lines, expected at least 3")
        origin, size, root, *ext = lines
        if not (size.isascii() and size.isdecimal()) or (size != "0" and size.startswith("0")):
            raise CheckpointError(f"tree size {size!r} is not a canonical decimal")
        try:
            root_hash = _b64decode(root)
        except ValueError:
            raise CheckpointError(f"root hash {root!r} is not base64") from None
        if len(root_hash) != 32 or _b64(root_hash) != root:
            raise CheckpointError(f"root hash {root!r} is not 32 bytes of canonical base64")
        return cls(origin, int(size), root_hash, tuple(ext))


# --- tlog-cosignature v1 (Ed25519, signature type 0x04) ---


def cosignature_message(body: bytes, timestamp: int) -> bytes:
    """tlog-cosignature §Ed25519 signed message: header and time lines, then the body."""
    return b"cosignature/v1\ntime %d\n" % timestamp + body


class CosignatureVerifier(Verifier):
    """Verifies ``timestamp(8) || ed25519(64)`` payloads against the cosigned message."""

    sig_type = SIG_COSIGNATURE_V1

    def verify(self, text: bytes, signature: bytes) -> bool:
        if len(signature) != 72:
            return False
        timestamp = int.from_bytes(signature[:8], "big")
        if timestamp >= 1 << 63:
            return False
        return super().verify(cosignature_message(text, timestamp), signature[8:])


class CosignatureSigner(Signer):
    """Witness key; ``sign`` uses the current time, ``cosign`` an explicit one."""

    sig_type = SIG_COSIGNATURE_V1
    verifier_class = CosignatureVerifier

    def sign(self, text: bytes, timestamp: int | None = None) -> bytes:
        ts = int(time.time()) if timestamp is None else timestamp
        if not 0 <= ts < 1 << 63:
            raise NoteError(f"cosignature timestamp {ts} outside 0..2^63-1")
        return ts.to_bytes(8, "big") + self._key.sign(cosignature_message(text, ts))

    def verifier(self) -> CosignatureVerifier:
        return cast(CosignatureVerifier, self._verifier)


def cosignature_timestamp(sig: Signature) -> int:
    """The timestamp inside a v1 cosignature payload."""
    if len(sig.signature) != 72:
        raise NoteError(f"cosignature payload is {len(sig.signature)} bytes, expected 72")
    return int.from_bytes(sig.signature[:8], "big")


def cosign(checkpoint_text: str, witness_signer: CosignatureSigner, timestamp: int) -> str:
    """Add a witness cosignature to a checkpoint.

    ``checkpoint_text`` is either a bare checkpoint body or a signed checkpoint
    note (told apart by the blank line a body cannot contain); existing
    signature lines are kept, not verified — verify the log's one first.
    """
    body, sigs = checkpoint_text, list[Signature]()
    if "\n\n" in checkpoint_text:
        body, sigs = parse_note(checkpoint_text)
    Checkpoint.parse(body)
    payload = witness_signer.sign(body.encode(), timestamp)
    new = Signature(witness_signer.name, witness_signer.key_id, payload)
    kept = [s for s in sigs if (s.name, s.key_id) != (new.name, new.key_id)]
    return body + "\n" + "".join(s.line() for s in [*kept, new])


def verify_cosignature(note: str, witness: CosignatureVerifier) -> int:
    """Verify ``witness``'s cosignature on a checkpoint note; returns its timestamp."""
    body, sigs = open_note(note, [witness])
    Checkpoint.parse(body)
    return cosignature_timestamp(sigs[0])
