"""Cryptographic core of the evidence ledger.

Pure functions and small classes for an append-only transparency log:
RFC 6962 / RFC 9162 Merkle hashing and proofs (``merkle``), and the C2SP
signed-note, tlog-checkpoint and tlog-cosignature text formats (``note``).
Only the standard library and ``cryptography`` are used, so this package can
be audited, and reused by offline verifiers, without the rest of the server.
"""
