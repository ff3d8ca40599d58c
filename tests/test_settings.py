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
