"""Tests for server.evidence.note: Go-produced signed notes, checkpoints, cosignatures."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.evidence.note import (
    Checkpoint,
    CheckpointError,
    CosignatureSigner,
    CosignatureVerifier,
    InvalidSignatureError,
    KeyFormatError,
    MalformedNoteError,
    NoteError,
    Signature,
    Signer,
    UnknownKeyError,
    Verifier,
    cosign,
    cosignature_timestamp,
    open_note,
    parse_note,
    sign_note,
    verify_cosignature,
)

# Source: github.com/golang/mod, sumdb/note/note_test.go (TestNewVerifier, TestNewSigner,
# TestSign, TestOpen): keys and the exact note Go's note.Sign produces.
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
ENOCH_SIG = "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

# Source: github.com/transparency-dev/formats, note/note_cosigv1_test.go
# (TestCoSigV1NewVerifier, TestCosignatureTimestamp): a native type-0x04 witness key,
# a type-0x01 key, and a real cosignature whose embedded timestamp is 1727964367.
REMORA_COSIG_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
TEST_VKEY = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"
REAL_COSIG = "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA=="

# Source: github.com/C2SP/C2SP, tlog-checkpoint.md and tlog-cosignature.md (examples).
SPEC_CHECKPOINT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_COSIG_LINE = (
    "\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcr"
    "tPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)


def peter() -> Verifier:
    return Verifier.from_vkey(PETER_VKEY)


# --- Keys -------------------------------------------------------------------------------


def test_go_keys_parse_and_round_trip() -> None:
    signer = Signer.from_skey(PETER_SKEY)
    assert signer.skey() == PETER_SKEY
    assert signer.verifier().vkey() == PETER_VKEY
    assert peter().key_id == 0xC74F20A3
    assert Verifier.from_vkey(ENOCH_VKEY).key_id == 0xAF0CFE78
    assert Verifier.from_vkey(TEST_VKEY).key_id == 0x7997405C


def test_cosignature_key_id_uses_type_4() -> None:
    v = CosignatureVerifier.from_vkey(REMORA_COSIG_VKEY)
    assert v.key_id == 0xDA77ADE7 and v.vkey() == REMORA_COSIG_VKEY
    with pytest.raises(KeyFormatError):
        Verifier.from_vkey(REMORA_COSIG_VKEY)  # type 0x04 is not a plain note key
    with pytest.raises(KeyFormatError):
        CosignatureVerifier.from_vkey(PETER_VKEY)


def test_mangled_verifier_keys_are_rejected() -> None:
    # Same manglings as Go's TestNewVerifier: every proper substring, every +1 byte.
    b = PETER_VKEY
    for i in range(len(b) + 1):
        for j in range(i + 1, len(b) + 1):
            if (i, j) != (0, len(b)):
                with pytest.raises(KeyFormatError):
                    Verifier.from_vkey(b[i:j])
    for i in range(len(b)):
        with pytest.raises(KeyFormatError):
            Verifier.from_vkey(b[:i] + chr(ord(b[i]) + 1) + b[i + 1 :])
    for bad in (
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ):
        with pytest.raises(KeyFormatError):
            Verifier.from_vkey(bad)


def test_mangled_signer_keys_are_rejected() -> None:
    b = PETER_SKEY
    for i in range(len(b)):
        with pytest.raises(KeyFormatError):
            Signer.from_skey(b[:i] + chr(ord(b[i]) + 1) + b[i + 1 :])
    for cut in range(1, len(b)):
        with pytest.raises(KeyFormatError):
            Signer.from_skey(b[:cut])


# --- Signed notes -----------------------------------------------------------------------


def test_sign_matches_go_output_exactly() -> None:
    assert sign_note(TEXT, Signer.from_skey(PETER_SKEY)) == TEXT + "\n" + PETER_SIG


def test_open_go_note() -> None:
    text, sigs = open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [peter()])
    assert text == TEXT
    assert [(s.name, s.key_id) for s in sigs] == [("PeterNeumann", 0xC74F20A3)]
    both = [peter(), Verifier.from_vkey(ENOCH_VKEY)]
    _, sigs = open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, both)
    assert [s.name for s in sigs] == ["PeterNeumann", "EnochRoot"]


@given(st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=200).map(lambda s: s + "\n"))
@settings(max_examples=50, deadline=None)
def test_sign_open_round_trip(text: str) -> None:
    signer = Signer.generate("example.com/log")
    got, sigs = open_note(sign_note(text, signer), [signer.verifier()])
    assert got == text and sigs[0].name == "example.com/log"


def test_unknown_key_is_reported() -> None:
    with pytest.raises(UnknownKeyError, match=r"unknown key EnochRoot\+af0cfe78"):
        open_note(TEXT + "\n" + ENOCH_SIG, [peter()])
    with pytest.raises(UnknownKeyError, match=r"PeterNeumann\+c74f20a3"):
        open_note(TEXT + "\n" + PETER_SIG, [])
    # Same name, other key: still unknown (signed-note: match on name *and* key ID).
    other = Signer.generate("PeterNeumann")
    with pytest.raises(UnknownKeyError):
        open_note(TEXT + "\n" + PETER_SIG, [other.verifier()])


def test_tampered_text_or_signature_is_rejected() -> None:
    with pytest.raises(InvalidSignatureError, match=r"PeterNeumann\+c74f20a3"):
        open_note(TEXT.replace("cryptography", "cryptanalysis") + "\n" + PETER_SIG, [peter()])
    tampered = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]  # as in Go's TestOpen
    with pytest.raises(InvalidSignatureError):
        open_note(TEXT + "\n" + tampered, [peter()])
    raw = bytearray(base64.b64decode(PETER_SIG.split()[-1]))
    raw[-1] ^= 1
    flipped = "\u2014 PeterNeumann " + base64.b64encode(bytes(raw)).decode() + "\n"
    with pytest.raises(InvalidSignatureError):
        open_note(TEXT + "\n" + flipped, [peter()])
    # A known key's bad signature rejects the note even if another signature is good.
    with pytest.raises(InvalidSignatureError):
        open_note(TEXT + "\n" + ENOCH_SIG + flipped, [peter(), Verifier.from_vkey(ENOCH_VKEY)])


@pytest.mark.parametrize(
    "note",
    [  # Go's TestOpen badMsgs, plus a few more.
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Bad Name"),
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        TEXT + "\n" + PETER_SIG.replace("\u2014", "-"),
        TEXT + "\n" + PETER_SIG.replace("x08go", "x08g!"),
        TEXT + "\n" + "\u2014 PeterNeumann AAAA\n",
        TEXT + "\n" + PETER_SIG * 101,
    ],
)
def test_malformed_notes(note: str) -> None:
    with pytest.raises(MalformedNoteError):
        open_note(note, [peter()])


def test_sign_rejects_bad_text() -> None:
    signer = Signer.from_skey(PETER_SKEY)
    for text in ("abc", "tab\there\n", ""):
        with pytest.raises(MalformedNoteError):
            sign_note(text, signer)


def test_ambiguous_verifiers() -> None:
    enoch = Verifier.from_vkey(ENOCH_VKEY)
    with pytest.raises(NoteError, match="ambiguous key EnochRoot"):
        open_note(TEXT + "\n" + ENOCH_SIG, [enoch, peter(), enoch])
    open_note(TEXT + "\n" + PETER_SIG, [enoch, peter(), enoch])  # unused duplicate is fine


# --- Checkpoints ------------------------------------------------------------------------


def test_checkpoint_round_trip() -> None:
    cp = Checkpoint.parse(SPEC_CHECKPOINT)
    assert (cp.origin, cp.size) == ("example.com/behind-the-sofa", 20852163)
    assert cp.root_hash == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert cp.format() == SPEC_CHECKPOINT
    ext = Checkpoint("log.example/a", 0, bytes(32), ("ext one", "ext two"))
    assert Checkpoint.parse(ext.format()) == ext


@given(
    st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1),
    st.integers(0, 2**64 - 1),
    st.binary(min_size=32, max_size=32),
)
@settings(max_examples=100, deadline=None)
def test_checkpoint_round_trip_property(origin: str, size: int, root: bytes) -> None:
    cp = Checkpoint(origin, size, root)
    assert Checkpoint.parse(cp.format()) == cp


ROOT_B64 = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="


@pytest.mark.parametrize(
    "text",
    [
        "example.com/log\n5\n",  # missing root line
        "example.com/log\n",
        "",
        f"example.com/log\n5\n{ROOT_B64}",  # no final newline
        f"\n5\n{ROOT_B64}\n",  # empty origin
        f"example.com/log\nfive\n{ROOT_B64}\n",
        f"example.com/log\n-5\n{ROOT_B64}\n",
        f"example.com/log\n+5\n{ROOT_B64}\n",
        f"example.com/log\n05\n{ROOT_B64}\n",
        f"example.com/log\n 5\n{ROOT_B64}\n",
        f"example.com/log\n\u0665\n{ROOT_B64}\n",  # non-ASCII digit
        f"example.com/log\n{2**64}\n{ROOT_B64}\n",
        "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",  # no padding
        "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jx\n",  # 30 bytes
        f"example.com/log\n5\n{base64.b64encode(bytes(33)).decode()}\n",
        "example.com/log\n5\nnot*base64*at*all*really*not*base64*at*all=\n",
        f"example.com/log\n5\n{ROOT_B64}\n\n",  # empty extension line
        f"example.com/log\n5\n{ROOT_B64}\n\n\u2014 sig AAAA\n",  # a signed note, not a body
    ],
)
def test_malformed_checkpoints(text: str) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint.parse(text)


def test_checkpoint_constructor_validates() -> None:
    with pytest.raises(CheckpointError):
        Checkpoint("", 1, bytes(32))
    with pytest.raises(CheckpointError):
        Checkpoint("a", -1, bytes(32))
    with pytest.raises(CheckpointError):
        Checkpoint("a", 1, bytes(31))
    with pytest.raises(CheckpointError):
        Checkpoint("a", 1, bytes(32), ("",))


# --- Cosignatures -----------------------------------------------------------------------


def test_cosignature_payload_layout_matches_published_examples() -> None:
    _, sigs = parse_note(SPEC_CHECKPOINT + "\n" + SPEC_COSIG_LINE)
    assert cosignature_timestamp(sigs[0]) == 1679315147  # the spec's "time 1679315147"
    raw = base64.b64decode(REAL_COSIG)
    sig = Signature("w", int.from_bytes(raw[:4], "big"), raw[4:])
    assert cosignature_timestamp(sig) == 1727964367


def test_cosign_round_trip_on_log_signed_checkpoint() -> None:
    log = Signer.generate("example.com/behind-the-sofa")
    witness = CosignatureSigner.generate("witness.example.com/w1")
    signed = sign_note(SPEC_CHECKPOINT, log)
    cosigned = cosign(signed, witness, 1679315147)
    assert cosigned.startswith(signed)  # the log's line is kept, cosignature appended
    assert verify_cosignature(cosigned, witness.verifier()) == 1679315147
    # Both signatures verify in one pass, each with its own algorithm.
    _, sigs = open_note(cosigned, [log.verifier(), witness.verifier()])
    assert [s.name for s in sigs] == [log.name, witness.name]
    # The witness key's plain-note verifier (type 0x01 key ID) does not match the line.
    plain = Verifier(witness.name, witness.verifier().public_key)
    with pytest.raises(UnknownKeyError):
        open_note(cosign(SPEC_CHECKPOINT, witness, 1), [plain])


def test_cosign_bare_body_and_resign_replaces_line() -> None:
    witness = CosignatureSigner.generate("witness.example/w")
    once = cosign(SPEC_CHECKPOINT, witness, 100)
    twice = cosign(once, witness, 200)
    assert twice.count("\u2014 ") == 1
    assert verify_cosignature(twice, witness.verifier()) == 200


def test_cosignature_rejects_changed_timestamp_or_checkpoint() -> None:
    witness = CosignatureSigner.generate("witness.example/w")
    cosigned = cosign(SPEC_CHECKPOINT, witness, 1679315147)
    _, (sig,) = parse_note(cosigned)
    later = Signature(sig.name, sig.key_id, (1679315148).to_bytes(8, "big") + sig.signature[8:])
    with pytest.raises(InvalidSignatureError):
        verify_cosignature(SPEC_CHECKPOINT + "\n" + later.line(), witness.verifier())
    changed = SPEC_CHECKPOINT.replace("20852163", "20852164")
    with pytest.raises(InvalidSignatureError):
        verify_cosignature(changed + "\n" + sig.line(), witness.verifier())
    other = CosignatureSigner.generate("witness.example/w")
    with pytest.raises(UnknownKeyError):
        verify_cosignature(cosigned, other.verifier())


def test_cosign_rejects_non_checkpoints_and_bad_timestamps() -> None:
    witness = CosignatureSigner.generate("witness.example/w")
    with pytest.raises(CheckpointError):
        cosign("just a note\n", witness, 1)
    for ts in (-1, 2**63):
        with pytest.raises(NoteError):
            cosign(SPEC_CHECKPOINT, witness, ts)
