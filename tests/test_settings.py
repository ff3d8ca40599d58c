"""Settings read from the environment: the video-related ones, which operators write by hand."""

from __future__ import annotations

import pytest

from server.settings import Settings, SettingsError


def test_ice_servers_take_the_browsers_json_form() -> None:
    raw = (
        '[{"urls": "stun:tiaojie.example.cn:3478"}, {"urls": ["turn:tiaojie.example.cn:3478?transport=udp"],'
        ' "username": "mediate", "credential": "s3cret"}]'
    )
    settings = Settings.from_env({"MEDIATE_ICE_SERVERS": raw})
    assert settings.ice_servers == (
        {"urls": ["stun:tiaojie.example.cn:3478"]},
        {"urls": ["turn:tiaojie.example.cn:3478?transport=udp"], "username": "mediate", "credential": "s3cret"},
    )


def test_ice_servers_may_be_a_plain_list_of_stun_urls() -> None:
    settings = Settings.from_env({"MEDIATE_ICE_SERVERS": "stun:a.example.cn:3478, stun:b.example.cn:3478"})
    assert settings.ice_servers == ({"urls": "stun:a.example.cn:3478"}, {"urls": "stun:b.example.cn:3478"})
    assert Settings.from_env({}).ice_servers == ()


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("[{", "not valid JSON"),
        ('{"urls": "stun:x"}', "must be a list"),
        ('[{"username": "u"}]', "must be a list"),
        ('[{"urls": "http://x"}]', "not stun:/turn: URLs"),
    ],
)
def test_a_wrong_ice_server_setting_stops_the_start_with_a_clear_message(raw: str, says: str) -> None:
    with pytest.raises(SettingsError, match=says):
        Settings.from_env({"MEDIATE_ICE_SERVERS": raw})


def test_reconnect_grace_and_media_loopback() -> None:
    settings = Settings.from_env({"MEDIATE_RECONNECT_GRACE_SECONDS": "90", "MEDIATE_MEDIA_LOOPBACK": "1"})
    assert settings.reconnect_grace_seconds == 90 and settings.media_loopback is True
    assert Settings.from_env({}).reconnect_grace_seconds == 60 and Settings.from_env({}).media_loopback is False


def test_operations_settings_have_defaults_for_one_process_and_take_the_environment() -> None:
    default = Settings.from_env({})
    assert (default.log_format, default.shutdown_grace_seconds, default.redis_url, default.redis_prefix) == (
        "text",
        30.0,
        None,
        "mediate",
    )
    set_ = Settings.from_env(
        {
            "MEDIATE_LOG_FORMAT": "JSON",
            "MEDIATE_SHUTDOWN_GRACE_SECONDS": "12.5",
            "MEDIATE_REDIS_URL": "redis://10.0.0.5:6379/2",
            "MEDIATE_REDIS_PREFIX": "mediate-bj",
        }
    )
    assert (set_.log_format, set_.shutdown_grace_seconds, set_.redis_url, set_.redis_prefix) == (
        "json",
        12.5,
        "redis://10.0.0.5:6379/2",
        "mediate-bj",
    )


@pytest.mark.parametrize(
    ("name", "raw", "says"),
    [
        ("MEDIATE_LOG_FORMAT", "xml", "MEDIATE_LOG_FORMAT must be text or json"),
        ("MEDIATE_REDIS_URL", "10.0.0.5:6379", "MEDIATE_REDIS_URL must be a redis://"),
        ("MEDIATE_HTTP_IDLE_TIMEOUT_SECONDS", "0", "MEDIATE_HTTP_IDLE_TIMEOUT_SECONDS must be a positive number"),
        ("MEDIATE_HTTP_BODY_TIMEOUT_SECONDS", "soon", "MEDIATE_HTTP_BODY_TIMEOUT_SECONDS must be a number"),
        ("MEDIATE_HTTP_BODY_MIN_RATE", "0", "MEDIATE_HTTP_BODY_MIN_RATE must be at least 1"),
        ("MEDIATE_MIN_FREE_DISK_MB", "-1", "MEDIATE_MIN_FREE_DISK_MB must be at least 0"),
    ],
)
def test_a_wrong_operations_setting_stops_the_start_with_a_clear_message(name: str, raw: str, says: str) -> None:
    with pytest.raises(SettingsError, match=says):
        Settings.from_env({name: raw})


