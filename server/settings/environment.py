"""The ``MEDIATE_*`` environment variables: each one's type and bounds, read with pydantic-settings.

A variable given a value of the wrong kind stops the start with a message that names it
(``MEDIATE_COOKIE_SECURE must be true or false ..., not 'ture'``): before issue #20 a mistyped
boolean was silently read as false, and a mistyped decimal ended in a traceback. A variable
that is unset, or empty, leaves the setting at the default of :class:`server.settings.Settings`.

Only the settings listed here can be set from the environment: the password hash's cost
(``Settings.password_hash``) is deliberately absent, so that no operator can weaken it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from server.settings.addresses import normalise_database_url, redis_url, trusted_proxies
from server.settings.errors import SettingsError
from server.settings.holidays import load_schedule
from server.settings.ice import check_turn_credentials, parse_ice_servers
from server.settings.objectstore import s3_settings
from server.settings.phone import phone_settings
from server.settings.sms import sms_settings

PREFIX = "MEDIATE_"
DEFAULT_TIMEZONE = "Asia/Shanghai"

AtLeast0 = Annotated[int, Field(ge=0)]
AtLeast1 = Annotated[int, Field(ge=1)]
#: A decimal number of seconds; "inf" and "nan" are refused.
Seconds = Annotated[float, Field(allow_inf_nan=False)]
#: A decimal greater than zero (seconds, or things per second).
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class Environment(BaseSettings):
    """Every variable mediate reads, by its name less ``MEDIATE_``, lower-cased.

    None means unset. Values that several variables make together (the object store, the SMS
    provider, ICE servers with the TURN secret) are plain text here and checked together by
    :func:`read_environment`.
    """

    model_config = SettingsConfigDict(env_prefix=PREFIX, case_sensitive=True, extra="ignore", frozen=True)

    host: str | None = None
    port: int | None = None
    data_dir: Path | None = None
    database_url: str | None = None
    database_pool_size: AtLeast1 | None = None
    database_max_overflow: AtLeast0 | None = None
    public_url: str | None = None
    timezone: str | None = None
    booking_buffer_minutes: int | None = None
    link_grace_minutes: int | None = None
    staff_session_hours: int | None = None
    login_max_failures: AtLeast1 | None = None
    login_delay_seconds: AtLeast1 | None = None
    login_max_delay_seconds: AtLeast1 | None = None
    login_window_seconds: AtLeast0 | None = None
    login_address_max_failures: AtLeast1 | None = None
    login_account_max_failures: AtLeast1 | None = None
    trusted_proxies: str | None = None
    max_body_bytes: int | None = None
    http_idle_timeout_seconds: Positive | None = None
    http_body_timeout_seconds: Positive | None = None
    http_body_min_rate: AtLeast1 | None = None
    min_free_disk_mb: AtLeast0 | None = None
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_username: str | None = None
    smtp_password: str | None = Field(default=None, repr=False)
    smtp_from: str | None = None
    smtp_starttls: bool | None = None
    outbox_poll_seconds: Seconds | None = None
    cookie_secure: bool | None = None
    log_origin: str | None = None
    ledger_interval_seconds: Seconds | None = None
    stall_trace_ms: AtLeast0 | None = None
    witnesses: str | None = None
    ice_servers: str | None = None
    turn_secret: str | None = Field(default=None, repr=False)
    turn_ttl_seconds: Annotated[int, Field(ge=60)] | None = None
    media_loopback: bool | None = None
    reconnect_grace_seconds: Seconds | None = None
    sip_listen: str | None = None
    sip_trunk: str | None = None
    sip_trunk_user: str | None = None
    sip_trunk_password: str | None = Field(default=None, repr=False)
    sip_advertised_ip: str | None = None
    sip_rtp_ports: str | None = None
    prompts_dir: Path | None = None
    chat_burst: AtLeast1 | None = None
    chat_per_second: Positive | None = None
    event_burst: AtLeast1 | None = None
    event_per_second: Positive | None = None
    recordings_dir: Path | None = None
    recording_key: str | None = Field(default=None, repr=False)
    segment_seconds: Seconds | None = None
    log_format: str | None = None
    shutdown_grace_seconds: Seconds | None = None
    redis_url: str | None = None
    redis_prefix: str | None = None
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = Field(default=None, repr=False)
    s3_prefix: str | None = None
    s3_addressing_style: str | None = None
    s3_kind: str | None = None
    sms_gateway: str | None = None
    sms_access_key_id: str | None = None
    sms_access_key_secret: str | None = Field(default=None, repr=False)
    sms_sign_name: str | None = None
    sms_templates: str | None = None
    sms_app_id: str | None = None
    sms_endpoint: str | None = None
    sms_region: str | None = None
    code_interval_seconds: AtLeast0 | None = None
    phone_number: str | None = None
    phone_pin_key: str | None = Field(default=None, repr=False)
    codes_per_hour: AtLeast1 | None = None
    codes_per_day: AtLeast1 | None = None
    max_upload_bytes: int | None = None
    pdf_font: Path | None = None
    seals_dir: Path | None = None
    holidays_file: Path | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Only what read_environment hands over (from Variables): the environment it was given,
        # never os.environ behind a test's back, a .env file or a secrets directory.
        return (init_settings,)


class Variables(PydanticBaseSettingsSource):
    """The ``MEDIATE_*`` variables of one environment (``os.environ``, or a test's dict), stripped
    of surrounding blanks; an empty one counts as unset."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self._environ = environ

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        raw = self._environ.get(variable(field_name), "").strip()
        return raw or None, field_name, False

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name, field in self.settings_cls.model_fields.items():
            value, key, _ = self.get_field_value(field, name)
            if value is not None:
                found[key] = value
        return found


def variable(field_name: str) -> str:
    return PREFIX + field_name.upper()


#: Settings read as text here and made into their values, checked together, by read_environment.
COMPOSED = {
    "timezone", "database_url", "trusted_proxies", "witnesses", "ice_servers", "turn_secret", "log_format", "redis_url",
    "phone_number", "phone_pin_key", "sip_listen", "sip_rtp_ports", "sip_trunk",
}  # fmt: skip


def read_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The keyword arguments of ``Settings`` that ``environ`` sets; raises :class:`SettingsError`."""
    try:
        env = Environment(**Variables(Environment, environ)())
    except ValidationError as exc:
        raise SettingsError("; ".join(message(error) for error in exc.errors())) from None
    given = env.model_dump(exclude_unset=True)
    values = {name: value for name, value in given.items() if name not in COMPOSED and not name.startswith(("s3_", "sms_"))}
    timezone = env.timezone or DEFAULT_TIMEZONE
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(f"MEDIATE_TIMEZONE {timezone!r} is not an IANA time zone") from exc
    values["default_timezone"] = timezone
    ice_servers = parse_ice_servers(env.ice_servers)
    check_turn_credentials(ice_servers, env.turn_secret)
    values.update(ice_servers=ice_servers, turn_secret=env.turn_secret)
    if env.database_url:
        values["database_url"] = normalise_database_url(env.database_url)
    values["trusted_proxies"] = trusted_proxies(env.trusted_proxies)
    values["witnesses"] = tuple(k.strip() for k in (env.witnesses or "").split(",") if k.strip())
    values["log_format"] = log_format(env.log_format)
    values["redis_url"] = redis_url(env.redis_url)
    if env.sip_listen:
        values["sip_listen"] = host_port(env.sip_listen, "MEDIATE_SIP_LISTEN")
    if env.sip_trunk:
        values["sip_trunk"] = host_port(env.sip_trunk, "MEDIATE_SIP_TRUNK")
    if env.sip_rtp_ports:
        values["sip_rtp_ports"] = port_range(env.sip_rtp_ports)

    def text(name: str) -> str | None:
        value = getattr(env, name.removeprefix(PREFIX).lower())
        return value if isinstance(value, str) else None

    values.update(phone_settings(env.phone_number, env.phone_pin_key))
    # Read now, so that a file that cannot be used stops the start (it is read again by create_app).
    load_schedule(env.holidays_file)
    values.update(s3_settings(text))
    values.update(sms_settings(text))
    return values


def host_port(raw: str, name: str) -> tuple[str, int]:
    """``host:port`` (an IPv4 address or name, and a port), as ``MEDIATE_SIP_LISTEN`` is written."""
    host, _, port = raw.strip().rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingsError(f"{name} must be host:port, for example 0.0.0.0:5060, not {raw!r}")
    return host, int(port)


def port_range(raw: str) -> tuple[int, int]:
    """``low-high``: the UDP ports phone calls' RTP may use (two per call)."""
    low, _, high = raw.strip().partition("-")
    if not (low.isdigit() and high.isdigit() and 1024 <= int(low) < int(high) < 65536):
        raise SettingsError(f"MEDIATE_SIP_RTP_PORTS must be low-high within 1024-65535, for example 40000-49999, not {raw!r}")
    return int(low), int(high)


def log_format(raw: str | None) -> str:
    if raw is None:
        return "text"
    if raw.lower() not in ("text", "json"):
        raise SettingsError(f"MEDIATE_LOG_FORMAT must be text or json, not {raw!r}")
    return raw.lower()


def message(error: Mapping[str, Any]) -> str:
    """What an operator reads for one value pydantic refused, naming the variable as they wrote it."""
    name = variable(str(error["loc"][0]))
    kind, given = error["type"], error["input"]
    if kind in ("bool_parsing", "bool_type"):
        return f"{name} must be true or false (or 1/0, yes/no, on/off), not {given!r}"
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return f"{name} must be a whole number, not {given!r}"
    if kind in ("float_parsing", "float_type"):
        return f"{name} must be a number, not {given!r}"
    if kind == "finite_number":
        return f"{name} must be a finite number, not {given!r}"
    if kind == "greater_than":
        return f"{name} must be a positive number, not {given!r}"
    if kind == "greater_than_equal":
        return f"{name} must be at least {error.get('ctx', {}).get('ge')}, not {given}"
    return f"{name}: {error['msg']}, not {given!r}"
