"""Evidence bundles: the `.zip` a court receives for one case (FORMAT.md, "Bundle").

Writing is deterministic (same contents, same bytes), so an exporter can compute the
manifest, log it in an `export` record and then write the bundle that record describes.
Reading never trusts the zip: it may come from anyone, so paths, names, counts and sizes are
checked before and while anything is decompressed, and every failure is a `BundleError`
that says what is wrong in words a clerk can pass on.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import struct
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from os import PathLike
from typing import IO, Any

from server.evidence.records import KeyInfo, RecordError, canonical, parse_time, sha256_hex
from server.evidence.zip_members import compression_for

FORMAT = "mediate-bundle/1"
MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_FILES = 200_000
MAX_TOTAL_BYTES = 4 * 1024 * 1024 * 1024
MAX_DIRECTORY_BYTES = 32 * 1024 * 1024  # the zip's central directory: bounds work before any entry is read
CHUNK = 1024 * 1024

README = "README.txt"
MANIFEST = "manifest.json"
KEYS = "keys.json"
CHECKPOINT = "checkpoint.txt"
PROOFS = "proofs.json"
WITNESSES = "witnesses.json"
SELF_PROVING = frozenset({MANIFEST, CHECKPOINT, PROOFS, WITNESSES})
"""Files the manifest does not list: the manifest itself, and those checked against the log."""

_NUMBERED = re.compile(r"(records|bodies)/([0-9]{6,9})\.json")


class BundleError(ValueError):
    """The bundle cannot be read, or one of its files is not of the form FORMAT.md gives."""


@dataclass(frozen=True)
class StreamedFile:
    """A file too big to hold (a recording's segment of a two-hour session adds up to gigabytes):
    its SHA-256 and size, known beforehand (the recorder logged them), and its bytes on demand.

    ``write_bundle`` copies ``chunks()`` into the zip as they come and checks they hash to
    ``sha256``, so the manifest, made from the known hashes before anything is read, cannot
    list bytes other than those written.
    """

    sha256: str
    size: int
    chunks: Callable[[], Iterable[bytes]]


FileData = bytes | StreamedFile


@dataclass
class BundleContents:
    """Everything a bundle holds, parsed; `write_bundle` turns it into a zip and back."""

    case: str
    log: str
    created: str
    entries: list[bytes]
    bodies: dict[int, dict[str, Any]]
    keys: list[KeyInfo]
    checkpoint: str
    proofs: dict[str, Any]
    witnesses: list[dict[str, str]] = field(default_factory=list)
    extra_files: Mapping[str, FileData] = field(default_factory=dict)


# -- names ---------------------------------------------------------------------------------


def record_path(seq: int) -> str:
    return f"records/{seq:06d}.json"


def body_path(seq: int) -> str:
    return f"bodies/{seq:06d}.json"


def numbered(path: str) -> tuple[str, int] | None:
    """("records"|"bodies", seq) for a record or body file name, else None."""
    match = _NUMBERED.fullmatch(path)
    if match is None:
        return None
    number = int(match.group(2))
    if match.group(2) != f"{number:06d}":  # one spelling per seq, so two files cannot claim the same one
        return None
    return match.group(1), number


def check_name(name: str) -> None:
    """Refuse names that could escape a directory or mean different files on different systems."""
    if not name or len(name) > 512:
        raise BundleError(f"a file name is empty or too long: {name[:80]!r}")
    if name.startswith("/") or "\\" in name or ":" in name:
        raise BundleError(f"file name {name!r} is absolute or not a plain relative path")
    if any(ord(c) < 32 or c == "\x7f" for c in name):
        raise BundleError(f"file name {name!r} contains control characters")
    if any(part in ("", ".", "..") for part in name.split("/")):
        raise BundleError(f"file name {name!r} contains an empty, '.' or '..' component")


# -- writing -------------------------------------------------------------------------------


def _is_export(entry: bytes) -> bool:
    try:
        data = json.loads(entry)
        return bool(data["claim"]["type"] == "export")
    except (ValueError, KeyError, TypeError):
        return False


def logged_files(contents: BundleContents, *, export_appended: bool = True) -> dict[str, FileData]:
    """The files the manifest lists: all but the self-proving ones and a trailing export record.

    The export record carries the manifest's hash, so the manifest cannot list it; that record
    proves itself through the log instead.
    """
    entries = contents.entries
    # Before the exporter appends the bundle's own export record (`export_appended=False`), a
    # trailing export record is an earlier export's and belongs in the manifest.
    if export_appended and entries and _is_export(entries[-1]):
        entries = entries[:-1]
    files: dict[str, FileData] = {
        README: readme(contents).encode(),
        KEYS: canonical({"keys": [k.to_json() for k in contents.keys]}),
    }
    for seq, entry in enumerate(entries, 1):
        files[record_path(seq)] = entry
    for seq, body in sorted(contents.bodies.items()):
        files[body_path(seq)] = canonical(body)
    for name, data in sorted(contents.extra_files.items()):
        check_name(name)
        if name in files or name in SELF_PROVING or numbered(name) or name == README:
            raise BundleError(f"extra file {name!r} would replace a standard bundle file")
        files[name] = data
    return files


def manifest_for(contents: BundleContents, *, export_appended: bool = True) -> bytes:
    """Canonical manifest.json; its SHA-256 is what the case's `export` record carries."""
    logged = logged_files(contents, export_appended=export_appended)
    files = {name: data.sha256 if isinstance(data, StreamedFile) else sha256_hex(data) for name, data in logged.items()}
    return canonical({"format": FORMAT, "case": contents.case, "log": contents.log, "created": contents.created, "files": files})


def _zip_time(created: str) -> tuple[int, int, int, int, int, int]:
    """A fixed, contents-derived timestamp, so writing the same contents gives the same bytes."""
    try:
        when = parse_time(created)
    except RecordError:
        return (1980, 1, 1, 0, 0, 0)
    return (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)


def write_bundle(target: str | PathLike[str] | IO[bytes], contents: BundleContents) -> str:
    """Write the bundle zip; returns the hex SHA-256 of its manifest.json.

    Recordings, pictures and PDFs are stored, the rest deflated (``zip_members.compression_for``).
    Entry by entry: a :class:`StreamedFile` is copied a chunk at a time (``ZipFile.open(info,
    "w")``, which ``writestr`` itself uses, with the size declared first so the bytes are the
    same), so memory does not grow with the recordings in the bundle. ``target`` should be
    seekable (a file): zipfile then writes each entry's sizes into its header, as it always has.
    """
    manifest = manifest_for(contents)
    files = logged_files(contents)
    if contents.entries and _is_export(contents.entries[-1]):
        files[record_path(len(contents.entries))] = contents.entries[-1]
    files[MANIFEST] = manifest
    files[CHECKPOINT] = contents.checkpoint.encode()
    files[PROOFS] = canonical(contents.proofs)
    files[WITNESSES] = canonical({"witnesses": contents.witnesses})
    first = [README, MANIFEST, KEYS, CHECKPOINT, PROOFS, WITNESSES]
    order = first + sorted(name for name in files if name not in first)
    stamp = _zip_time(contents.created)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in order:
            info = zipfile.ZipInfo(name, stamp)
            info.compress_type = compression_for(name)
            info.external_attr = 0o644 << 16
            data = files[name]
            if isinstance(data, StreamedFile):
                _write_streamed(zf, info, name, data)
            else:
                zf.writestr(info, data)
    return sha256_hex(manifest)


def _write_streamed(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, data: StreamedFile) -> None:
    info.file_size = data.size  # as writestr sets it: zipfile decides on zip64 from it
    digest, size = hashlib.sha256(), 0
    with zf.open(info, "w") as member:
        for chunk in data.chunks():
            digest.update(chunk)
            size += len(chunk)
            member.write(chunk)
    if digest.hexdigest() != data.sha256 or size != data.size:
        raise BundleError(f"{name} is not the file its recorded hash and size describe")


def readme(contents: BundleContents) -> str:
    """README.txt: what the bundle is and how to check it, in Chinese and English."""
    return f"""调解证据包 / Mediation evidence bundle
======================================

案件 / Case: {contents.case}
日志 / Log: {contents.log}
导出时间 / Exported: {contents.created}

【中文】
本文件是在线调解平台为上述案件导出的证据包。它包含该案件在平台只追加日志中的全部记录
（records/）、记录所涉及的个人信息（bodies/，如姓名、电话）、签名所用的公钥（keys.json）、
日志的签名检查点（checkpoint.txt）、每条记录在日志中的包含证明（proofs.json）以及见证方
（witnesses.json）。manifest.json 列出其余每个文件的 SHA-256 哈希，而清单本身的哈希记录在
案件最后一条“导出”记录中，因此任何改动、删除、重排或伪造都能被发现。

如何核验（离线即可，无需信任平台、数据库或工作人员）：

    mediate verify 本文件.zip

建议同时提供从平台公开地址 /.well-known/mediate-keys.json 或其他可信渠道获得的日志公钥：

    mediate verify 本文件.zip --trusted-key 日志公钥(vkey) 或 含有该公钥的文件

如法院此前保存过本日志的检查点，可用它确认日志此后未被改写：

    mediate verify 本文件.zip --checkpoint 保存的检查点.txt

退出码 0 表示全部通过，1 表示发现问题，2 表示无法读取证据包或参数有误。

[English]
This file is the evidence bundle the online mediation platform exported for the case above.
It holds every record of the case from the platform's append-only log (records/), the
personal details the records refer to (bodies/: names, phone numbers), the public keys that
signed them (keys.json), a signed checkpoint of the log (checkpoint.txt), a proof that each
record is in the log (proofs.json) and the witnesses (witnesses.json). manifest.json lists
the SHA-256 of every other file, and the manifest's own hash is in the case's last record
(the "export" record), so any change, removal, reordering or forgery shows.

How to check it (offline; no need to trust the platform, its database or its staff):

    mediate verify THIS-FILE.zip

Preferably also give the log's public key, obtained from the platform's published
/.well-known/mediate-keys.json or another trusted channel:

    mediate verify THIS-FILE.zip --trusted-key LOG-VKEY-or-FILE

If the court saved a checkpoint of this log earlier, check that the log was not rewritten:

    mediate verify THIS-FILE.zip --checkpoint saved-checkpoint.txt

Exit code 0 means everything verified, 1 that problems were found, 2 that the bundle could
not be read or the command was wrong.
"""


# -- reading -------------------------------------------------------------------------------


def _directory_limits(fp: IO[bytes]) -> None:
    """Read the zip's end record ourselves and refuse oversized directories before zipfile parses them.

    zipfile builds an object per directory entry up front, so a hostile directory must be
    refused by its declared size and count, which sit in the last bytes of the file.
    """
    fp.seek(0, io.SEEK_END)
    size = fp.tell()
    fp.seek(max(0, size - 65_557))
    tail = fp.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise BundleError("this is not a zip file (no end-of-directory record)")
    count, dir_size = struct.unpack("<HI", tail[at + 10 : at + 16])
    if (count == 0xFFFF or dir_size == 0xFFFFFFFF) and at >= 20 and tail[at - 20 : at - 16] == b"PK\x06\x07":
        (offset,) = struct.unpack("<Q", tail[at - 12 : at - 4])
        fp.seek(offset)
        record = fp.read(56)
        if len(record) < 56 or record[:4] != b"PK\x06\x06":
            raise BundleError("the zip's zip64 end record is damaged")
        count, dir_size = struct.unpack("<QQ", record[32:48])
    if count > MAX_FILES:
        raise BundleError(f"the bundle declares {count} files; at most {MAX_FILES} are accepted")
    if dir_size > MAX_DIRECTORY_BYTES:
        raise BundleError(f"the zip directory is {dir_size} bytes; at most {MAX_DIRECTORY_BYTES} are accepted")
    fp.seek(0)


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """Decompress one entry, stopping as soon as it is bigger than it said or than allowed."""
    cap = min(info.file_size, limit)
    out = bytearray()
    with zf.open(info) as member:
        while chunk := member.read(CHUNK):
            out += chunk
            if len(out) > cap:
                raise BundleError(f"{info.filename} decompresses to more than its declared or allowed size (zip bomb?)")
    if len(out) != info.file_size:
        raise BundleError(f"{info.filename} is {len(out)} bytes, not the {info.file_size} its header declares")
    return bytes(out)


def _checked_infos(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > MAX_FILES:
        raise BundleError(f"the bundle holds {len(infos)} files; at most {MAX_FILES} are accepted")
    seen: dict[str, str] = {}
    out: list[zipfile.ZipInfo] = []
    total = 0
    for info in infos:
        name = info.filename
        if name.endswith("/") and info.file_size == 0:
            check_name(name[:-1])
            continue  # a directory entry, added by some zip tools; holds nothing
        check_name(name)
        folded = unicodedata.normalize("NFC", name).casefold()
        if folded in seen:
            raise BundleError(f"the file name {name!r} occurs more than once (also as {seen[folded]!r})")
        seen[folded] = name
        if info.flag_bits & 0x1:
            raise BundleError(f"{name} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise BundleError(f"{name} uses an unsupported compression method ({info.compress_type})")
        if info.file_size > MAX_FILE_BYTES:
            raise BundleError(f"{name} is {info.file_size} bytes; files over {MAX_FILE_BYTES} bytes are refused")
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise BundleError(f"the bundle's files add up to more than {MAX_TOTAL_BYTES} bytes")
        out.append(info)
    return out


def read_files(source: str | PathLike[str] | IO[bytes]) -> dict[str, bytes]:
    """Every file of the zip, by name, after the checks above. Raises BundleError."""
    try:
        fp: IO[bytes] = open(source, "rb") if isinstance(source, str | PathLike) else source
    except OSError as exc:
        raise BundleError(f"cannot open the bundle: {exc.strerror or exc}") from exc
    try:
        _directory_limits(fp)
        with zipfile.ZipFile(fp) as zf:
            return {info.filename: _read_member(zf, info, MAX_FILE_BYTES) for info in _checked_infos(zf)}
    except BundleError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
        raise BundleError(f"the zip file is damaged or not a zip: {exc}") from exc
    except Exception as exc:
        raise BundleError(f"the zip file cannot be read: {type(exc).__name__}: {exc}") from exc
    finally:
        if fp is not source:
            fp.close()


#: Files a verifier hashes as they stream and leaves in the zip: a recording's segments (gigabytes in all).
STREAMED = re.compile(r"recordings/[^/]+/[^/]+\.webm")


class BundleFiles(Mapping[str, bytes]):
    """Every file of an open bundle by name, for a verifier: what :func:`read_files` gives, in bounded memory.

    The small files are read at once; the files ``STREAMED`` names are read and hashed a chunk at
    a time when the bundle is opened, with every check :func:`read_files` makes, and only their
    hash is kept (:meth:`sha256`). Indexing one reads it from the zip again. Made by
    :func:`open_files`, valid while it is open.
    """

    def __init__(self, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], streamed: Callable[[str], bool]) -> None:
        self._zf = zf
        self._infos = {info.filename: info for info in infos}
        self._kept: dict[str, bytes] = {}
        self._hashes: dict[str, str] = {}
        for info in infos:
            if streamed(info.filename):
                self._hashes[info.filename] = _hash_member(zf, info, MAX_FILE_BYTES)
            else:
                self._kept[info.filename] = _read_member(zf, info, MAX_FILE_BYTES)

    def __getitem__(self, name: str) -> bytes:
        if name in self._kept:
            return self._kept[name]
        return _read_member(self._zf, self._infos[name], MAX_FILE_BYTES)

    def __iter__(self) -> Iterator[str]:
        return iter(self._infos)

    def __len__(self) -> int:
        return len(self._infos)

    def __contains__(self, name: object) -> bool:
        return name in self._infos

    def sha256(self, name: str) -> str:
        """The file's SHA-256 (hex), without reading a streamed file again."""
        found = self._hashes.get(name)
        return found if found is not None else sha256_hex(self[name])


def file_sha256(files: Mapping[str, bytes], name: str) -> str:
    """A bundle file's SHA-256 (hex): from :meth:`BundleFiles.sha256` when it was hashed as it streamed."""
    return files.sha256(name) if isinstance(files, BundleFiles) else sha256_hex(files[name])


@contextlib.contextmanager
def open_files(
    source: str | PathLike[str] | IO[bytes], streamed: Callable[[str], object] = STREAMED.fullmatch
) -> Iterator[BundleFiles]:
    """The bundle's files, checked as :func:`read_files` checks them, those ``streamed`` names never held whole."""
    try:
        fp: IO[bytes] = open(source, "rb") if isinstance(source, str | PathLike) else source
    except OSError as exc:
        raise BundleError(f"cannot open the bundle: {exc.strerror or exc}") from exc
    try:
        with _reading_errors():
            _directory_limits(fp)
            zf = zipfile.ZipFile(fp)
        with zf:
            with _reading_errors():
                files = BundleFiles(zf, _checked_infos(zf), lambda name: bool(streamed(name)))
            yield files
    finally:
        if fp is not source:
            fp.close()


@contextlib.contextmanager
def _reading_errors() -> Iterator[None]:
    """Any failure to read the zip as a BundleError, as :func:`read_files` reports it."""
    try:
        yield
    except BundleError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
        raise BundleError(f"the zip file is damaged or not a zip: {exc}") from exc
    except Exception as exc:
        raise BundleError(f"the zip file cannot be read: {type(exc).__name__}: {exc}") from exc


def _hash_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> str:
    """:func:`_read_member`'s checks, keeping only the SHA-256 of what it read."""
    cap = min(info.file_size, limit)
    digest, size = hashlib.sha256(), 0
    with zf.open(info) as member:
        while chunk := member.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if size > cap:
                raise BundleError(f"{info.filename} decompresses to more than its declared or allowed size (zip bomb?)")
    if size != info.file_size:
        raise BundleError(f"{info.filename} is {size} bytes, not the {info.file_size} its header declares")
    return digest.hexdigest()


def load_json(files: Mapping[str, bytes], name: str) -> Any:
    """One JSON file of the bundle, or BundleError naming it."""
    if name not in files:
        raise BundleError(f"{name} is missing")
    try:
        return json.loads(files[name].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BundleError(f"{name} is not valid JSON: {exc}") from exc


def load_object(files: Mapping[str, bytes], name: str, key: str, kind: type) -> Any:
    """A JSON object whose `key` holds a value of type `kind`, or BundleError naming the file."""
    data = load_json(files, name)
    if not isinstance(data, dict) or not isinstance(data.get(key), kind):
        raise BundleError(f"{name} must be an object with {key!r} of type {kind.__name__}")
    return data


def parse_manifest(files: Mapping[str, bytes]) -> dict[str, Any]:
    data = load_object(files, MANIFEST, "files", dict)
    if data.get("format") != FORMAT:
        raise BundleError(f"{MANIFEST} is not of format {FORMAT}")
    for key in ("case", "log", "created"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise BundleError(f"{MANIFEST} lacks {key!r}")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in data["files"].items()):
        raise BundleError(f"{MANIFEST} 'files' must map names to hex hashes")
    return dict(data)


def parse_keys(files: Mapping[str, bytes]) -> list[KeyInfo]:
    data = load_object(files, KEYS, "keys", list)
    try:
        return [KeyInfo.from_json(item) for item in data["keys"]]
    except RecordError as exc:
        raise BundleError(f"{KEYS}: {exc}") from exc


def parse_witnesses(files: Mapping[str, bytes]) -> list[dict[str, str]]:
    if WITNESSES not in files:
        return []
    data = load_object(files, WITNESSES, "witnesses", list)
    items = data["witnesses"]
    if not all(isinstance(w, dict) and isinstance(w.get("name"), str) and isinstance(w.get("vkey"), str) for w in items):
        raise BundleError(f"{WITNESSES}: each witness needs a name and a vkey")
    return [{"name": w["name"], "vkey": w["vkey"]} for w in items]


def parse_body(files: Mapping[str, bytes], name: str) -> dict[str, Any]:
    data = load_json(files, name)
    if not isinstance(data, dict) or set(data) != {"salt", "data"} or not isinstance(data["data"], dict):
        raise BundleError(f"{name} must be {{salt, data}}")
    return data


def parse_checkpoint(files: Mapping[str, bytes]) -> str:
    if CHECKPOINT not in files:
        raise BundleError(f"{CHECKPOINT} is missing")
    try:
        return files[CHECKPOINT].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BundleError(f"{CHECKPOINT} is not UTF-8 text") from exc


def numbered_files(files: Mapping[str, bytes], kind: str) -> dict[int, str]:
    """seq -> file name for records/ or bodies/."""
    out: dict[int, str] = {}
    for name in files:
        found = numbered(name)
        if found and found[0] == kind:
            out[found[1]] = name
    return out


def parse_contents(files: Mapping[str, bytes], *, extra_files: bool = True) -> BundleContents:
    """The strict reading: any malformed standard file is a BundleError (the verifier is more forgiving).

    ``extra_files=False`` leaves the other files (recordings, documents) unread: for a reader that
    needs only the records, from :func:`open_files`, whose recordings stay in the zip."""
    manifest = parse_manifest(files)
    records = numbered_files(files, "records")
    bodies = numbered_files(files, "bodies")
    standard = {README, KEYS, *SELF_PROVING, *records.values(), *bodies.values()}
    return BundleContents(
        case=manifest["case"],
        log=manifest["log"],
        created=manifest["created"],
        entries=[files[records[seq]] for seq in sorted(records)],
        bodies={seq: parse_body(files, name) for seq, name in sorted(bodies.items())},
        keys=parse_keys(files),
        checkpoint=parse_checkpoint(files),
        proofs=load_object(files, PROOFS, "records", list),
        witnesses=parse_witnesses(files),
        extra_files={name: data for name, data in files.items() if name not in standard} if extra_files else {},
    )


def read_bundle(source: str | PathLike[str] | IO[bytes]) -> tuple[BundleContents, dict[str, bytes]]:
    """Read and parse a bundle; returns the contents and the raw files (for hashing)."""
    files = read_files(source)
    return parse_contents(files), files
