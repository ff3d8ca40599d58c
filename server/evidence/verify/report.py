"""The report a judge reads, in Chinese or English: the verdict first, then who signed what and
when, the log, the chain, what the recordings cover, and the problems and notes found.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from server.evidence.records import RecordError, parse_time
from server.evidence.verify.findings import Finding, Report, Signer
from server.evidence.verify.sentences import fmt, pick, sentence
from server.evidence.vocabulary import method_words, record_words

# fmt: off
KINDS = {"party": ("当事人", "party"), "staff": ("工作人员", "staff"), "platform": ("平台", "platform"), "recorder": ("录像服务", "recorder")}
ROLES = {"applicant": ("申请人", "applicant"), "respondent": ("被申请人", "respondent"), "mediator": ("调解员", "mediator"),
         "agent": ("委托代理人", "agent"), "interpreter": ("翻译人员", "interpreter"), "judge": ("法官", "judge"),
         "invited": ("受邀参与人员", "invited person"), "admin": ("管理员", "administrator")}
METHODS = {"passkey": ("通行密钥", "passkey"), "device_key": ("设备密钥", "device key"), "platform_key": ("平台密钥", "platform key"),
           "recorder_key": ("录像密钥", "recorder key"), "log_key": ("日志密钥", "log key")}
WORDS = {
    "pass": ("验证通过：案件 {case} 的全部 {n} 条记录完整、未被改动、签名有效，并且都在日志 {log} 中。",
             "Verification passed: all {n} records of case {case} are complete, unaltered, validly signed and in the log {log}."),
    "how": ("　　方式：{method}", "    How: {method}"),
    "unnamed": ("（姓名未载明）", "(name not given)"),
    "times": ("（共 {n} 处）", " ({n} times)"),
    "fail": ("验证失败：发现 {k} 个问题，本证据包不能被视为完整、真实。问题见下文。", "Verification failed: {k} problems found; this bundle cannot be taken as complete and genuine. See below."),
    "unreadable": ("验证失败：无法读取证据包。", "Verification failed: the bundle cannot be read."),
    "bundle": ("证据包：{bundle}", "Bundle: {bundle}"),
    "who": ("谁在何时签署了什么", "Who signed what, and when"),
    "record": ("第 {seq} 条　{time}　{type}", "Record {seq}  {time}  {type}"),
    "actor": ("　　行为人：{actor}", "    Actor: {actor}"),
    "signed": ("　　签名：{signers}", "    Signed by: {signers}"),
    "unsigned": ("　　签名：无有效签名", "    Signed by: no valid signature"),
    "index": ("　　在日志中，序号 {index}", "    In the log at index {index}"),
    "no_index": ("　　未能证明在日志中", "    Not shown to be in the log"),
    "log": ("日志登记", "The log"),
    "checkpoint": ("检查点：日志 {log}，大小 {size}，根哈希 {root}，由日志密钥 {key} 签名（{trust}）。", "Checkpoint: log {log}, size {size}, root {root}, signed by log key {key} ({trust})."),
    "pinned": ("您指定的可信密钥", "the trusted key you gave"), "unpinned": ("密钥取自证据包", "key taken from the bundle"),
    "no_checkpoint": ("没有有效的检查点，无法确认记录在日志中。", "There is no valid checkpoint; no record is shown to be in the log."),
    "all_in_log": ("全部 {n} 条记录都在日志中（包含证明已逐条核验）。", "All {n} records are in the log (each inclusion proof checked)."),
    "some_in_log": ("{m} / {n} 条记录被证明在日志中。", "{m} of {n} records are shown to be in the log."),
    "witness": ("见证方 {name} 于 {time} 共同签名了该检查点（{trust}）。", "Witness {name} cosigned the checkpoint at {time} ({trust})."),
    "saved_ok": ("您保存的检查点（大小 {from_size}）与本日志一致：日志此后只有追加，没有改写。", "The saved checkpoint (size {from_size}) is consistent with this log: it was only appended to since."),
    "chain": ("记录链是否完整", "Is the chain complete"),
    "chain_ok": ("记录编号 1–{n} 连续，没有缺失、重复或调换，每条记录都链接到前一条。", "Records 1–{n} are numbered without gaps, duplicates or swaps, and each links to the one before."),
    "chain_bad": ("记录链不完整，见下文问题。", "The chain is not intact; see the problems below."),
    "manifest_ok": ("导出记录（第 {seq} 条）登记了 manifest.json 的哈希；清单所列 {files} 个文件均未被改动。",
                    "Export record {seq} logs the hash of manifest.json; none of the {files} files it lists was changed."),
    "problems": ("问题（{k}）", "Problems ({k})"),
    "warnings": ("提示（{k}）", "Notes ({k})"),
    "numbers": ("一二三四五六七", "1234567"),
    "sep": ("、", ", "),
    "recordings": ("录像覆盖范围", "What the recordings cover"),
    "recording": ("录像 {recording}（{status}）", "Recording {recording} ({status})"),
    "covered": ("　　{who}：{start} 至 {end}，共录制 {seconds} 秒", "    {who}: {start} to {end}, {seconds} s recorded"),
    "gap": ("　　　　缺口 {start} 至 {end}：{reason}", "        gap {start} to {end}: {reason}"),
    "complete": ("完整", "complete"), "interrupted": ("中断", "interrupted"), "unfinished": ("未结束", "unfinished"),
    "deleted": ("保存期满已删除", "deleted after retention"),
    "case_file": ("卷宗", "The case file"),
}
GAP_REASONS = {
    "not_consented": ("尚未同意录制", "had not consented"), "muted": ("麦克风关闭", "microphone off"),
    "camera_off": ("摄像头关闭", "camera off"), "reconnecting": ("网络重连中", "reconnecting"),
    "waiting": ("在等候室", "in the waiting room"), "held": ("被暂时请出", "on hold"), "left": ("已离开", "left"),
    "caucus": ("背对背调解（不录制）", "private talk (not recorded)"), "no_media": ("未收到音视频（丢包或断线）", "no media received (loss or dropout)"),
    "stopped": ("录制停止", "recording stopped"),
}
# fmt: on


def _time(text: str, lang: str) -> str:
    try:
        when = parse_time(text)
    except RecordError:
        return text
    if lang == "zh":
        return (when + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S（北京时间）")
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


def _person(holder: Mapping[str, str], name: str | None, lang: str) -> str:
    """工作人员 刘调解员（调解员）: a person by name and role; the platform and the recorder by what they are.

    A person's id is never shown: a judge reads names. A person no record names is said to be
    unnamed, with their role.
    """
    kind = holder.get("kind", "")
    label = pick(KINDS, kind, lang)
    if kind not in ("party", "staff"):
        return label
    role = pick(ROLES, holder.get("role", ""), lang) if holder.get("role") else ""
    label = f"{label} {name or pick(WORDS, 'unnamed', lang)}"
    return f"{label}（{role}）" if role and lang == "zh" else f"{label} ({role})" if role else label


def _signer(s: Signer, lang: str) -> str:
    method = pick(METHODS, s.method, lang)
    if s.method in ("passkey", "device_key"):
        owner = s.name or pick(WORDS, "unnamed", lang)
        return f"{owner} 的{method} {s.key}" if lang == "zh" else f"{owner}'s {method} {s.key}"
    return f"{method} {s.key}"


def _records_section(report: Report, lang: str) -> list[str]:
    out = []
    for r in report.records:
        out.append(
            fmt(pick(WORDS, "record", lang), seq=r.seq, time=_time(r.time, lang), type=record_words(r.type, lang, r.intent))
        )
        out.append(fmt(pick(WORDS, "actor", lang), actor=_person(r.actor, r.actor_name, lang)))
        if r.method is not None:
            out.append(fmt(pick(WORDS, "how", lang), method=method_words(r.method, lang, r.type)))
        signers = pick(WORDS, "sep", lang).join(_signer(s, lang) for s in r.signers)
        out.append(fmt(pick(WORDS, "signed", lang), signers=signers) if signers else pick(WORDS, "unsigned", lang))
        where = pick(WORDS, "index" if r.log_index is not None else "no_index", lang)
        out.append(fmt(where, index=r.log_index))
    return out


def _log_section(report: Report, lang: str) -> list[str]:
    cp = report.checkpoint
    if cp is None:
        return [pick(WORDS, "no_checkpoint", lang)]
    trust = pick(WORDS, "pinned" if cp["pinned"] else "unpinned", lang)
    out = [fmt(pick(WORDS, "checkpoint", lang), log=report.log, size=cp["size"], root=cp["root"], key=cp["key"], trust=trust)]
    placed = sum(1 for r in report.records if r.log_index is not None)
    key = "all_in_log" if placed == len(report.records) and placed else "some_in_log"
    out.append(fmt(pick(WORDS, key, lang), n=len(report.records), m=placed))
    for w in report.witnesses:
        trust = pick(WORDS, "pinned" if w["pinned"] else "unpinned", lang)
        out.append(fmt(pick(WORDS, "witness", lang), name=w["name"], time=w["time"], trust=trust))
    out += [fmt(pick(WORDS, "saved_ok", lang), **f.params) for f in report.findings if f.code == "consistent_with_saved"]
    return out


def _chain_section(report: Report, lang: str) -> list[str]:
    chain_codes = {"record_missing", "record_duplicated", "record_reordered", "chain_broken", "record_malformed", "no_records"}
    intact = not any(f.code in chain_codes for f in report.problems)
    out = [fmt(pick(WORDS, "chain_ok" if intact else "chain_bad", lang), n=len(report.records))]
    files_ok = not any(p.code.startswith("file_") for p in report.problems)
    logged = [f for f in report.findings if f.code == "manifest_logged" and files_ok]
    return out + [fmt(pick(WORDS, "manifest_ok", lang), seq=f.seq, files=report.files_checked) for f in logged]


def _recordings_section(report: Report, lang: str) -> list[str]:
    out = []
    for rec in report.recordings:
        out.append(fmt(pick(WORDS, "recording", lang), recording=rec["recording"], status=pick(WORDS, rec["status"], lang)))
        for participant, part in rec["participants"].items():
            who = report.people.get(participant) or pick(WORDS, "unnamed", lang)
            start = _time(part["from"], lang) if part["from"] else "-"
            end = _time(part["to"], lang) if part["to"] else "-"
            out.append(fmt(pick(WORDS, "covered", lang), who=who, start=start, end=end, seconds=part["recorded_seconds"]))
            # A participant's audio and video usually stop together: one gap, said once.
            gaps = dict.fromkeys(
                (
                    _time(str(gap.get("start")), lang),
                    _time(str(gap.get("end")), lang) if gap.get("end") else "-",
                    pick(GAP_REASONS, str(gap.get("reason")), lang),
                )
                for gap in part["gaps"]
            )
            out += [fmt(pick(WORDS, "gap", lang), start=a, end=b, reason=why) for a, b, why in gaps]
    return out


def _case_file_section(report: Report, lang: str) -> list[str]:
    return [sentence(f, lang) for f in report.findings if f.code == "case_file_intact"]


def _once(findings: list[Finding], lang: str) -> list[str]:
    """Each finding's sentence once, in order, with how often it was found when more than once."""
    counted: dict[str, int] = {}
    for finding in findings:
        text = sentence(finding, lang)
        counted[text] = counted.get(text, 0) + 1
    return [text + (fmt(pick(WORDS, "times", lang), n=n) if n > 1 else "") for text, n in counted.items()]


