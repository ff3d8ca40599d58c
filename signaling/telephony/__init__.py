"""Parties who call in by telephone (issue #25): the SIP gateway, each call, and a caller's audio in the room."""