def test_recordings_go_to_an_object_store_when_a_bucket_is_named() -> None:
    default = Settings.from_env({})
    assert (default.s3_bucket, default.s3_prefix) == (None, "")
    settings = Settings.from_env(
        {
            "MEDIATE_S3_BUCKET": "mediate-recordings",
            "MEDIATE_S3_ENDPOINT_URL": "https://minio.example.cn:9000",
            "MEDIATE_S3_REGION": "cn-north-1",
            "MEDIATE_S3_ACCESS_KEY_ID": "AKIAEXAMPLE",
            "MEDIATE_S3_SECRET_ACCESS_KEY": "not-in-logs",
            "MEDIATE_S3_PREFIX": "beijing/prod",
            "MEDIATE_S3_ADDRESSING_STYLE": "Virtual",
        }
    )
    assert (settings.s3_bucket, settings.s3_endpoint_url, settings.s3_region, settings.s3_prefix) == (
        "mediate-recordings",
        "https://minio.example.cn:9000",
        "cn-north-1",
        "beijing/prod/",
    )
    assert (settings.s3_access_key_id, settings.s3_secret_access_key, settings.s3_addressing_style) == (
        "AKIAEXAMPLE",
        "not-in-logs",
        "virtual",
    )
    assert "not-in-logs" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"MEDIATE_S3_ENDPOINT_URL": "http://127.0.0.1:9000"}, "MEDIATE_S3_ENDPOINT_URL set but not MEDIATE_S3_BUCKET"),
        ({"MEDIATE_S3_BUCKET": "Recordings"}, "not a bucket name"),
        ({"MEDIATE_S3_BUCKET": "a..b"}, "not a bucket name"),
        ({"MEDIATE_S3_BUCKET": "mediate", "MEDIATE_S3_ENDPOINT_URL": "minio:9000"}, "http:// or https://"),
        ({"MEDIATE_S3_BUCKET": "mediate", "MEDIATE_S3_ACCESS_KEY_ID": "AKIA"}, "set both or neither"),
        ({"MEDIATE_S3_BUCKET": "mediate", "MEDIATE_S3_PREFIX": "/abs"}, "MEDIATE_S3_PREFIX"),
        ({"MEDIATE_S3_BUCKET": "mediate", "MEDIATE_S3_PREFIX": "a/../b"}, "MEDIATE_S3_PREFIX"),
        ({"MEDIATE_S3_BUCKET": "mediate", "MEDIATE_S3_ADDRESSING_STYLE": "dns"}, "path or virtual"),
    ],
)
def test_a_half_or_wrongly_configured_object_store_stops_the_start(env: dict[str, str], says: str) -> None:
    with pytest.raises(SettingsError, match=says):
        Settings.from_env(env)


def test_the_database_pool_is_sized_from_the_environment_and_a_nonsense_size_is_refused() -> None:
    default = Settings.from_env({})
    assert (default.database_pool_size, default.database_max_overflow) == (10, 20)
    set_ = Settings.from_env({"MEDIATE_DATABASE_POOL_SIZE": "4", "MEDIATE_DATABASE_MAX_OVERFLOW": "0"})
    assert (set_.database_pool_size, set_.database_max_overflow) == (4, 0)
    with pytest.raises(SettingsError, match="MEDIATE_DATABASE_POOL_SIZE must be at least 1, not 0"):
        Settings.from_env({"MEDIATE_DATABASE_POOL_SIZE": "0"})
    with pytest.raises(SettingsError, match="MEDIATE_DATABASE_MAX_OVERFLOW must be a whole number"):
        Settings.from_env({"MEDIATE_DATABASE_MAX_OVERFLOW": "lots"})


