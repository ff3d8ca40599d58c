"""The one place where the environment is read: the settings object and the ``MEDIATE_*`` variables.

- ``model``: :class:`Settings`, the one object every command and the app itself take;
- ``environment``: the variables, each one's type and bounds (pydantic-settings), and how they
  make a ``Settings`` (``Settings.from_env``);
- ``addresses``, ``ice``, ``objectstore``, ``phone``, ``sms``: the values that need more than a type, checked
  with a message that names the variable.
"""

from server.settings.addresses import WILDCARD_OR_LOOPBACK, is_loopback_host, normalise_database_url
from server.settings.environment import DEFAULT_TIMEZONE
from server.settings.errors import SettingsError
from server.settings.model import Settings
from server.settings.sms import SMS_PROVIDERS, SmsTemplate

__all__ = [
    "DEFAULT_TIMEZONE",
    "SMS_PROVIDERS",
    "WILDCARD_OR_LOOPBACK",
    "Settings",
    "SettingsError",
    "SmsTemplate",
    "is_loopback_host",
    "normalise_database_url",
]
