"""``MEDIATE_PHONE_*``: joining a session by phone with a PIN (#25)."""

from __future__ import annotations

import re
from typing import Any

from server.settings.errors import SettingsError

#: What a person dials: digits, with the spaces, hyphens and brackets people write them with, and a
#: leading + for a country code; at most 20 characters, so it fits an SMS template variable.
PHONE_NUMBER = re.compile(r"\+?[0-9][0-9 ()-]{1,18}[0-9]")
#: The PIN key's least length: 32 characters (``openssl rand -base64 32`` gives 44).
MIN_KEY_LENGTH = 32


def phone_settings(number: str | None, key: str | None) -> dict[str, Any]:
    """The number parties dial and the PINs' key, checked. A refused number is named in the message;
    the key, a secret, never is."""
    if number is not None and not PHONE_NUMBER.fullmatch(number):
        raise SettingsError(
            f"MEDIATE_PHONE_NUMBER must be a phone number people can dial (digits, spaces, hyphens, brackets, "
            f"a leading +; 3 to 20 characters), not {number!r}"
        )
    if key is not None and len(key) < MIN_KEY_LENGTH:
        raise SettingsError(
            f"MEDIATE_PHONE_PIN_KEY must be at least {MIN_KEY_LENGTH} characters (e.g. the output of openssl rand -base64 32)"
        )
    return {"phone_number": number, "phone_pin_key": key}