def _ordered(findings: list[Finding]) -> list[Finding]:
    """Files first, then records by number, then the log: the order a reader checks them in."""
    return sorted(findings, key=lambda f: (0, 0) if f.code.startswith("file_") else (1, f.seq) if f.seq is not None else (2, 0))


def render(report: Report, lang: str = "zh") -> str:
    """The report a judge reads: verdict first, then signers, log, chain, problems and notes."""
    lang = "zh" if lang != "en" else "en"
    problems, warnings = _ordered(report.problems), _ordered(report.warnings)
    if not report.readable:
        verdict = pick(WORDS, "unreadable", lang)
    elif problems:
        verdict = fmt(pick(WORDS, "fail", lang), k=len(_once(problems, lang)))
    else:
        verdict = fmt(pick(WORDS, "pass", lang), case=report.case_number or report.case, n=len(report.records), log=report.log)
    lines = [verdict, fmt(pick(WORDS, "bundle", lang), bundle=report.bundle), ""]
    parts = (("who", _records_section), ("log", _log_section), ("chain", _chain_section)) if report.readable else ()
    if report.readable and report.recordings:
        parts = (*parts, ("recordings", _recordings_section))
    if report.readable and report.has("case_file_intact"):
        parts = (*parts, ("case_file", _case_file_section))
    sections = [(pick(WORDS, title, lang), body(report, lang)) for title, body in parts]
    for title, items in (("problems", problems), ("warnings", warnings)):
        said = _once(items, lang)
        numbered = [f"{i}. {text}" for i, text in enumerate(said, 1)]
        sections += [(fmt(pick(WORDS, title, lang), k=len(said)), numbered)] if said else []
    for number, (title, body) in zip(pick(WORDS, "numbers", lang), sections, strict=False):
        lines += [f"{number}、{title}" if lang == "zh" else f"{number}. {title}", *body, ""]
    return "\n".join(lines).rstrip() + "\n"
