"""``mediate verify-stats SNAPSHOT.zip``: check a statistics snapshot offline against the cases' own records.

A supervisor (a justice bureau) downloads a snapshot with the bundles of the cases it counts
(snapshots.export) and checks, with no database and no network:

1. the snapshot's record: its form, its body against the claim's ``body_hash``, and the platform's
   signature by a platform key valid when it was signed; with ``--trusted-key``, that key must also be
   among the keys of the case bundles that the trusted log key vouches for; and its place in the log: its
   inclusion proof under a checkpoint signed by the log key (the trusted one, else the file's own, said so),
   so that a month's snapshot quietly replaced by another signed one would show;
2. each counted case's bundle, as ``mediate verify`` checks it (``verify_bundle``);
3. that the bundle holds the record the snapshot names as the case's last at the time (its hash): the
   figures rest on the records up to it;
4. from those records (record_facts.py), that the case was registered in the month and led by the
   organisation, and belongs in each audited count exactly when the snapshot says it does (its instalments'
   states as of the snapshot's day, and its mediation clock then, working days and agreed extensions included:
   overdue and performed are recomputed, not taken on the snapshot's word);
5. that each figure equals the number of cases it lists;
6. that no case of the month is left out: the organisation's statistics stream indexes the cases it leads as
   they are registered and referred (``case_indexed``, server/domain/statistics_stream.py); the file carries the stream's records
   before the snapshot, chained to it and signed (index_check.py), and every case the index says the
   organisation led in the month must be in the snapshot, every case of the snapshot in the index. Cases
   registered before the index began have none: the report says where it starts, and whether the month is
   wholly after it.

Every case that does not support its count is named, by case number and id; the exit status is 0 when
everything holds, 1 when something does not, 2 when the file cannot be read.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from server.domain.clocks import LEGAL_ZONE
from server.domain.statistics.index_check import STREAM_FILE, platform_signature_problem, read_stream
from server.domain.statistics.record_facts import AUDITED, facts_from_records
from server.domain.workdays import Workdays
from server.evidence import bundle as bz
from server.evidence import merkle, note
from server.evidence.records import KeyInfo, Record, RecordError, body_hash, entry_hash, parse_time
from server.evidence.verify.checker import verify_bundle
from server.evidence.verify.log_check import ed25519_raw
from server.evidence.verify.reading import FIRST_RECORDS
from server.evidence.zip_members import CHUNK
from server.settings.holidays import load_schedule

#: How large a snapshot's own members (snapshot.json, the index stream) may be; a case's bundle may be as large as
#: a bundle may (bz.MAX_TOTAL_BYTES), and is read from a temporary file, never held whole.
MAX_MEMBER = 512 * 1024 * 1024

SENTENCES: dict[str, tuple[str, str]] = {
    "unreadable": ("无法读取快照文件：{detail}。请重新下载。", "The snapshot file cannot be read: {detail}. Download it again."),
    "not_a_snapshot": (
        "文件中的记录不是统计快照（类型 {type}）。",
        "The file's record is not a statistics snapshot (type {type}).",
    ),
    "body_mismatch": (
        "快照内容与其签名记录不符（body_hash 不一致）：内容被改动过。",
        "The snapshot's contents do not match its signed record (body_hash differs): they were changed.",
    ),
    "signature_invalid": (
        "快照的平台签名无效：{detail}。",
        "The platform's signature on the snapshot does not verify: {detail}.",
    ),
    "not_in_log": (
        "快照记录未能证明已写入证据日志（{detail}）。",
        "The snapshot's record is not proved to be in the evidence log ({detail}).",
    ),
    "in_log": (
        "快照记录在证据日志第 {index} 条，日志检查点（大小 {size}）由日志密钥签名{pinned}。",
        "The snapshot's record is entry {index} of the evidence log, under a checkpoint (size {size}) signed by the log key{pinned_en}.",
    ),
    "key_untrusted": (
        "签署快照的平台密钥 {key} 不在受信任日志所证明的案件证据包密钥中。",
        "The platform key {key} that signed the snapshot is not among the keys of the case bundles the trusted log vouches for.",
    ),
    "bundle_missing": (
        "案件 {case} 的证据包不在文件中，无法核对其计数。",
        "Case {case}: its bundle is missing, so its counts cannot be checked.",
    ),
    "bundle_invalid": (
        "案件 {case} 的证据包未通过核验（mediate verify）：{detail}。",
        "Case {case}: its bundle does not verify (mediate verify): {detail}.",
    ),
    "hash_differs": (
        "案件 {case} 的证据包中没有快照所记的最后一条记录（第 {seq} 条，哈希 {hash}）：记录与快照时不同。",
        "Case {case}: its bundle does not hold the last record the snapshot names (record {seq}, hash {hash}): "
        "its records differ from those the snapshot counted.",
    ),
    "not_in_cohort": (
        "案件 {case} 按其记录不属于本快照（{detail}）。",
        "Case {case}: by its records it does not belong in this snapshot ({detail}).",
    ),
    "records_disagree": (
        "案件 {case}：快照{said}计入“{count}”，但其签名记录表明{records}。",
        "Case {case}: the snapshot {said_en} it in \u201c{count}\u201d, but its signed records say it {records_en}.",
    ),
    "unlisted": (
        "案件 {case} 计入“{count}”，却不在本快照的案件清单中。",
        "Case {case} is counted in \u201c{count}\u201d but not listed among the snapshot's cases.",
    ),
    "wrong_count": (
        "“{count}”为 {figure}，但快照列出的案件有 {listed} 件。",
        "\u201c{count}\u201d is {figure}, but the snapshot lists {listed} cases for it.",
    ),
    "stream_missing": (
        "文件中缺少本组织统计链在快照之前的 {expected} 条记录（stream.jsonl），无法核对快照是否漏列案件。",
        "The file lacks the {expected} records of the organisation's statistics stream before the snapshot (stream.jsonl): "
        "whether a case was left out cannot be checked.",
    ),
    "stream_broken": (
        "本组织统计链第 {seq} 条记录未通过核验（{detail}）：案件索引不可信。",
        "Record {seq} of the organisation's statistics stream does not verify ({detail}): its case index cannot be trusted.",
    ),
    "left_out": (
        "案件 {case}：本组织的案件索引表明它于本月登记、由本组织主办（{reason}），快照却未列入。",
        "Case {case}: the organisation's case index says it was registered in the month and is led by the organisation "
        "({reason_en}), but the snapshot leaves it out.",
    ),
    "not_indexed": (
        "案件 {case} 列在快照中，但本组织的案件索引（自 {start} 起）没有它。",
        "Case {case} is in the snapshot, but the organisation's case index (from {start}) does not hold it.",
    ),
    "index_says_left": (
        "案件 {case} 列在快照中，但本组织的案件索引表明它已移送{other}主办。",
        "Case {case} is in the snapshot, but the organisation's case index says it was referred to {other}.",
    ),
    "index_other_month": (
        "案件 {case} 列在快照中，但本组织的案件索引记其受理日期为 {day}，不在本月。",
        "Case {case} is in the snapshot, but the organisation's case index gives its registration day as {day}, outside the month.",
    ),
    "index_complete": (
        "案件索引（自 {start} 起）：本月由本组织主办的 {indexed} 件案件均在快照中，快照中的案件均在索引中。",
        "The case index (from {start}): all {indexed} cases it says the organisation led in the month are in the snapshot, "
        "and every case of the snapshot is in it.",
    ),
    "index_partial": (
        "案件索引自 {start} 起（本月开始之后），此前登记的案件不在索引中：索引所列本月由本组织主办的 {indexed} 件案件均在快照中；"
        "快照中另有 {before} 件在索引开始前登记，索引无法证明本月没有其他漏列的案件。",
        "The case index starts at {start}, after the month began, and cases registered before it are not in it: all {indexed} "
        "cases it says the organisation led in the month are in the snapshot; {before} of the snapshot's cases were registered "
        "before it began, and it cannot show that no other case of the month was left out.",
    ),
    "index_none": (
        "本组织的统计链在本快照之前没有案件索引记录（索引自该功能上线起建立）：无法核对快照是否漏列案件。",
        "The organisation's statistics stream holds no case index before this snapshot (the index began with that feature): "
        "whether a case was left out cannot be checked.",
    ),
    "recomputed": (
        "“{count}”：{figure} 件，已由 {checked} 件案件的签名记录逐一核实。",
        "\u201c{count}\u201d: {figure}, each of its {checked} cases checked against its signed records.",
    ),
    "partly_recomputed": (
        "“{count}”：{figure} 件，{checked} 件已由签名记录核实；另有 {undecided} 件案件的协议盖章记录未列明履行义务"
        "（本功能上线前盖章）且尚未结案或仍有未履行的义务，其记录不足以判断此项。",
        "\u201c{count}\u201d: {figure}, {checked} of its cases checked against their signed records; for {undecided} cases whose "
        "agreement_sealed record lists no instalments (sealed before it did) and that are not closed or have instalments "
        "outstanding, the records cannot say.",
    ),
    "partly_recomputed_clock": (
        "“{count}”：{figure} 件，{checked} 件已由签名记录核实；另有 {undecided} 件仍在调解的案件，其受理登记记录未载明调解期限的起算时刻"
        "（本功能上线前登记），其记录不足以判断此项。",
        "\u201c{count}\u201d: {figure}, {checked} of its cases checked against their signed records; for {undecided} cases still "
        "being mediated whose registration record does not give the instant the mediation period runs from (registered "
        "before it did), the records cannot say.",
    ),
    "not_recomputed": (
        "“{count}”：{figure} 件，案件的最后记录哈希已核对；现有记录不足以重新计算此项。",
        "\u201c{count}\u201d: {figure}; its cases' last record hashes were checked, but the records alone cannot recompute it.",
    ),
}


#: Why the index says the organisation leads a case.
REASON_WORDS = {
    "registered": ("本组织受理登记", "registered by it"),
    "referred_in": ("由其他组织移送并接受", "referred to it and accepted"),
}


@dataclass
class Finding:
    code: str
    problem: bool
    params: dict[str, Any] = field(default_factory=dict)

    def sentence(self, lang: str) -> str:
        zh, en = SENTENCES[self.code]
        return (zh if lang == "zh" else en).format(**self.params)


@dataclass
class AuditReport:
    organisation: str = ""
    month: str = ""
    version: int = 0
    as_of: str = ""
    readable: bool = True
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.readable and not any(f.problem for f in self.findings)

    def problem(self, code: str, **params: Any) -> None:
        self.findings.append(Finding(code, True, params))

    @property
    def named_cases(self) -> set[str]:
        """The ids of the cases a problem names."""
        return {str(f.params["case_id"]) for f in self.findings if f.problem and "case_id" in f.params}


class _Export:
    """The members of an open snapshot file (snapshots.export), checked by name and size.

    The small members (snapshot.json, the index stream) are read when asked for; a case's bundle,
    which holds its recordings (gigabytes for a two-hour session, #24), is copied to a temporary
    file a chunk at a time and checked from there, so memory does not grow with the recordings.
    """

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self._zf = zf
        self._infos: dict[str, zipfile.ZipInfo] = {}
        for info in zf.infolist():
            bz.check_name(info.filename)
            bundle = info.filename.startswith("bundles/")
            if info.file_size > (bz.MAX_TOTAL_BYTES if bundle else MAX_MEMBER):
                raise bz.BundleError(f"{info.filename} is too large")
            self._infos[info.filename] = info

    def read(self, name: str) -> bytes | None:
        info = self._infos.get(name)
        return None if info is None else self._zf.read(info)

    def spill(self, name: str) -> IO[bytes] | None:
        """The member in a temporary file (the caller closes it), or None if there is none."""
        info = self._infos.get(name)
        if info is None:
            return None
        spilled = tempfile.TemporaryFile()
        with self._zf.open(info) as member:
            shutil.copyfileobj(member, spilled, CHUNK)
        spilled.seek(0)
        return spilled


def _signed(report: AuditReport, record: Record, body: dict[str, Any], keys: list[KeyInfo]) -> None:
    if record.claim.type != "statistics_snapshot":
        report.problem("not_a_snapshot", type=record.claim.type)
        return
    try:
        if body_hash(body) != record.claim.body_hash:
            report.problem("body_mismatch")
    except RecordError:
        report.problem("body_mismatch")
    problem = platform_signature_problem(record, keys)
    if problem is not None:
        report.problem("signature_invalid", detail=problem)


def _in_log(
    report: AuditReport, document: dict[str, Any], entry: bytes, origin: str, keys: list[KeyInfo], trusted: Sequence[str]
) -> None:
    """The record's inclusion proof under the checkpoint, signed by the trusted log key (or, unpinned, by keys.json's)."""
    try:
        if trusted:
            verifiers = [note.Verifier.from_vkey(k.strip()) for k in trusted]
        else:
            verifiers = [note.Verifier(origin, ed25519_raw(k)) for k in keys if k.purpose == "log"]
        text = str(document["checkpoint"])
        body, _ = note.open_note(text, verifiers)
        checkpoint = note.Checkpoint.parse(body)
        inclusion = document["inclusion"]
        index, size = int(inclusion["index"]), int(inclusion["size"])
        if checkpoint.origin != origin or size != checkpoint.size:
            raise ValueError("the checkpoint is of another log or size")
        proof = [bytes.fromhex(str(h)) for h in inclusion["proof"]]
        merkle.verify_inclusion(merkle.leaf_hash(entry), index, size, proof, checkpoint.root_hash)
    except (KeyError, TypeError, ValueError, RecordError, note.NoteError, merkle.ProofError) as exc:
        report.problem("not_in_log", detail=f"{type(exc).__name__}: {exc}")
        return
    pinned = (
        ("（受信任的日志公钥）", " (the trusted log key)")
        if trusted
        else ("（文件自带的日志公钥，未指定受信任公钥）", " (the file's own log key: none was pinned)")
    )
    report.findings.append(Finding("in_log", False, {"index": index, "size": size, "pinned": pinned[0], "pinned_en": pinned[1]}))


def verify_snapshot(
    source: str | bytes, *, trusted_log_keys: Sequence[str] = (), lang: str = "zh", workdays: Workdays | None = None
) -> AuditReport:
    """Check a snapshot file (snapshots.export); everything found is in the report, nothing raises.

    ``workdays``: China's holidays and make-up workdays for the mediation clocks (default: those of the installed
    ``chinese-calendar``; ``--holidays FILE`` for the years a server counted from ``MEDIATE_HOLIDAYS_FILE``)."""
    report = AuditReport()
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as zf:
            _audit(report, _Export(zf), trusted_log_keys, lang, workdays or Workdays())
    except (bz.BundleError, zipfile.BadZipFile, OSError) as exc:
        report.readable = False
        report.problem("unreadable", detail=f"{type(exc).__name__}: {exc}")
    return report


def _audit(report: AuditReport, files: _Export, trusted_log_keys: Sequence[str], lang: str, workdays: Workdays) -> None:
    try:
        document = json.loads(files.read("snapshot.json") or b"")
        record = Record.from_entry(document["entry"].encode())
        body = document["body"]
        keys = [KeyInfo.from_json(k) for k in document["keys"]]
        data = body["data"]
        organisation, month = data["organisation"], data["month"]
        first, last = date.fromisoformat(data["period"]["from"]), date.fromisoformat(data["period"]["to"])
        counted: dict[str, list[str]] = data["counts"]
        cases: dict[str, dict[str, Any]] = data["cases"]
        totals: dict[str, Any] = data["figures"]
        # The instalments' states and the mediation clocks are the snapshot's: overdue is against the moment it was taken.
        as_of = parse_time(str(data["as_of"]))
    except (KeyError, TypeError, ValueError, RecordError, bz.BundleError, zipfile.BadZipFile, OSError) as exc:
        report.readable = False
        report.problem("unreadable", detail=f"{type(exc).__name__}: {exc}")
        return
    report.organisation, report.month = str(organisation.get("name", "")), str(month)
    report.version, report.as_of = int(data.get("version", 0)), str(data.get("as_of", ""))
    _signed(report, record, body, keys)
    _in_log(report, document, document["entry"].encode(), record.claim.log, keys, trusted_log_keys)
    words = _count_words(lang)
    members: dict[str, set[str]] = {name: set(ids) for name, ids in counted.items()}
    bundle_keys: set[str] = set()
    checked: dict[str, int] = dict.fromkeys(AUDITED, 0)
    #: case id -> when its registration record was signed (its bundle's first record)
    registered_at: dict[str, datetime] = {}
    undecided: dict[str, int] = dict.fromkeys(AUDITED, 0)
    for case_id, pinned in cases.items():
        who = _who(str(pinned.get("case_number") or ""), case_id, lang)
        named = {"case": who, "case_id": case_id}
        try:
            spilled = files.spill(f"bundles/{case_id}.zip")
        except (zipfile.BadZipFile, OSError, EOFError) as exc:  # a damaged member: this case, not the whole file
            report.problem("bundle_invalid", detail=f"{type(exc).__name__}: {exc}", **named)
            continue
        if spilled is None:
            report.problem("bundle_missing", **named)
            continue
        with spilled:
            verified = verify_bundle(spilled, trusted_log_keys=trusted_log_keys)
            if not verified.ok:
                first_problem = next((f for f in verified.findings if f.level == "problem"), None)
                report.problem("bundle_invalid", detail=first_problem.code if first_problem else "not ok", **named)
                continue
            spilled.seek(0)
            with bz.open_files(spilled) as raw_files:
                contents = bz.parse_contents(raw_files, extra_files=False)
        if trusted_log_keys:
            bundle_keys |= {k.id for k in contents.keys if k.purpose == "platform"}
        hashes = [entry_hash(e) for e in contents.entries]
        if pinned.get("last_record_hash") not in hashes or contents.case != case_id:
            report.problem("hash_differs", seq=pinned.get("seq"), hash=str(pinned.get("last_record_hash"))[:16], **named)
            continue
        upto = hashes.index(pinned["last_record_hash"]) + 1
        records = [Record.from_entry(e) for e in contents.entries[:upto]]
        if records and records[0].claim.type in FIRST_RECORDS:
            registered_at[case_id] = parse_time(records[0].claim.time)
        facts = facts_from_records(records, contents.bodies, as_of=as_of, workdays=workdays)
        if facts.registered_on is None or not first <= facts.registered_on <= last:
            report.problem("not_in_cohort", detail=f"registered {facts.registered_on}", **named)
        elif not facts.led_by(str(organisation.get("id")), str(organisation.get("name"))):
            report.problem("not_in_cohort", detail="led by another organisation", **named)
        for name, test in AUDITED.items():
            said, found = case_id in members.get(name, set()), test(facts)
            if found is None:
                undecided[name] += 1
            elif said != found:
                report.problem("records_disagree", count=words.get(name, name), **_yes_no(said, found), **named)
            elif found:
                checked[name] += 1
    listed = set(cases)
    for name, ids in members.items():
        for case_id in sorted(ids - listed):
            report.problem("unlisted", case=case_id, case_id=case_id, count=words.get(name, name))
        if totals.get(name) != len(ids):
            report.problem("wrong_count", count=words.get(name, name), figure=totals.get(name), listed=len(ids))
        elif name in AUDITED and undecided[name]:
            params = {"count": words.get(name, name), "figure": len(ids), "checked": checked[name], "undecided": undecided[name]}
            code = "partly_recomputed_clock" if name == "overdue_mediation" else "partly_recomputed"
            report.findings.append(Finding(code, False, params))
        elif name in AUDITED:
            report.findings.append(
                Finding("recomputed", False, {"count": words.get(name, name), "figure": len(ids), "checked": checked[name]})
            )
        else:
            report.findings.append(Finding("not_recomputed", False, {"count": words.get(name, name), "figure": len(ids)}))
    _index(report, files.read(STREAM_FILE), record, keys, organisation, (first, last), cases, registered_at, lang)
    signer = next((s.get("key", "") for s in record.sigs), "")
    if trusted_log_keys and bundle_keys and signer not in bundle_keys:
        report.problem("key_untrusted", key=signer)


def _index(
    report: AuditReport,
    raw: bytes | None,
    record: Record,
    keys: list[KeyInfo],
    organisation: dict[str, Any],
    period: tuple[date, date],
    cases: dict[str, dict[str, Any]],
    registered_at: dict[str, datetime],
    lang: str,
) -> None:
    """The month's cases the organisation's index says it leads, against the snapshot's cohort (index_check.py)."""
    if raw is None and record.seq > 1:
        report.problem("stream_missing", expected=record.seq - 1)
        return
    index = read_stream(raw or b"", record, keys, str(organisation.get("id")))
    for seq, detail in index.broken:
        report.problem("stream_broken", seq=seq, detail=detail)
    if index.starts is None:
        report.findings.append(Finding("index_none", False))
        return
    first, last = period
    start = index.starts.astimezone(LEGAL_ZONE)
    starts = start.strftime("%Y-%m-%d %H:%M")
    led = index.led_in(first, last)
    for case_id in sorted(set(led) - set(cases), key=lambda c: (led[c].case_number, c)):
        indexed = led[case_id]
        words = REASON_WORDS.get(indexed.reason, (indexed.reason, indexed.reason))
        report.problem(
            "left_out", case=_who(indexed.case_number, case_id, lang), case_id=case_id, reason=words[0], reason_en=words[1]
        )
    # Every case registered at or after the index began was indexed when it was registered (or referred in).
    whole_month = start <= datetime(first.year, first.month, first.day, tzinfo=LEGAL_ZONE)
    before = 0
    for case_id in sorted(set(cases) - set(led)):
        who = _who(str(cases[case_id].get("case_number") or ""), case_id, lang)
        said = index.cases.get(case_id)
        if said is not None and not said.leads:
            report.problem("index_says_left", case=who, case_id=case_id, start=starts, other=said.other)
        elif said is not None:
            report.problem("index_other_month", case=who, case_id=case_id, day=said.registered_on.isoformat())
        elif whole_month or (case_id in registered_at and registered_at[case_id] >= index.starts):
            report.problem("not_indexed", case=who, case_id=case_id, start=starts)
        else:
            before += 1
    if whole_month:
        report.findings.append(Finding("index_complete", False, {"start": starts, "indexed": len(led)}))
    else:
        report.findings.append(Finding("index_partial", False, {"start": starts, "indexed": len(led), "before": before}))


