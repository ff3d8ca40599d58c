"""What goes into an agreement document, already in words.

The callers turn database rows into these plain values (times in the case's time zone, roles and
methods in Chinese), so the renderer never has to know about enums, time zones or translations and
the same input always gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AgreementDoc:
    organisation: str  # e.g. "朝阳区人民调解委员会"
    case_number: str  # e.g. "（2026）朝调字第12号"
    title: str  # "人民调解协议书"
    version: int
    text: str  # the whole agreement text; lines separated by "\n"; a blank line separates paragraphs
    text_sha256: str  # hex SHA-256 of text.encode("utf-8"), computed by the caller
    generated_at: str  # a display time, e.g. "2026-12-03 16:05 (北京时间)"


@dataclass(frozen=True)
class SignerLine:
    name: str
    role: str  # in words, e.g. "申请人" / "调解员"
    signed_at: str  # display time
    method: str  # in words, e.g. "设备密钥 (ECDSA P-256)"
    log_index: int | None  # position in the public evidence log, None while not yet logged
    seq: int  # the record's number in the case
    key_id: str
    handwriting_png: bytes | None = field(default=None, repr=False)  # an optional drawn signature


@dataclass(frozen=True)
class CertificateLine:
    time: str
    event: str
    actor: str
    seq: int
    log_index: int | None
    record_hash: str  # hex


@dataclass(frozen=True)
class SignedDoc:
    agreement: AgreementDoc
    agreement_pdf_sha256: str  # hex SHA-256 of the PDF the parties signed (render_agreement's output)
    signers: list[SignerLine]
    certificate: list[CertificateLine]
    verify_url: str  # e.g. "https://tiaojie.example.cn/v/7KQ2-M9XD"
    verify_code: str  # e.g. "7KQ2-M9XD"
    log_origin: str
    checkpoint: str | None = None  # e.g. "size 1234, root ab12…", or None before one is published
    seal_organisation: str = ""  # who seals it, for the sentence on the signature page
    seal_method: str = "电子印章（PAdES 数字签名）"  # the seal in words (server.evidence.vocabulary "org_seal")
    seal_certificate_sha256: str = ""  # hex SHA-256 of the seal's certificate, if known when rendering
