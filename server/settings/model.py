"""The settings object every command and the app itself take.

It is built from the environment (``MEDIATE_*``, read and checked in server/settings/environment.py)
by :meth:`Settings.from_env`; nothing else calls ``os.environ``. Tests build it directly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from argon2 import Parameters, profiles

from server.settings.addresses import LOOPBACK_PROXIES, WILDCARD_OR_LOOPBACK, is_loopback_host
from server.settings.environment import DEFAULT_TIMEZONE, read_environment
from server.settings.sms import SmsTemplate


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
    # Argon2id's cost for staff passwords: RFC 9106's second recommended option (section 4: t=3
    # passes, 64 MiB, 4 lanes; argon2-cffi's RFC_9106_LOW_MEMORY, its PasswordHasher default), as
    # OWASP's Password Storage Cheat Sheet asks for at least. Not read from the environment: no
    # operator can weaken it. Only the test suite lowers it (tests/conftest.py), where hashing at
    # full cost made every fixture that creates accounts take seconds.
    password_hash: Parameters = field(default_factory=lambda: profiles.RFC_9106_LOW_MEMORY)
    # Login throttling (server/domain/login_throttle.py, OWASP Authentication Cheat Sheet): wrong
    # passwords for one account from one client address before each further attempt waits; the
    # first wait, doubled after each further failure up to the longest; after the last wait and
    # this window with no failure, the count starts over.
    login_max_failures: int = 5
    login_delay_seconds: int = 30
    login_max_delay_seconds: int = 900
    login_window_seconds: int = 900
    # The same growing waits for one client address whatever the accounts it tries (password
    # spraying), and for one account whatever the addresses (guesses from many machines).
    login_address_max_failures: int = 20
    login_account_max_failures: int = 50
    # Peers whose X-Forwarded-For names the client (nginx in front); the client is the last
    # address in it that is not one of these. Others' X-Forwarded-For is ignored.
    trusted_proxies: tuple[str, ...] = LOOPBACK_PROXIES
    max_body_bytes: int = 256 * 1024
    # Slow and idle clients (server/http/timeouts.py), so that one machine without nginx in front
    # cannot be exhausted by connections held open. A connection may sit this long without a
    # complete request head: idle between requests, or trickling its headers (nginx's keepalive_timeout).
    http_idle_timeout_seconds: float = 75.0
    # A request body gets this long, plus one second per ``http_body_min_rate`` bytes received
    # (Apache mod_reqtimeout's body=20,MinRate=500): slower is answered 408 and the connection closed.
    http_body_timeout_seconds: float = 20.0
    http_body_min_rate: int = 500
    # /readyz fails, and writes are refused with 507, when the data or recordings directory has less free.
    min_free_disk_mb: int = 256
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
    # Event-loop stalls longer than this (ms) are traced to the code they happened in and logged
    # (server/ops/stalltrace.py, mediate_event_loop_stall_seconds); 0: off (a sampling thread's cost).
    stall_trace_ms: float = 0.0
    # Witness vkeys (C2SP tlog-cosignature, type 0x04) whose cosignatures POST /log/cosignature accepts.
    witnesses: tuple[str, ...] = ()
    # STUN/TURN servers, as browsers take them (RTCIceServer), given to browsers and to aiortc.
    ice_servers: tuple[dict[str, Any], ...] = ()
    # The secret shared with coturn (use-auth-secret, static-auth-secret): TURN entries of
    # ice_servers written without a username then get credentials of each participant's own,
    # valid turn_ttl_seconds (signaling/turn.py). Unset: TURN entries need a fixed username and credential.
    turn_secret: str | None = field(default=None, repr=False)
    turn_ttl_seconds: int = 86_400
    # Offer 127.0.0.1 as a media candidate (tests, and a browser on the server's own machine).
    media_loopback: bool = False
    # How long a dropped participant keeps their place (room or caucus) before re-admission is needed.
    reconnect_grace_seconds: float = 60.0
    # Phone calls (signaling/telephony, docs/TELEPHONY.md): the UDP address SIP is answered on (None:
    # no telephony), the address written in SDP when that one is not the one callers' media reach,
    # the UDP ports calls' RTP may take, and a folder of recorded prompts replacing the spoken ones.
    sip_listen: tuple[str, int] | None = None
    # Where calls to parties go ("call me"): the PBX or carrier's SIP address (None: no calls out).
    sip_trunk: tuple[str, int] | None = None
    # The trunk account to register as (a carrier or PBX that sends calls to a registered contact).
    sip_trunk_user: str | None = None
    sip_trunk_password: str | None = field(default=None, repr=False)
    sip_advertised_ip: str | None = None
    sip_rtp_ports: tuple[int, int] = (40000, 49999)
    prompts_dir: Path | None = None
    # Floods (#19): chat messages one participant may send at once, then how many a second after
    # that (a token bucket per participant); beyond it the message is refused, not stored.
    chat_burst: int = 10
    chat_per_second: float = 1.0
    # The same for the other events a participant sends that everyone's list shows (hand, audio-only,
    # device check, camera/microphone/screen on or off).
    event_burst: int = 20
    event_per_second: float = 2.0
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
    # s3 | oss | cos: which "do not overwrite" header segments are written with (recordings/s3.py
    # FORBID_OVERWRITE); unset: from the endpoint's host (*.aliyuncs.com oss, *.myqcloud.com cos, else s3).
    s3_kind: str = "s3"
    # The server speaks TLS itself (`mediate serve --cert/--key`): addresses it derives are https.
    tls: bool = False
    # Joining a session by phone (#25): the number parties without a smartphone dial, shown to them in
    # the invitation (with their link's PIN) and to the mediator. Unset: no telephony, no PIN shown anywhere.
    phone_number: str | None = None
    # The secret the PINs of party links are hashed under (HMAC-SHA256, server/domain/phone_pins.py),
    # so that the database alone does not give them away. Unset: a key file made in the data directory
    # on first start (keep it with that directory's backups; every process must use the same key).
    phone_pin_key: str | None = field(default=None, repr=False)
    # Text messages through a provider (MEDIATE_SMS_GATEWAY=aliyun | tencent): its credentials, the
    # approved sign name, the approved template of each message kind (server/domain/notices.py), and
    # where its API is (overridable, so tests point it at a stand-in on loopback).
    sms_access_key_id: str | None = None  # Alibaba AccessKey ID, or Tencent SecretId
    sms_access_key_secret: str | None = field(default=None, repr=False)  # AccessKey secret, or SecretKey
    sms_sign_name: str | None = None
    sms_templates: dict[str, SmsTemplate] = field(default_factory=dict)
    sms_app_id: str | None = None  # Tencent's SmsSdkAppId
    sms_endpoint: str | None = None  # unset: the provider's public endpoint
    sms_region: str | None = None  # Tencent's X-TC-Region; unset: ap-guangzhou
    # How often a one-time code may be asked for, per party and per phone number or address
    # (server/domain/code_requests.py); the defaults are the providers' own default limits.
    code_interval_seconds: int = 60
    codes_per_hour: int = 5
    codes_per_day: int = 10
    # The official holidays and make-up workdays (调休) of years the chinese-calendar package does not
    # carry yet, as the State Council publishes them (server/settings/holidays.py): working-day
    # deadlines in those years are otherwise estimated Monday to Friday, and say so.
    holidays_file: Path | None = None

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
        """The address parties' links are built from: ``MEDIATE_PUBLIC_URL``, else derived from where we listen.

        The derived address names this machine (``localhost`` for a wildcard or loopback listener),
        so it is right only for a browser on the server itself; ``public_address_is_loopback``
        says so, and ``mediate serve`` and the admin page warn about it.
        """
        if self.public_url:
            return self.public_url.rstrip("/")
        scheme = "https" if self.tls else "http"
        host = "localhost" if self.host in WILDCARD_OR_LOOPBACK else self.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"  # an IPv6 literal in a URL (RFC 3986 §3.2.2)
        return f"{scheme}://{host}:{self.port}"

    @property
    def public_address_is_loopback(self) -> bool:
        """True when links point at this machine only (localhost, 127.0.0.0/8, ::1)."""
        return is_loopback_host(urlsplit(self.base_url).hostname or "localhost")

    @property
    def listens_beyond_loopback(self) -> bool:
        return not is_loopback_host(self.host)

    @property
    def default_log_origin(self) -> str | None:
        """The evidence log's name (C2SP tlog-checkpoint origin) taken from the public address.

        None when there is no public address yet: a loopback name is not unique (every test
        install is "localhost:8080") and must never be fixed as a log's name for life, so the
        keyring then gives the log a provisional name until a public address is configured.
        """
        if self.log_origin:
            return self.log_origin
        if self.public_address_is_loopback:
            return None
        return f"{urlsplit(self.base_url).netloc}/log"

    @property
    def webauthn_origin(self) -> str:
        """The origin browsers report in WebAuthn ceremonies: the public URL's scheme, host and port."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def webauthn_rp_id(self) -> str:
        """The relying party id: the public host name (WebAuthn §5.1.2, an effective domain)."""
        return urlsplit(self.base_url).hostname or "localhost"

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings the ``MEDIATE_*`` variables give (``os.environ`` unless told), the rest defaults.

        A value of the wrong kind (``MEDIATE_COOKIE_SECURE=ture``, ``MEDIATE_PORT=80a``) stops the
        start with a :class:`SettingsError` naming the variable: it is never silently read as false.
        """
        return cls(**read_environment(os.environ if environ is None else environ))
