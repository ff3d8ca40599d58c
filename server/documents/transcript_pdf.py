"""The mediation record (人民调解记录 / 调解笔录) as PDF, in the form the committees file it.

The case file's record (司法部 case-file list, item 7: "记录经当事人校阅…由当事人、调解员、记录人
签名") has the head (title, case number, time, place, matter, mediator, recorder, those present),
the body, then the signatures. The head and the body are the version's text exactly as it was
hashed and signed (server/domain/transcript_text.py composes it), printed line for line, so a
reader can recompute the SHA-256 printed below it. What the text cannot hold is added after it:
each party's signature line (signed with their own key, on which date, which version and its
hash) with the disagreement the party noted beside it, then the mediator's and the recorder's
lines, with blanks to sign by hand on the filed paper (the platform keeps no key-signature of
theirs on the record).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from .fonts import register_cjk_font
from .layout import build_document, make_styles, para


@dataclass(frozen=True)
class TranscriptSignature:
    name: str
    role: str  # in words: 申请人 / 被申请人
    signed_at: str  # display date, e.g. "2026年12月5日 14:05"
    method: str  # in words (server.evidence.vocabulary.method_words)
    seq: int  # the transcript_signed record's number in the case's log
    disagreement: str  # the party's note, "" if none


@dataclass(frozen=True)
class TranscriptDoc:
    case_number: str
    organisation: str
    version: int
    text: str  # the version's text, as hashed
    text_sha256: str
    version_seq: int  # the transcript_version record
    signatures: list[TranscriptSignature]
    mediators: list[str]
    recorder: str
    made_at: str  # display time


def render_transcript(doc: TranscriptDoc, font: Path | None = None) -> bytes:
    """The same input gives the same bytes (layout.build_document)."""
    name = register_cjk_font(font)
    styles = make_styles(name)
    lines = doc.text.rstrip("\n").split("\n")
    flowables: list[Flowable] = [para(lines[0], styles.title)]
    for line in lines[1:]:
        flowables.append(para(line, styles.body) if line.strip() else Spacer(1, 2 * mm))
    flowables += [
        Spacer(1, 4 * mm),
        para(
            f"本记录为第{doc.version}版，记录文本 SHA-256：{doc.text_sha256}（证据日志第{doc.version_seq}号记录）。",
            styles.small,
        ),
        Spacer(1, 4 * mm),
        para("当事人签名（本人密钥电子签名）", styles.heading),
    ]
    for s in doc.signatures:
        block = [
            para(
                f"{s.role}：{s.name}　已于{s.signed_at}以本人密钥电子签名确认本记录第{doc.version}版"
                f"（{s.method}；证据日志第{s.seq}号记录；所签文本 SHA-256：{doc.text_sha256}）。",
                styles.body,
            ),
            para(f"不同意见：{s.disagreement}" if s.disagreement else "不同意见：无", styles.body),
        ]
        flowables.append(KeepTogether(block))
    flowables += [
        Spacer(1, 6 * mm),
        KeepTogether(
            [
                para("调解员、记录人签名", styles.heading),
                para(f"调解员：{'、'.join(doc.mediators)}　签名：＿＿＿＿＿＿＿＿　日期：＿＿＿＿＿＿", styles.body),
                para(f"记录人：{doc.recorder or '＿＿＿＿'}　签名：＿＿＿＿＿＿＿＿　日期：＿＿＿＿＿＿", styles.body),
                para(f"{doc.organisation}　　本文件由平台于{doc.made_at}在各方当事人签名后生成。", styles.small),
            ]
        ),
    ]
    footer = f"{doc.case_number} · 调解记录第 {doc.version} 版 · 文本 SHA-256 {doc.text_sha256[:16]}…"
    return build_document(
        flowables, title="人民调解记录", author=doc.organisation, subject=doc.case_number, footer=footer, font=name
    )