def test_slow_client_and_free_space_limits_have_defaults_and_take_the_environment() -> None:
    default = Settings.from_env({})
    limits = ("http_idle_timeout_seconds", "http_body_timeout_seconds", "http_body_min_rate", "min_free_disk_mb")
    assert tuple(getattr(default, name) for name in limits) == (75.0, 20.0, 500, 256)
    set_ = Settings.from_env(
        {
            "MEDIATE_HTTP_IDLE_TIMEOUT_SECONDS": "30",
            "MEDIATE_HTTP_BODY_TIMEOUT_SECONDS": "60.5",
            "MEDIATE_HTTP_BODY_MIN_RATE": "200",
            "MEDIATE_MIN_FREE_DISK_MB": "0",
        }
    )
    assert tuple(getattr(set_, name) for name in limits) == (30.0, 60.5, 200, 0)


def test_login_throttling_and_trusted_proxies_come_from_the_environment() -> None:
    default = Settings.from_env({})
    assert (default.login_max_failures, default.login_delay_seconds, default.login_max_delay_seconds) == (5, 30, 900)
    assert (default.login_address_max_failures, default.login_account_max_failures) == (20, 50)
    assert default.trusted_proxies == ("127.0.0.1/32", "::1/128"), "nginx on the same machine"
    set_ = Settings.from_env({"MEDIATE_TRUSTED_PROXIES": "10.0.0.5, 10.1.0.0/16", "MEDIATE_LOGIN_DELAY_SECONDS": "60"})
    assert set_.trusted_proxies == ("10.0.0.5/32", "10.1.0.0/16") and set_.login_delay_seconds == 60
    assert Settings.from_env({"MEDIATE_TRUSTED_PROXIES": "none"}).trusted_proxies == ()
    with pytest.raises(SettingsError, match="MEDIATE_TRUSTED_PROXIES: 'nginx' is not an address"):
        Settings.from_env({"MEDIATE_TRUSTED_PROXIES": "nginx"})
    with pytest.raises(SettingsError, match="MEDIATE_LOGIN_DELAY_SECONDS must be at least 1"):
        Settings.from_env({"MEDIATE_LOGIN_DELAY_SECONDS": "0"})


def test_the_flood_limits_are_read_from_the_environment_and_nonsense_is_refused() -> None:
    default = Settings.from_env({})
    assert (default.chat_burst, default.chat_per_second, default.event_burst, default.event_per_second) == (10, 1.0, 20, 2.0)
    set_ = Settings.from_env({"MEDIATE_CHAT_BURST": "3", "MEDIATE_CHAT_PER_SECOND": "0.5", "MEDIATE_EVENT_PER_SECOND": "4"})
    assert (set_.chat_burst, set_.chat_per_second, set_.event_per_second) == (3, 0.5, 4.0)
    with pytest.raises(SettingsError, match="MEDIATE_CHAT_BURST must be at least 1, not 0"):
        Settings.from_env({"MEDIATE_CHAT_BURST": "0"})
    for bad in ("0", "-1", "fast", "inf", "nan"):
        with pytest.raises(SettingsError, match="MEDIATE_EVENT_PER_SECOND must be a"):
            Settings.from_env({"MEDIATE_EVENT_PER_SECOND": bad})


def test_production_hashes_passwords_at_rfc_9106_cost() -> None:
    """The suite hashes at the lowest cost (tests/conftest.py); a deployment never does: the
    defaults and the environment give RFC 9106's second recommendation (t=3, 64 MiB, 4 lanes),
    and no variable lowers it."""
    from argon2 import PasswordHasher, extract_parameters, profiles

    assert Settings().password_hash == profiles.RFC_9106_LOW_MEMORY
    for environ in ({}, {"MEDIATE_PASSWORD_HASH": "CHEAPEST", "MEDIATE_ARGON2_MEMORY_COST": "8"}):
        assert Settings.from_env(environ).password_hash == profiles.RFC_9106_LOW_MEMORY
    stored = PasswordHasher.from_parameters(Settings.from_env({}).password_hash).hash("Correct-Horse-9")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert extract_parameters(stored) == profiles.RFC_9106_LOW_MEMORY


