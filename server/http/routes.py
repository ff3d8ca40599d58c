"""The API's route table; handler modules add themselves to it with its decorator."""

from __future__ import annotations

from server.http.api import ApiRouter

api = ApiRouter("/api/v1")
