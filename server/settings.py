"""The one place where the environment is read.

Every command and the app itself take a `Settings`; nothing else calls `os.environ`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Shanghai"


class SettingsError(ValueError):
    """A setting has a value the server cannot run with."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = field(default_factory=lambda: Path("data"))
    database_url: str | None = None
    # PostgreSQL only (SQLite has one connection): connections each process keeps, and may add.
    database_pool_size: int = 10
    database_max_overflow: int = 20
    # The address people reach the server at; party links are built from it.
    public_url: str | None = None
    default_timezone: str = DEFAULT_TIMEZONE
    # Minutes kept free between two sessions of one mediator.
    booking_buffer_minutes: int = 15
    # How long after a session ends its party links stay usable (for late joiners, the .ics).
    link_grace_minutes: int = 120
    staff_session_hours: int = 12
    login_max_failures: int = 5
    login_window_seconds: int = 900
    max_body_bytes: int = 256 * 1024
    # Notifications: "record" keeps messages in the outbox only (the default, so a mediator
    # can pass links on by phone or WeChat); "smtp" also e-mails; SMS goes to the gateway.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "mediate@localhost"
    smtp_starttls: bool = False
    sms_gateway: str = "spool"
    outbox_poll_seconds: float = 5.0
    cookie_secure: bool = False
    # The evidence log's name (C2SP checkpoint origin), fixed at first start; default: host + "/log".
    log_origin: str | None = None
    ledger_interval_seconds: float = 0.5
    # Witness vkeys (C2SP tlog-cosignature, type 0x04) whose cosignatures POST /log/cosignature accepts.
    witnesses: tuple[str, ...] = ()
    # STUN/TURN servers, as browsers take them (RTCIceServer), given to browsers and to aiortc.
    ice_servers: tuple[dict[str, Any], ...] = ()
    # Offer 127.0.0.1 as a media candidate (tests, and a browser on the server's own machine).
    media_loopback: bool = False
    # How long a dropped participant keeps their place (room or caucus) before re-admission is needed.
    reconnect_grace_seconds: float = 60.0
    # Where sealed recording segments are kept (default: <data_dir>/recordings).
    recordings_dir: Path | None = None
    # The master key that wraps each recording's data key (base64 of 32 bytes). Unset: a key
    # file made in the data directory on first start (keep it with the backups of that directory).
    recording_key: str | None = None
    # Largest case file a party or mediator may upload (PDF, PNG, JPEG).
    max_upload_bytes: int = 10 * 1024 * 1024
    # The CJK TrueType font embedded in agreement PDFs (default: Debian's fonts-wqy-microhei).
    pdf_font: Path | None = None
    # Where the seal authority and organisations' seal certificates live (default: <data_dir>/seals).
    seals_dir: Path | None = None
    # Length of a recorded segment; a video segment is cut on the first key frame after it.
    segment_seconds: float = 4.0
    # Log lines as text (a person at a terminal) or JSON (a log collector), with session/participant ids.
    log_format: str = "text"
    # On SIGTERM: how long the process may take to drain (finish recordings, send people elsewhere) and close.
    shutdown_grace_seconds: float = 30.0
    # Several processes: live rooms and Socket.IO messages go through this Redis (unset: one process).
    redis_url: str | None = None
    # Prefix of every Redis key and channel (several deployments, or tests, may share one Redis).
    redis_prefix: str = "mediate"
    # Recordings (segments and the files derived from them) in this S3-compatible bucket instead of
    # recordings_dir (recordings/s3.py); the other s3_* settings say where and how to reach it.
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None  # unset: Amazon S3
    s3_region: str | None = None
    s3_access_key_id: str | None = None  # unset (both): botocore's own chain (AWS_* variables, instance role)
    s3_secret_access_key: str | None = field(default=None, repr=False)
    s3_prefix: str = ""  # "" or ending in "/": several deployments may share a bucket
    s3_addressing_style: str | None = None  # path | virtual; unset: path with an endpoint URL

    @property
    def resolved_recordings_dir(self) -> Path:
        return self.recordings_dir or self.data_dir / "recordings"

    @property
    def resolved_seals_dir(self) -> Path:
        return self.seals_dir or self.data_dir / "seals"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'mediate.sqlite3').resolve()}"

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "localhost" if self.host in ("0.0.0.0", "127.0.0.1", "::") else self.host
        return f"http://{host}:{self.port}"

    @property
    def default_log_origin(self) -> str:
        if self.log_origin:
            return self.log_origin
        from urllib.parse import urlsplit

        return f"{urlsplit(self.base_url).netloc}/log"

    @property
    def webauthn_origin(self) -> str:
        """The origin browsers report in WebAuthn ceremonies: the public URL's scheme, host and port."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def webauthn_rp_id(self) -> str:
        """The relying party id: the public host name (WebAuthn §5.1.2, an effective domain)."""
        from urllib.parse import urlsplit

        return urlsplit(self.base_url).hostname or "localhost"

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)

        def text(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def integer(name: str, default: int) -> int:
            raw = text(name)
            if raw is None:
                return default
            try:
                return int(raw)
            except ValueError as exc:
                raise SettingsError(f"{name} must be a whole number, not {raw!r}") from exc

        def boolean(name: str, default: bool) -> bool:
            raw = text(name)
            if raw is None:
                return default
            return raw.lower() in ("1", "true", "yes", "on")

        timezone = text("MEDIATE_TIMEZONE") or DEFAULT_TIMEZONE
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SettingsError(f"MEDIATE_TIMEZONE {timezone!r} is not an IANA time zone") from exc
        database_url = text("MEDIATE_DATABASE_URL")
        return cls(
            host=text("MEDIATE_HOST") or cls.host,
            port=integer("MEDIATE_PORT", cls.port),
            data_dir=Path(text("MEDIATE_DATA_DIR") or "data"),
            database_url=normalise_database_url(database_url) if database_url else None,
            database_pool_size=at_least(
                "MEDIATE_DATABASE_POOL_SIZE", integer("MEDIATE_DATABASE_POOL_SIZE", cls.database_pool_size), 1
            ),
            database_max_overflow=at_least(
                "MEDIATE_DATABASE_MAX_OVERFLOW", integer("MEDIATE_DATABASE_MAX_OVERFLOW", cls.database_max_overflow), 0
            ),
            public_url=text("MEDIATE_PUBLIC_URL"),
            default_timezone=timezone,
            booking_buffer_minutes=integer("MEDIATE_BOOKING_BUFFER_MINUTES", 15),
            link_grace_minutes=integer("MEDIATE_LINK_GRACE_MINUTES", 120),
            staff_session_hours=integer("MEDIATE_STAFF_SESSION_HOURS", 12),
            login_max_failures=integer("MEDIATE_LOGIN_MAX_FAILURES", 5),
            login_window_seconds=integer("MEDIATE_LOGIN_WINDOW_SECONDS", 900),
            max_body_bytes=integer("MEDIATE_MAX_BODY_BYTES", 256 * 1024),
            smtp_host=text("MEDIATE_SMTP_HOST"),
            smtp_port=integer("MEDIATE_SMTP_PORT", 25),
            smtp_username=text("MEDIATE_SMTP_USERNAME"),
            smtp_password=text("MEDIATE_SMTP_PASSWORD"),
            smtp_from=text("MEDIATE_SMTP_FROM") or "mediate@localhost",
            smtp_starttls=boolean("MEDIATE_SMTP_STARTTLS", False),
            sms_gateway=text("MEDIATE_SMS_GATEWAY") or "spool",
            outbox_poll_seconds=float(text("MEDIATE_OUTBOX_POLL_SECONDS") or 5.0),
            cookie_secure=boolean("MEDIATE_COOKIE_SECURE", False),
            log_origin=text("MEDIATE_LOG_ORIGIN"),
            ledger_interval_seconds=float(text("MEDIATE_LEDGER_INTERVAL_SECONDS") or 0.5),
            witnesses=tuple(k.strip() for k in (text("MEDIATE_WITNESSES") or "").split(",") if k.strip()),
            ice_servers=parse_ice_servers(text("MEDIATE_ICE_SERVERS")),
            media_loopback=boolean("MEDIATE_MEDIA_LOOPBACK", False),
            reconnect_grace_seconds=float(text("MEDIATE_RECONNECT_GRACE_SECONDS") or 60.0),
            recordings_dir=Path(recordings) if (recordings := text("MEDIATE_RECORDINGS_DIR")) else None,
            recording_key=text("MEDIATE_RECORDING_KEY"),
            segment_seconds=float(text("MEDIATE_SEGMENT_SECONDS") or 4.0),
            log_format=log_format(text("MEDIATE_LOG_FORMAT")),
            shutdown_grace_seconds=float(text("MEDIATE_SHUTDOWN_GRACE_SECONDS") or 30.0),
            redis_url=redis_url(text("MEDIATE_REDIS_URL")),
            redis_prefix=text("MEDIATE_REDIS_PREFIX") or "mediate",
            **s3_settings(text),
            max_upload_bytes=integer("MEDIATE_MAX_UPLOAD_BYTES", 10 * 1024 * 1024),
            pdf_font=Path(font) if (font := text("MEDIATE_PDF_FONT")) else None,
            seals_dir=Path(seals) if (seals := text("MEDIATE_SEALS_DIR")) else None,
        )


def parse_ice_servers(raw: str | None) -> tuple[dict[str, Any], ...]:
    """``MEDIATE_ICE_SERVERS``: a JSON list of RTCIceServer objects, or a comma-separated list of URLs.

    ``[{"urls": "stun:stun.example.cn:3478"}, {"urls": ["turn:turn.example.cn:3478?transport=udp"],
    "username": "mediate", "credential": "..."}]``, or simply ``stun:host:3478,stun:other:3478``.
    """
    if raw is None:
        return ()
    if not raw.startswith(("[", "{")):
        urls = ice_urls([url.strip() for url in raw.split(",") if url.strip()])
        return tuple({"urls": url} for url in urls)
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"MEDIATE_ICE_SERVERS is not valid JSON: {exc}") from exc
    servers: list[dict[str, Any]] = []
    for entry in parsed if isinstance(parsed, list) else [None]:
        if not isinstance(entry, dict) or not entry.get("urls"):
            raise SettingsError('MEDIATE_ICE_SERVERS must be a list of {"urls": ..., "username"?, "credential"?}')
        urls = ice_urls(entry["urls"] if isinstance(entry["urls"], list) else [entry["urls"]])
        server: dict[str, Any] = {"urls": urls}
        for key in ("username", "credential"):
            if entry.get(key) is not None:
                server[key] = str(entry[key])
        servers.append(server)
    return tuple(servers)


def at_least(name: str, value: int, least: int) -> int:
    if value < least:
        raise SettingsError(f"{name} must be at least {least}, not {value}")
    return value


def redis_url(raw: str | None) -> str | None:
    if raw is not None and not raw.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError(f"MEDIATE_REDIS_URL must be a redis://, rediss:// or unix:// URL, not {raw!r}")
    return raw


S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
S3_PREFIX = re.compile(r"^([0-9A-Za-z._-]+/)*$")


def s3_settings(text: Callable[[str], str | None]) -> dict[str, Any]:
    """The ``MEDIATE_S3_*`` settings, checked together: an object store half configured does not start."""
    bucket = text("MEDIATE_S3_BUCKET")
    others = ("ENDPOINT_URL", "REGION", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY", "PREFIX", "ADDRESSING_STYLE")
    given = {name: text(f"MEDIATE_S3_{name}") for name in others}
    if bucket is None:
        if any(given.values()):
            names = ", ".join(f"MEDIATE_S3_{name}" for name, value in given.items() if value)
            raise SettingsError(f"{names} set but not MEDIATE_S3_BUCKET: say which bucket holds the recordings")
        return {}
    if not S3_BUCKET.match(bucket) or ".." in bucket:
        raise SettingsError(f"MEDIATE_S3_BUCKET {bucket!r} is not a bucket name (3 to 63 of a-z, 0-9, '.', '-')")
    endpoint = given["ENDPOINT_URL"]
    if endpoint is not None and not re.match(r"^https?://[^/\s]+/?$", endpoint):
        raise SettingsError(f"MEDIATE_S3_ENDPOINT_URL must be an http:// or https:// address, not {endpoint!r}")
    if (given["ACCESS_KEY_ID"] is None) != (given["SECRET_ACCESS_KEY"] is None):
        raise SettingsError("MEDIATE_S3_ACCESS_KEY_ID and MEDIATE_S3_SECRET_ACCESS_KEY go together: set both or neither")
    prefix = given["PREFIX"] or ""
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    if not S3_PREFIX.match(prefix) or {".", ".."} & set(prefix.split("/")):
        raise SettingsError(f"MEDIATE_S3_PREFIX {prefix!r} must be folder names of 0-9, A-Z, a-z, '.', '_', '-' joined by '/'")
    style = given["ADDRESSING_STYLE"]
    if style is not None and style.lower() not in ("path", "virtual"):
        raise SettingsError(f"MEDIATE_S3_ADDRESSING_STYLE must be path or virtual, not {style!r}")
    return {
        "s3_bucket": bucket,
        "s3_endpoint_url": endpoint,
        "s3_region": given["REGION"],
        "s3_access_key_id": given["ACCESS_KEY_ID"],
        "s3_secret_access_key": given["SECRET_ACCESS_KEY"],
        "s3_prefix": prefix,
        "s3_addressing_style": style.lower() if style else None,
    }


def log_format(raw: str | None) -> str:
    if raw is None:
        return "text"
    if raw.lower() not in ("text", "json"):
        raise SettingsError(f"MEDIATE_LOG_FORMAT must be text or json, not {raw!r}")
    return raw.lower()


def normalise_database_url(url: str) -> str:
    """Accept the URLs operators write (postgres://, postgresql://) and pick the async driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    return url


def ice_urls(urls: list[Any]) -> list[str]:
    """The URLs as given, if every one is a STUN or TURN URL (RFC 7064, RFC 7065)."""
    if not all(isinstance(u, str) and u.split(":", 1)[0] in ("stun", "stuns", "turn", "turns") for u in urls):
        raise SettingsError(f"MEDIATE_ICE_SERVERS: {urls!r} are not stun:/turn: URLs")
    return list(urls)