@pytest.mark.parametrize(
    ("name", "raw", "says"),
    [
        ("MEDIATE_COOKIE_SECURE", "ture", "MEDIATE_COOKIE_SECURE must be true or false (or 1/0, yes/no, on/off), not 'ture'"),
        ("MEDIATE_MEDIA_LOOPBACK", "2", "MEDIATE_MEDIA_LOOPBACK must be true or false"),
        ("MEDIATE_SMTP_STARTTLS", "enabled", "MEDIATE_SMTP_STARTTLS must be true or false"),
        ("MEDIATE_PORT", "80a", "MEDIATE_PORT must be a whole number, not '80a'"),
        ("MEDIATE_BOOKING_BUFFER_MINUTES", "15.5", "MEDIATE_BOOKING_BUFFER_MINUTES must be a whole number"),
        ("MEDIATE_OUTBOX_POLL_SECONDS", "5s", "MEDIATE_OUTBOX_POLL_SECONDS must be a number, not '5s'"),
        ("MEDIATE_SEGMENT_SECONDS", "nan", "MEDIATE_SEGMENT_SECONDS must be a finite number"),
        ("MEDIATE_TURN_TTL_SECONDS", "30", "MEDIATE_TURN_TTL_SECONDS must be at least 60, not 30"),
    ],
)
def test_a_mistyped_boolean_or_number_is_refused_with_the_variables_name(name: str, raw: str, says: str) -> None:
    """Issue #20: a mistyped boolean used to be read as a silent false, a mistyped decimal ended in a traceback."""
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({name: raw})
    assert says in str(refused.value)


def test_booleans_take_the_usual_spellings_in_any_case() -> None:
    for raw in ("1", "true", "TRUE", "yes", "On", " y "):
        assert Settings.from_env({"MEDIATE_COOKIE_SECURE": raw}).cookie_secure is True, raw
    for raw in ("0", "false", "No", "off", "n", ""):
        assert Settings.from_env({"MEDIATE_COOKIE_SECURE": raw}).cookie_secure is False, raw


def test_every_wrong_variable_is_named_at_once() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"MEDIATE_COOKIE_SECURE": "ture", "MEDIATE_PORT": "eighty", "MEDIATE_CHAT_BURST": "0"})
    assert all(name in str(refused.value) for name in ("MEDIATE_COOKIE_SECURE", "MEDIATE_PORT", "MEDIATE_CHAT_BURST"))


def test_the_server_does_not_start_on_a_mistyped_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from server.cli import main

    monkeypatch.setenv("MEDIATE_COOKIE_SECURE", "ture")
    assert main(["serve", "--port", "0"]) == 1
    assert "mediate: MEDIATE_COOKIE_SECURE must be true or false" in capsys.readouterr().err


def test_every_setting_but_the_password_cost_and_tls_is_read_from_its_own_variable() -> None:
    """The password hash's cost has no variable (an operator cannot weaken it); TLS follows
    `mediate serve --cert/--key`. Every other setting has one, so none is forgotten by from_env."""
    from dataclasses import fields

    from server.settings.environment import Environment

    names = {name if name != "timezone" else "default_timezone" for name in Environment.model_fields}
    assert {f.name for f in fields(Settings)} - names == {"password_hash", "tls"}
    assert names <= {f.name for f in fields(Settings)}


def test_the_number_to_dial_and_the_pin_key_come_from_the_environment_and_nonsense_is_refused() -> None:
    default = Settings.from_env({})
    assert (default.phone_number, default.phone_pin_key) == (None, None)
    key = "k" * 44
    given = Settings.from_env({"MEDIATE_PHONE_NUMBER": "010-8888 6666", "MEDIATE_PHONE_PIN_KEY": key})
    assert (given.phone_number, given.phone_pin_key) == ("010-8888 6666", key)
    assert key not in repr(given), "a secret stays out of logs"
    for number in ("+86 (10) 8888-6666", "12348", "4008123456"):
        assert Settings.from_env({"MEDIATE_PHONE_NUMBER": number}).phone_number == number
    for bad in ("拨打12348", "12", "010-8888 6666 转 1", "+86 10 8888 6666 8888 66", "010-"):
        with pytest.raises(SettingsError, match="MEDIATE_PHONE_NUMBER must be a phone number"):
            Settings.from_env({"MEDIATE_PHONE_NUMBER": bad})
    short = "tooshort-but-secret"
    with pytest.raises(SettingsError, match="MEDIATE_PHONE_PIN_KEY must be at least 32 characters") as refused:
        Settings.from_env({"MEDIATE_PHONE_PIN_KEY": short})
    assert short not in str(refused.value), "a refused key is not echoed"
