"""The mediation record's words: the draft's parts, their limits, and the text composed from them.

The layout is the committees' form for the record of a mediation (人民调解记录, the case file's
"调解笔录", item 7 of the 司法部 case-file list): a head with the time, the place, the matter, the
mediator, the recorder (记录人) and everyone present, then the body, then the signatures of the
parties, the mediator and the recorder, made after the parties have read it. Online, the place is
"线上视频调解" (人民法院在线调解规则 art. 22 lets the online record stand for the paper one).

The body keeps what the form asks: what each side said (the lines the mediator writes, each
starting with who spoke: "问：", "张三：" …), the facts both sides accept (无争议事实, which art. 22
says are confirmed in writing even when a recording stands for the record), the mediator's
proposals, and an oral agreement reached in the session: 人民调解法 art. 28 lets the parties agree
orally and art. 30 has the mediator write it down ("口头调解协议自各方当事人达成协议之日起生效").

The composed text is what is hashed and signed. It is deterministic: the same content, case and
session give the same bytes, and any change shows in the SHA-256.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server.errors import FieldError, InvalidInput

TITLE = "人民调解记录"
PLACE = "线上视频调解"
#: Characters across every part: the whole draft travels in one Socket.IO message (64 KiB, signaling/server.py).
MAX_TOTAL = 15000
MAX_NAME = 100
MAX_PRESENT = 40
ROLE_WORDS = {
    "applicant": "申请人",
    "respondent": "被申请人",
    "agent": "委托代理人",
    "interpreter": "翻译人员",
    "invited": "参加人",
    "mediator": "调解员",
}
PARTS = ("statements", "facts", "proposals", "agreement")
RECORDING_INSTEAD = (
    "经双方当事人签名同意，本次调解以录音录像代替对当事人陈述的记录（《人民法院在线调解规则》第二十二条）；"
    "双方无争议的事实以本记录书面确认。"
)


@dataclass(frozen=True)
class Present:
    name: str
    role: str


@dataclass(frozen=True)
class Content:
    """The writer's parts of the record; everything else in the text comes from the case."""

    recorder: str = ""
    present: tuple[Present, ...] = field(default_factory=tuple)
    statements: str = ""
    facts: str = ""
    proposals: str = ""
    agreement: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "recorder": self.recorder,
            "present": [{"name": p.name, "role": p.role} for p in self.present],
            "statements": self.statements,
            "facts": self.facts,
            "proposals": self.proposals,
            "agreement": self.agreement,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Content:
        return cls(
            recorder=str(data.get("recorder", "")),
            present=tuple(Present(str(p["name"]), str(p["role"])) for p in data.get("present", [])),
            **{part: str(data.get(part, "")) for part in PARTS},
        )


def _clean(text: Any) -> str:
    """Line ends as \\n, no trailing blanks: the same words give the same bytes whatever the browser sent."""
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def parse(data: Any) -> Content:
    """The draft as sent by the writer (HTTP or the live page), checked in one place."""
    if not isinstance(data, dict):
        raise InvalidInput("the record must be an object", [FieldError("content", "an object", "invalid")])
    errors: list[FieldError] = []
    recorder = _clean(data.get("recorder", "")).replace("\n", " ")
    if len(recorder) > MAX_NAME:
        errors.append(FieldError("recorder", f"at most {MAX_NAME} characters", "too_long", {"max": MAX_NAME}))
    present_in = data.get("present", [])
    present: list[Present] = []
    if not isinstance(present_in, list) or len(present_in) > MAX_PRESENT:
        errors.append(FieldError("present", f"a list of at most {MAX_PRESENT}", "invalid", {"max": MAX_PRESENT}))
    else:
        for i, p in enumerate(present_in):
            name = _clean(p.get("name", "")).replace("\n", " ") if isinstance(p, dict) else ""
            role = str(p.get("role", "")) if isinstance(p, dict) else ""
            if not name or len(name) > MAX_NAME or len(role) > 20:
                errors.append(FieldError(f"present.{i}.name", "a name, at most 100 characters", "invalid"))
            else:
                present.append(Present(name, role))
    parts = {part: _clean(data.get(part, "")) for part in PARTS}
    total = sum(len(v) for v in parts.values())
    if total > MAX_TOTAL:
        errors.append(FieldError("statements", f"at most {MAX_TOTAL} characters in all", "too_long", {"max": MAX_TOTAL}))
    if errors:
        raise InvalidInput("the record cannot be saved as it is", errors)
    return Content(recorder=recorder, present=tuple(present), **parts)


def role_word(role: str) -> str:
    return ROLE_WORDS.get(role, role)


#: A record closed this long after the session began was closed later, not as the session ended.
SAME_SITTING = timedelta(hours=12)


def _when(starts_at: datetime, ends_at: datetime, closed_at: datetime, zone: str) -> str:
    """When the mediation took place: from the session's start to when the record was closed, if
    that was during the sitting; otherwise (closed before the booked start, or days later) to the
    booked end, so the record never says it ended before it began."""
    tz = ZoneInfo(zone)
    end = closed_at if starts_at < closed_at <= starts_at + SAME_SITTING else ends_at
    a, b = starts_at.astimezone(tz), end.astimezone(tz)
    text = f"{a.year}年{a.month}月{a.day}日 {a:%H:%M}"
    return text + (f"至{b:%H:%M}" if b.date() == a.date() else f"至{b.year}年{b.month}月{b.day}日 {b:%H:%M}")


@dataclass(frozen=True)
class Head:
    """What the case and the session say: never typed by the writer, so the record cannot misname them."""

    case_number: str
    organisation: str
    matter: str
    mediators: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime
    timezone: str
    signers: tuple[Present, ...]  # the parties who sign (applicants, respondents)
    #: Every party chose, by their signature, that the session's recording stands for the account of
    #: what was said (在线调解规则 art. 22); the facts both sides accept are still written.
    recording_instead: bool = False


def compose(content: Content, head: Head, closed_at: datetime) -> str:
    """The record's text, as signed: the form's head, the body in its parts, the signature lines."""
    present = "；".join(f"{role_word(p.role)} {p.name}" for p in content.present) or "（未填写）"
    lines = [
        TITLE,
        "",
        f"案号：{head.case_number}",
        f"时间：{_when(head.starts_at, head.ends_at, closed_at, head.timezone)}",
        f"地点：{PLACE}（{head.organisation}）",
        f"事由：{head.matter or '（未填写）'}",
        f"调解员：{'、'.join(head.mediators)}",
        f"记录人：{content.recorder or '（未填写）'}",
        f"到场人员：{present}",
        "",
        "一、当事人陈述",
        (RECORDING_INSTEAD if head.recording_instead else content.statements or "（无）"),
        "",
        "二、双方无争议的事实",
        content.facts or "（无）",
        "",
        "三、调解意见和建议",
        content.proposals or "（无）",
        "",
        "四、口头调解协议（人民调解法第二十八条、第三十条）",
        content.agreement or "（未达成）",
        "",
        "以上记录经当事人阅读，由各方当事人以本人电子签名确认；当事人的不同意见另附于记录之后，不改动记录。",
        "",
        "当事人（签名）：" + "、".join(f"{role_word(p.role)} {p.name}" for p in head.signers),
        f"调解员（签名）：{'、'.join(head.mediators)}",
        f"记录人（签名）：{content.recorder or ''}",
    ]
    return "\n".join(lines) + "\n"
