"""Documents that leave the platform: the mediation agreement as PDF, and the organisation's seal on it.

Nothing here knows about the database or HTTP: callers hand in plain values (already in words, in the
case's time zone) and get bytes back, so the same functions serve the web app, the CLI and tests.
"""
