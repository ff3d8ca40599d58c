"""Telephony test helpers (issue #25): a real SIP phone (Debian's baresip) calling on loopback, and tone analysis."""
