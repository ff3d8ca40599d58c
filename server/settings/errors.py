"""The one error a setting raises."""

from __future__ import annotations


class SettingsError(ValueError):
    """A setting has a value the server cannot run with."""
