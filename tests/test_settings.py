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
