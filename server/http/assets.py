"""The browser's files as served: versioned URLs, import paths without a map, compressed copies.

The pages under ``web/`` are native ES modules with no build step. Served as they are, a party
on a weak network (400 kbit/s, 400 ms per request) waited 12.8 s for the first screen: every
visit re-asked for 29 files, nothing was compressed, and the module graph was discovered one
level of imports at a time. This module turns the directory into what a browser should get,
once per process (or again when a file changes), without changing the files:

- **Versioned URLs.** Every file gets a version: a hash of its content and, for pages, modules
  and stylesheets, of the versions of everything it refers to (a Merkle hash over the graph,
  strongly connected parts of it hashed together). References are rewritten to
  ``/static/<path>?v=<version>``: ``href``/``src`` in the HTML pages, ``import``/``export …
  from``/``import()`` specifiers and ``new URL('…', import.meta.url)`` in modules, ``url()`` in
  stylesheets. A change in any module therefore changes the URL of every module and page that
  leads to it, and a versioned URL can be cached for a year as immutable (RFC 8246); the pages
  themselves are revalidated on every visit (``no-cache`` with an ETag, RFC 9111 §5.2.2.4).
- **No import map needed.** Bare specifiers (``socket.io-client``) are resolved here from
  ``web/importmap.json`` and written as paths, so browsers without import maps (Safari before
  16.4, older in-app browsers) load the same modules.
- **Preloading.** Each page's head gets a ``<link rel="modulepreload">`` for every module its
  entry module imports statically, so the browser fetches them all at once instead of one level
  of the import graph per round trip. Modules imported with ``import()`` are not preloaded:
  they load when the page needs them.
- **Compression.** gzip (RFC 1952, level 9) and, when the ``brotli`` module is installed, Brotli
  (RFC 7932, quality 11) copies of every text file, made once per content and kept in memory and
  in a cache directory (by content hash, shared by restarts and by processes on the same data
  directory), never per request.

Nothing here knows aiohttp: ``server.http.static`` serves what this builds.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import mimetypes
import os
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

try:  # Brotli is optional: gzip alone already gives most of the gain.
    import brotli as _brotli
except ImportError:  # pragma: no cover - depends on the environment
    _brotli = None

STATIC_PREFIX = "/static/"
TEXT_TYPES = {".js", ".mjs", ".css", ".html", ".svg", ".json", ".map", ".txt"}
# Files of web/ that are not served: the npm manifest and lockfile (node_modules is served only
# where a page or module refers to it).
#: Files of web/ that are for the tools, not the browser (npm, the import map read here, tsc's).
NOT_SERVED = {"package.json", "package-lock.json", "importmap.json", "jsconfig.json"}
VERSION_CHARS = 12

# import x from '…' / export {x} from '…' / import '…' / import('…') / new URL('…', import.meta.url)
JS_REFERENCE = re.compile(
    r"""(?P<head>\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\bnew\s+URL\(\s*)(?P<q>['"])(?P<spec>[^'"\n]+)(?P=q)(?P<tail>\s*,\s*import\.meta\.url)?"""
)
HTML_REFERENCE = re.compile(r"""(?P<head>\b(?:href|src)=)(?P<q>["'])(?P<spec>/static/[^"'?#]+)(?P=q)""")
MODULE_SCRIPT = re.compile(r"""<script type="module" src=["'](?P<spec>/static/[^"'?#]+)["']""")
CSS_REFERENCE = re.compile(r"""(?P<head>url\(\s*|@import\s+)(?P<q>["']?)(?P<spec>[^"')\s]+)(?P=q)""")
# <script src="/static/…" data-inline></script>: the file's text is put in the page (a classic
# script that must run before any module, without a request of its own).
INLINE_SCRIPT = re.compile(r"""<script src=["']/static/(?P<path>[^"'?#]+)["'] data-inline></script>""")
IMPORT_MAP_TAG = re.compile(r"""\s*<script type="importmap">.*?</script>""", re.S)
# A script element with its text in the page (no src): the Content-Security-Policy must name its hash.
INLINE_CODE = re.compile(r"""<script(?P<attrs>(?:\s[^>]*)?)>(?P<code>.*?)</script>""", re.S)
SCRIPT_TYPE = re.compile(r"""\btype=["']?(?P<type>[^"'\s>]+)""")
# What browsers execute (everything else, such as application/json, is a data block: never run, not
# subject to script-src). The import map is a script for CSP too, though the pages have none.
EXECUTED_TYPES = {"", "module", "importmap", "text/javascript", "application/javascript"}


#: Per directory, the files as last built (their stamp, the assets, the pages' inline-script hashes):
#: every :class:`Assets` of the process on the same files shares one build (an app is made per test,
#: and building took 0.3 CPU s each time).
_BUILT: dict[Path, tuple[tuple[tuple[str, int, int], ...], dict[str, Asset], tuple[str, ...]]] = {}
_BUILT_LOCK = threading.Lock()


def forget_builds() -> None:
    """Drop the process's shared builds (the next ``Assets`` builds afresh, as a new process would)."""
    with _BUILT_LOCK:
        _BUILT.clear()


@dataclass
class Asset:
    """One file as served: its bytes (references rewritten), type, version and compressed copies."""

    path: str
    body: bytes
    content_type: str
    version: str
    compressible: bool
    encoded: dict[str, bytes] = field(default_factory=dict)

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


@dataclass
class Source:
    path: str
    file: Path
    raw: bytes
    kind: str  # "js", "css", "html" or "other"
    refs: dict[str, str] = field(default_factory=dict)  # specifier as written -> asset path
    static_imports: list[str] = field(default_factory=list)  # asset paths imported statically (js)
    entries: list[str] = field(default_factory=list)  # module scripts of a page (html)


class Assets:
    """The served form of ``root`` (the repository's ``web/``), rebuilt when a file changes."""

    def __init__(self, root: Path, cache_dir: Path | None = None, *, recheck_seconds: float = 0.0) -> None:
        """``recheck_seconds``: how long a look at the files' dates and sizes holds before the next one
        (the server's is a second: each look stats every served file, and a page asks for a dozen files
        at once; an edited file is still served within the second)."""
        self.root = root
        self.cache_dir = cache_dir
        self.recheck_seconds = recheck_seconds
        self._checked_at = -float("inf")
        self._lock = threading.Lock()
        self._assets: dict[str, Asset] = {}
        self._stamp: tuple[tuple[str, int, int], ...] | None = None
        self._script_hashes: tuple[str, ...] = ()

    # ------------------------------------------------------------------ lookups

    def get(self, path: str) -> Asset | None:
        """The asset at ``path`` (relative to ``web/``), building or rebuilding first if needed."""
        return self.current().get(path)

    def url(self, path: str) -> str:
        """The versioned URL of ``path`` (``/static/css/base.css?v=…``)."""
        asset = self.get(path)
        return f"{STATIC_PREFIX}{path}?v={asset.version}" if asset else f"{STATIC_PREFIX}{path}"

    def current(self) -> dict[str, Asset]:
        if self._stamp is not None and time.monotonic() - self._checked_at < self.recheck_seconds:
            return self._assets
        stamp = self._scan_stamp()
        self._checked_at = time.monotonic()
        with self._lock:
            if stamp != self._stamp:
                with _BUILT_LOCK:
                    built = _BUILT.get(self.root)
                    if built is None or built[0] != stamp:
                        assets = self._build()
                        hashes = inline_script_hashes(a.body for a in assets.values() if a.path.endswith(".html"))
                        built = _BUILT[self.root] = (stamp, assets, hashes)
                _, self._assets, self._script_hashes = built
                self._stamp = stamp
            return self._assets

    @property
    def script_hashes(self) -> tuple[str, ...]:
        """CSP hash sources (``'sha256-…'``) of the inline scripts of the pages as last built.

        Read without looking for changed files (``current`` does that when a page is asked for,
        before its answer is sent), so that adding the policy to every answer costs nothing.
        """
        return self._script_hashes

    def encoded(self, asset: Asset, encoding: str) -> bytes | None:
        """``asset``'s body in ``encoding`` ("gzip" or "br"), made once and cached; None if unavailable."""
        if not asset.compressible or (encoding == "br" and _brotli is None) or encoding not in ("gzip", "br"):
            return None
        found = asset.encoded.get(encoding)
        if found is not None:
            return found
        data = self._from_cache(asset.body, encoding)
        if data is None:
            data = compress(asset.body, encoding)
            self._to_cache(asset.body, encoding, data)
        asset.encoded[encoding] = data
        return data

    def warm(self) -> None:
        """Build and compress everything now (``mediate serve`` does this at start, in a thread)."""
        for asset in list(self.current().values()):
            for encoding in ("br", "gzip"):
                self.encoded(asset, encoding)

    # ------------------------------------------------------------------ building

    def _scan_stamp(self) -> tuple[tuple[str, int, int], ...]:
        files = []
        for file in self._files():
            st = file.stat()
            files.append((str(file), st.st_mtime_ns, st.st_size))
        return tuple(files)

    def _files(self) -> list[Path]:
        """The files of ``root`` that are served, node_modules left out (not even walked: this
        runs on every page request to notice edited files)."""
        if not self.root.is_dir():
            return []
        found = []
        for folder, dirs, files in os.walk(self.root):
            if Path(folder) == self.root:
                dirs[:] = [d for d in dirs if d != "node_modules"]
            for name in files:
                file = Path(folder) / name
                if name not in NOT_SERVED and not name.endswith(".d.ts") and not file.is_symlink():
                    found.append(file)
        return sorted(found)

    def _build(self) -> dict[str, Asset]:
        bare = self._import_map()
        sources: dict[str, Source] = {}
        pending = [self._rel(f) for f in self._files()] + list(bare.values())
        while pending:
            path = pending.pop()
            if path in sources:
                continue
            file = self._safe(path)
            if file is None:
                continue
            source = self._read(path, file, bare)
            sources[path] = source
            pending.extend(p for p in source.refs.values() if p not in sources)
        versions: dict[str, str] = {}
        for group in _components({p: [r for r in s.refs.values() if r in sources] for p, s in sources.items()}):
            digest = hashlib.sha256()
            for path in sorted(group):
                digest.update(path.encode() + b"\0" + sources[path].raw + b"\0")
                for dep in sorted(set(sources[path].refs.values()) - set(group)):
                    digest.update(dep.encode() + b"=" + versions.get(dep, "").encode() + b"\0")
            version = digest.hexdigest()[:VERSION_CHARS]
            for path in group:
                versions[path] = version
        assets = {}
        for path, source in sources.items():
            body = self._rewrite(source, sources, versions)
            content_type = _content_type(path)
            # A page's version is the hash of what is served (it is the page's ETag).
            version = hashlib.sha256(body).hexdigest()[:VERSION_CHARS] if source.kind == "html" else versions[path]
            assets[path] = Asset(path, body, content_type, version, Path(path).suffix in TEXT_TYPES)
        return assets

    def _rel(self, file: Path) -> str:
        return file.relative_to(self.root).as_posix()

    def _safe(self, path: str) -> Path | None:
        """``path`` inside ``root`` as a regular file, or None (no ``..``, no symlinks out)."""
        pure = PurePosixPath(path)
        if pure.is_absolute() or ".." in pure.parts:
            return None
        file = self.root / pure
        try:
            resolved = file.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if not resolved.is_file() or not resolved.is_relative_to(self.root.resolve()):
            return None
        return file

    def _import_map(self) -> dict[str, str]:
        """Bare specifier -> asset path, from web/importmap.json (``/static/…`` values)."""
        file = self.root / "importmap.json"
        if not file.is_file():
            return {}
        imports = json.loads(file.read_text())["imports"]
        return {name: url.removeprefix(STATIC_PREFIX) for name, url in imports.items()}

    def _read(self, path: str, file: Path, bare: dict[str, str]) -> Source:
        raw = file.read_bytes()
        suffix = Path(path).suffix
        kind = {".js": "js", ".mjs": "js", ".css": "css", ".html": "html"}.get(suffix, "other")
        source = Source(path, file, raw, kind)
        if kind == "other":
            return source
        text = raw.decode("utf-8")
        if kind == "js":
            for m in JS_REFERENCE.finditer(text):
                spec, head = m["spec"], m["head"]
                if head.startswith("new") and not m["tail"]:
                    continue  # new URL('…') without import.meta.url: not a reference to a file here
                target = bare.get(spec) or self._resolve(path, spec)
                if target is None:
                    continue
                source.refs[spec] = target
                if not head.startswith("new") and "(" not in head:
                    source.static_imports.append(target)
        elif kind == "css":
            for m in CSS_REFERENCE.finditer(text):
                target = self._resolve(path, m["spec"])
                if target:
                    source.refs[m["spec"]] = target
        else:
            for m in HTML_REFERENCE.finditer(text):
                target = self._resolve(path, m["spec"])
                if target:
                    source.refs[m["spec"]] = target
            source.entries = [source.refs[m["spec"]] for m in MODULE_SCRIPT.finditer(text) if m["spec"] in source.refs]
        return source

    def _resolve(self, base: str, spec: str) -> str | None:
        """The asset path ``spec`` refers to from ``base``, if it is a file served here."""
        rel: str | None = None
        if spec.startswith(STATIC_PREFIX):
            rel = spec.removeprefix(STATIC_PREFIX)
        elif spec.startswith(("./", "../")):
            rel = _normalise(str(PurePosixPath(base).parent / spec))
        if rel is None:
            return None
        rel = rel.split("?", 1)[0].split("#", 1)[0]
        return rel if self._safe(rel) is not None else None

    def _rewrite(self, source: Source, sources: dict[str, Source], versions: dict[str, str]) -> bytes:
        if source.kind == "other":
            return source.raw
        text = source.raw.decode("utf-8")

        def versioned(spec: str) -> str:
            """The reference with its target's version; a bare specifier becomes a path."""
            target = source.refs[spec]
            where = spec if spec.startswith((".", "/")) else STATIC_PREFIX + target
            return f"{where}?v={versions[target]}"

        def js(m: re.Match[str]) -> str:
            if m["spec"] not in source.refs or (m["head"].startswith("new") and not m["tail"]):
                return m[0]
            return f"{m['head']}{m['q']}{versioned(m['spec'])}{m['q']}{m['tail'] or ''}"

        def other(m: re.Match[str]) -> str:
            if m["spec"] not in source.refs:
                return m[0]
            return f"{m['head']}{m['q']}{versioned(m['spec'])}{m['q']}"

        if source.kind == "js":
            text = JS_REFERENCE.sub(js, text)
        elif source.kind == "css":
            text = CSS_REFERENCE.sub(other, text)
        else:
            text = IMPORT_MAP_TAG.sub("", text)
            text = INLINE_SCRIPT.sub(lambda m: self._inline_script(m["path"], sources) or m[0], text)
            text = HTML_REFERENCE.sub(other, text)
            text = _add_preloads(text, source, sources, versions)
        return text.encode("utf-8")

    @staticmethod
    def _inline_script(path: str, sources: dict[str, Source]) -> str | None:
        source = sources.get(path)
        if source is None:
            return None
        code = source.raw.decode("utf-8").replace("</script", "<\\/script")
        return f"<script>/* {path} */\n{code}</script>"

    # ------------------------------------------------------------------ compressed copies on disk

    def _cache_file(self, body: bytes, encoding: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / f"{hashlib.sha256(body).hexdigest()}.{encoding}"

    def _from_cache(self, body: bytes, encoding: str) -> bytes | None:
        file = self._cache_file(body, encoding)
        try:
            return file.read_bytes() if file is not None else None
        except OSError:
            return None

    def _to_cache(self, body: bytes, encoding: str, data: bytes) -> None:
        file = self._cache_file(body, encoding)
        if file is None:
            return
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            # Processes on one data directory share the cache: a thread's id alone can repeat in another process.
            partial = file.with_suffix(f".{encoding}.{os.getpid()}.{threading.get_ident()}.tmp")
            partial.write_bytes(data)
            partial.replace(file)
        except OSError:
            pass  # a read-only data directory: the copy stays in memory


def compress(body: bytes, encoding: str) -> bytes:
    if encoding == "br":
        assert _brotli is not None
        return bytes(_brotli.compress(body, quality=11, mode=_brotli.MODE_TEXT))
    return gzip.compress(body, compresslevel=9, mtime=0)


def inline_script_hashes(pages: Iterable[bytes]) -> tuple[str, ...]:
    """The CSP Level 3 hash source of each script that ``pages`` carry in their text, sorted.

    A hash (rather than a per-request nonce) keeps each page's bytes, and so its ETag and 304
    answers, the same for every visitor; the hash is of the exact text between the tags
    (CSP3 §8.4, "Does element match source list for type and source?").
    """
    found: set[str] = set()
    for body in pages:
        for m in INLINE_CODE.finditer(body.decode("utf-8")):
            if "src=" in m["attrs"]:
                continue
            kind = SCRIPT_TYPE.search(m["attrs"])
            if (kind["type"].lower() if kind else "") not in EXECUTED_TYPES:
                continue
            digest = base64.b64encode(hashlib.sha256(m["code"].encode("utf-8")).digest()).decode()
            found.add(f"'sha256-{digest}'")
    return tuple(sorted(found))


def brotli_available() -> bool:
    return _brotli is not None


def _normalise(path: str) -> str | None:
    parts: list[str] = []
    for part in PurePosixPath(path).parts:
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def _content_type(path: str) -> str:
    suffix = Path(path).suffix
    known = {
        ".js": "text/javascript; charset=utf-8",
        ".mjs": "text/javascript; charset=utf-8",
        ".css": "text/css; charset=utf-8",
        ".html": "text/html; charset=utf-8",
        ".svg": "image/svg+xml",
        ".json": "application/json",
        ".map": "application/json",
        ".ico": "image/x-icon",
    }
    return known.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"


def _add_preloads(text: str, source: Source, sources: dict[str, Source], versions: dict[str, str]) -> str:
    """A modulepreload link for every module the page's module scripts import statically."""
    seen: list[str] = []
    stack = list(reversed(source.entries))
    while stack:
        path = stack.pop()
        if path in seen:
            continue
        seen.append(path)
        stack.extend(reversed(sources[path].static_imports))
    preloads = [p for p in seen if p not in source.entries]
    if not preloads:
        return text
    links = "".join(f'<link rel="modulepreload" href="{STATIC_PREFIX}{p}?v={versions[p]}">\n' for p in preloads)
    return text.replace("</head>", links + "</head>", 1)


def _components(graph: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components, dependencies before what depends on them (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            edges = graph.get(node, [])
            if i < len(edges):
                work.append((node, i + 1))
                nxt = edges[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                out.append(group)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return out
