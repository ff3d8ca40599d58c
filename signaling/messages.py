"""The shapes of what clients send on ``/live``, and of the acks they get back.

Every client→server payload is validated here, in one place, before any handler
sees it: unknown fields are refused, strings and lists are bounded, so that a
malformed or oversized message costs its sender an error ack and nothing else.
``ack_error`` is the one mapping from an exception to an error ack (the
Socket.IO twin of ``server.http.middlewares.errors``). See ``PROTOCOL.md``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from server.errors import DomainError, InvalidInput, InvalidState, StorageFull
from server.ops.storage import is_storage_full
from signaling.routing import RoutingError

MAX_ID = 64
MAX_CHAT = 2000
MAX_LIST = 20
#: An SDP answer for a dozen m-lines is 6–10 KB; anything near this is not an answer.
MAX_SDP = 32 * 1024

Id = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID, pattern=r"^[A-Za-z0-9_.:-]+$")]
ChatText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_CHAT)]


class Payload(BaseModel):
    """A client→server payload: exactly the declared fields, each within its bounds."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ConnectAuth(Payload):
    """The ``auth`` object of the connection. Staff name the session; a party's link already does."""

    session_id: Id | None = None


class Target(Payload):
    """``admit``, ``hold``, ``remove``: the participant acted upon."""

    participant_id: Id


class Chat(Payload):
    text: ChatText

    @field_validator("text")
    @classmethod
    def _not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("a chat message needs some text")
        return text


class Transcript(Payload):
    """``transcript``: the whole draft of the mediation record; its parts are checked by the domain
    (server/domain/transcript_text.py ``parse``), as the HTTP route's are."""

    content: dict[str, Any]


class CaucusStart(Payload):
    caucus_id: Id
    member_ids: Annotated[list[Id], Field(min_length=1, max_length=MAX_LIST)]


class CaucusEnd(Payload):
    caucus_id: Id


class AudioOnly(Payload):
    on: bool


Kind = Literal["audio", "video", "screen"]
DeviceState = Literal["ok", "off", "denied", "missing"]


class Empty(Payload):
    """``end``: nothing to say but the event itself."""


B64 = Annotated[str, StringConstraints(min_length=1, max_length=4096, pattern=r"^[A-Za-z0-9+/=]+$")]


class ConsentGive(Payload):
    """The party's signature of the consent statement of ``consent_prepare``: device key or passkey."""

    challenge: Annotated[str, StringConstraints(min_length=8, max_length=MAX_ID, pattern=r"^[A-Za-z0-9_-]+$")]
    signature: B64 | None = None
    credential: dict[str, Any] | None = Field(default=None, max_length=8)


class PhoneConsentPrepare(Payload):
    """``phone_consent_prepare``: a host witnesses a caller's consent by keypress, with their own key (#25)."""

    participant_id: Id
    key: Id


class PhoneConsentWitness(ConsentGive):
    """``phone_consent_witness``: the host's signature of the statement ``phone_consent_prepare`` gave."""


class MediaStart(Payload):
    """Start (or restart) one's peer connection: what the device check left on."""

    audio: bool
    video: bool


class MediaAnswer(Payload):
    revision: Annotated[int, Field(ge=1, le=1_000_000)]
    sdp: Annotated[str, StringConstraints(min_length=10, max_length=MAX_SDP)]
    #: The offer's ``connection``, echoed (optional for clients that predate it).
    connection: Annotated[int, Field(ge=1, le=1_000_000_000)] | None = None


class Publish(Payload):
    """Switch one's own microphone, camera or screen share on or off."""

    kind: Kind
    on: bool


class Mute(Payload):
    """The host switches off one kind of another participant's tracks (never on)."""

    participant_id: Id
    kind: Kind


class Hand(Payload):
    up: bool


class Lock(Payload):
    """``lock`` and ``admit_automatically``: a switch of the room."""

    on: bool


class DeviceStatus(Payload):
    camera: DeviceState
    microphone: DeviceState


# -- acks ----------------------------------------------------------------------------------------


def ack_ok(**data: Any) -> dict[str, Any]:
    return {"ok": True, **data}


def _error(code: str, message: str, fields: list[dict[str, str]] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        error["fields"] = fields
    return {"ok": False, "error": error}


def ack_error(exc: BaseException) -> dict[str, Any]:
    """The error ack for anything a handler raised. Never a traceback, never the offending input.

    - ``DomainError`` keeps its own code (``forbidden``, ``not_found``, ``invalid_input`` …);
    - ``RoutingError`` (a transition the session's rules refuse) is ``invalid_state``;
    - ``ValidationError`` (a payload of the wrong shape or size) is ``invalid_input`` with
      the offending fields, described without echoing their values;
    - a full disk or database (``server.ops.storage``) is ``insufficient_storage``, reason ``storage_full``;
    - anything else is a bug (the caller logs it with its traceback): ``internal_error``.
    """
    if not isinstance(exc, DomainError) and is_storage_full(exc):
        # The disk or database is full: the pages say "服务器存储空间已满" (server/ops/storage.py).
        exc = StorageFull("the server's storage is full: nothing was saved; try again later", reason="storage_full")
    if isinstance(exc, InvalidInput):
        return _error(exc.code, exc.message, [{"field": f.field, "reason": f.reason} for f in exc.fields])
    if isinstance(exc, DomainError):
        out = _error(exc.code, exc.message)
        reason = exc.details.get("reason")
        if isinstance(reason, str):
            out["error"]["reason"] = reason  # a machine-readable cause, e.g. no_key: bind a key first
        retry_after = exc.details.get("retry_after")
        if isinstance(retry_after, int):
            out["error"]["retry_after"] = retry_after  # too_many_attempts: seconds before trying again
        missing = exc.details.get("missing")
        if isinstance(missing, list):
            out["error"]["missing"] = [str(name) for name in missing]  # consent_missing: who
        return out
    if isinstance(exc, RoutingError):
        return _error(InvalidState.code, str(exc))
    if isinstance(exc, ValidationError):
        fields = [
            {"field": ".".join(str(part) for part in e["loc"]) or "payload", "reason": e["msg"]}
            for e in exc.errors(include_url=False, include_input=False, include_context=False)
        ]
        return _error(InvalidInput.code, "the payload is not valid", fields)
    return _error("internal_error", "something went wrong on the server")