def _who(case_number: str, case_id: str, lang: str) -> str:
    return f"{case_number}（{case_id}）" if lang == "zh" else f"{case_number} ({case_id})"


def _count_words(lang: str) -> dict[str, str]:
    from server.domain.statistics.definitions import DEFINITIONS

    return {key: (d.zh if lang == "zh" else d.en) for key, d in DEFINITIONS.items()}


def _yes_no(said: bool, found: bool) -> dict[str, str]:
    return {
        "said": "已" if said else "未",
        "said_en": "counts" if said else "does not count",
        "records": "应当计入" if found else "不应计入",
        "records_en": "belongs there" if found else "does not belong there",
    }


def render(report: AuditReport, lang: str) -> str:
    if lang == "zh":
        head = f"统计快照：{report.organisation} {report.month}（第 {report.version} 版，截至 {report.as_of}）\n"
        tail = "结论：核验通过。\n" if report.ok else "结论：发现问题（见上）。\n"
    else:
        head = f"Statistics snapshot: {report.organisation} {report.month} (version {report.version}, as of {report.as_of})\n"
        tail = "Result: verified.\n" if report.ok else "Result: problems found (above).\n"
    lines = [("✗ " if f.problem else "✓ ") + f.sentence(lang) for f in report.findings]
    return head + "".join(line + "\n" for line in lines) + tail


