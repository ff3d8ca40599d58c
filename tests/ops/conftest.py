"""The ``meeting`` fixture of the signaling tests, for the operations tests."""

from tests.signaling.conftest import meeting

__all__ = ["meeting"]
