"""The organisation's seal on the final document, as a PAdES signature any PDF reader can check.

The parties' own signatures live in the evidence log; the seal is what makes the PDF stand on its
own: a reader opens it, sees who sealed it and that nothing changed since, and a court can check it
against the platform CA (or the organisation's own CA) without asking our server.
"""

from __future__ import annotations

import asyncio
import io
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .seal_store import Seal, SealAuthority, SealError

if TYPE_CHECKING:  # pyHanko (with aiohttp under it) takes a fifth of a second to load: only when sealing or checking
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import signers
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
    from pyhanko.sign.validation.status import PdfSignatureStatus

__all__ = ["FIELD_NAME", "Seal", "SealAuthority", "SealCheck", "SealError", "check_seal", "seal_pdf"]

FIELD_NAME = "organisation-seal"


def _asn1_cert(pem: bytes) -> asn1_x509.Certificate:
    der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    return asn1_x509.Certificate.load(der)


def _signer(seal: Seal) -> signers.SimpleSigner:
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = serialization.load_pem_private_key(seal.key_path.read_bytes(), password=None)
    key_der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    chain = [_asn1_cert(pem) for pem in seal.chain_pem]
    return signers.SimpleSigner(
        signing_cert=_asn1_cert(seal.certificate_pem),
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs(chain),  # type: ignore[no-untyped-call]
    )


async def seal_pdf(pdf: bytes, seal: Seal, *, reason: str, location: str, name: str) -> bytes:
    """Append the seal to the PDF as an incremental update (the original bytes stay untouched).

    This is PAdES baseline B-B: the signing time is only what our clock says. B-T would need a
    timestamp authority's token over the signature, and none is reachable from here; with one,
    pass `timestamper=pyhanko.sign.timestamps.HTTPTimeStamper(url)` to PdfSigner below. (B-LT/LTA
    would then add validation info and a document timestamp on top.)

    The signature field is invisible: the signature page already says, in the document's font,
    who seals it; the reader's signature panel shows the cryptographic details.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign import fields, signers
    from pyhanko.sign.general import SigningError

    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location,
        name=name,
    )
    pdf_signer = signers.PdfSigner(meta, _signer(seal), new_field_spec=fields.SigFieldSpec(sig_field_name=FIELD_NAME))
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        out = await pdf_signer.async_sign_pdf(writer)
    except SigningError as exc:
        raise SealError(f"the PDF could not be sealed: {exc}") from exc
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        raise SealError(f"not a PDF that can be sealed: {exc}") from exc
    result: bytes = out.getvalue()
    return result


@dataclass(frozen=True)
class SealCheck:
    intact: bool  # the signed bytes are unmodified and the signature is mathematically valid
    trusted: bool  # the signer's certificate chains to one of the trust roots
    covers_whole_file: bool  # nothing was appended after the signature
    signer: str  # the certificate subject's CN
    signed_at: str | None
    summary: str  # one line in Chinese and English


def _nothing(summary: str) -> SealCheck:
    return SealCheck(False, False, False, "", None, summary)


def _pick(reader: PdfFileReader) -> EmbeddedPdfSignature | None:
    """Our seal if the file has one, else its last signature (someone else's seal is still worth reporting)."""
    found: list[EmbeddedPdfSignature] = reader.embedded_regular_signatures
    for sig in found:
        if sig.field_name == FIELD_NAME:
            return sig
    return found[-1] if found else None


def _summary(intact: bool, trusted: bool, whole: bool, signer: str, later: ModificationLevel | None) -> str:
    from pyhanko.sign.diff_analysis import ModificationLevel

    if not intact:
        return "印章无效：签章后内容被改动或签名不正确 / Seal invalid: the sealed content was altered or the signature does not verify"
    if not trusted:
        return (
            f"签名完整，但{signer}的证书不能链接到可信根证书 / "
            f"Signature intact, but {signer}'s certificate does not chain to a trusted root"
        )
    if not whole and later is not None and later > ModificationLevel.LTA_UPDATES:
        return (
            f"{signer}的签名本身有效，但签章后文件被改动，改动不属于允许的范围 / "
            f"{signer}'s signature verifies, but the file was changed after sealing in ways a seal does not allow"
        )
    if not whole:
        return (
            f"{signer}的印章有效，但签章后文件又被追加了内容 / "
            f"Seal by {signer} is valid, but content was added to the file after sealing"
        )
    return f"{signer}的印章有效，签章后文件未被改动 / Seal by {signer} is valid and the file is unchanged since sealing"


async def _check(pdf: bytes, trust_roots_pem: list[bytes]) -> SealCheck:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        roots = [_asn1_cert(pem) for pem in trust_roots_pem]
    except ValueError as exc:
        return _nothing(f"信任根证书无法读取 / A trust root could not be read: {exc}")
    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        sig = _pick(reader)
        if sig is None:
            return _nothing("文件没有电子印章 / The file carries no seal (no PDF signature)")
        # No fetching: a court's offline check must give the same answer as ours.
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        status: PdfSignatureStatus = await async_validate_pdf_signature(sig, context)
    except Exception as exc:  # noqa: BLE001 -- bytes from anywhere: any parse failure is an answer, not a crash
        return _nothing(f"无法读取 PDF 或其签名 / The PDF or its signature cannot be read: {type(exc).__name__}: {exc}")
    intact = bool(status.intact and status.valid)
    trusted = bool(status.trusted)
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    signer = str(status.signing_cert.subject.native.get("common_name", ""))
    signed_at = status.signer_reported_dt.isoformat() if status.signer_reported_dt else None
    summary = _summary(intact, trusted, whole, signer, status.modification_level)
    return SealCheck(intact, trusted, whole, signer, signed_at, summary)


def check_seal(pdf: bytes, trust_roots_pem: list[bytes]) -> SealCheck:
    """Check the seal with pyHanko's validator, never raising for bad input.

    pyHanko's synchronous validate_pdf_signature wraps the async one in asyncio.run(), which fails
    inside a running event loop; this runs the async validator itself, on a helper thread when
    called from a loop. Validation is CPU-bound (parsing, hashing, diff analysis): from a request
    handler, prefer `await loop.run_in_executor(None, check_seal, pdf, roots)`.
    """
    try:
        asyncio.get_running_loop()
        in_loop = True
    except RuntimeError:
        in_loop = False
    if not in_loop:
        return asyncio.run(_check(pdf, trust_roots_pem))
    box: list[SealCheck] = []
    thread = threading.Thread(target=lambda: box.append(asyncio.run(_check(pdf, trust_roots_pem))), name="check_seal")
    thread.start()
    thread.join()
    return box[0] if box else _nothing("验证意外中止 / The check stopped unexpectedly")