def main(argv: list[str] | None = None) -> int:
    """Exit 0 when the snapshot holds, 1 when something does not, 2 when the file cannot be read."""
    p = argparse.ArgumentParser(prog="mediate verify-stats", description="Check a statistics snapshot offline.")
    p.add_argument("snapshot", help="the snapshot .zip (with the case bundles behind it)")
    p.add_argument("--trusted-key", action="append", metavar="VKEY", help="the log's vkey (mediate keys list)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the report (default zh)")
    p.add_argument("--json", action="store_true", help="print the findings as JSON instead")
    p.add_argument(
        "--holidays",
        metavar="FILE",
        help="the holidays file the server counted working days with (MEDIATE_HOLIDAYS_FILE), if any",
    )
    try:
        args = p.parse_args(argv)
    except SystemExit as exc:
        return 0 if exc.code == 0 else 2
    try:
        workdays = Workdays(load_schedule(Path(args.holidays))) if args.holidays else Workdays()
        report = verify_snapshot(args.snapshot, trusted_log_keys=args.trusted_key or (), lang=args.lang, workdays=workdays)
    except (OSError, ValueError) as exc:
        print(f"mediate verify-stats: {exc}", file=sys.stderr)
        return 2
    if args.json:
        out = {
            "ok": report.ok,
            "cases": sorted(report.named_cases),
            "findings": [{"code": f.code, "problem": f.problem, "message": f.sentence(args.lang)} for f in report.findings],
        }
        print(json.dumps(out, ensure_ascii=False, indent=1, default=str))
    else:
        sys.stdout.write(render(report, args.lang))
    if not report.readable:
        return 2
    return 0 if report.ok else 1
