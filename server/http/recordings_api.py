"""Watching recordings: a session's recordings with their timelines, and each participant's file;
exporting one as a single MP4 (a background job: start, poll, cancel, download).

The file is served with HTTP range requests (RFC 9110 §14): a video element asks for the
bytes it needs and seeks without downloading the whole recording. One range per request is
answered (206); several ranges, a malformed header or an ``If-Range`` that no longer matches
get the whole file (200), which RFC 9110 §14.2 allows; a range past the end gets 416.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from aiohttp import payload, web
from pydantic import StringConstraints

from server.domain.booking import iso
from server.domain.exports import ExportJob
from server.domain.review import Marker, Participant, RecordingView, WatchFile
from server.http.cases_api import viewer_zone
from server.http.context import principal_of
from server.http.middlewares import error_body
from server.http.routes import api
from server.http.schemas import Input
from server.models import Recording
from server.services import services

WEBM = "video/webm"
MP4 = "video/mp4"
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$", re.ASCII)


class VideoQuery(Input):
    #: One page's play session (any random id); each new one is a new viewing in the case history.
    view: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")] | None = None


class Unsatisfiable(Exception):
    pass


def byte_range(header: str | None, if_range: str | None, etag: str, size: int) -> tuple[int, int] | None:
    """The one range asked for, as (start, end exclusive), or None to send the whole file.

    Raises :class:`Unsatisfiable` when the range lies wholly past the end (RFC 9110 §14.1.1).
    """
    if header is None or (if_range is not None and if_range.strip() != etag):
        return None
    match = RANGE.match(header.strip())
    if match is None:
        return None  # malformed, another unit, or several ranges: the whole file
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0:
            raise Unsatisfiable
        return max(0, size - length), size
    start = int(first)
    if last and int(last) < start:
        return None  # an invalid range is ignored
    if start >= size:
        raise Unsatisfiable
    end = size if not last else min(int(last) + 1, size)
    return start, end


def ranged(
    request: web.Request,
    watched: WatchFile,
    filename: str,
    content_type: str = WEBM,
    disposition: str = "inline",
    ascii_filename: str | None = None,
) -> web.StreamResponse:
    etag = f'"{watched.sha256}"'
    # RFC 6266 §4.3: a plain ``filename`` for old clients first, then the UTF-8 one that wins.
    plain = f'; filename="{ascii_filename}"' if ascii_filename else ""
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Content-Disposition": f"{disposition}{plain}; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "private, no-store",
    }
    try:
        wanted = byte_range(request.headers.get("Range"), request.headers.get("If-Range"), etag, watched.size)
    except Unsatisfiable:
        return web.json_response(
            error_body("range_not_satisfiable", f"the file has {watched.size} bytes"),
            status=416,
            headers={**headers, "Content-Range": f"bytes */{watched.size}"},
        )
    start, end = wanted or (0, watched.size)
    if wanted is not None:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{watched.size}"
    headers["Content-Length"] = str(end - start)
    body = payload.AsyncIterablePayload(watched.read(start, end), content_type=content_type)
    return web.Response(status=206 if wanted is not None else 200, body=body, headers=headers)


def video_url(recording_id: str, participant_id: str) -> str:
    return f"{api.prefix}/recordings/{quote(recording_id)}/participants/{quote(participant_id)}/video"


def participant_view(recording_id: str, p: Participant) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "role": p.role,
        "kind": p.kind,
        "offset": p.offset,
        "end": p.end,
        "segments": p.segments,
        "video_url": video_url(recording_id, p.id),
        "file": None
        if p.file is None
        else {"sha256": p.file.sha256, "bytes": p.file.bytes, "start_ms": p.file.start_ms, "created_at": iso(p.file.created_at)},
        "gaps": [{"kinds": list(g.kinds), "start": g.start, "end": g.end, "reason": g.reason} for g in p.gaps],
    }


def marker_view(m: Marker) -> dict[str, Any]:
    return {
        "kind": m.kind,
        "at": m.at,
        "time": iso(m.time),
        "participant_id": m.participant_id,
        "name": m.name,
        "detail": m.detail,
    }


def recording_brief(r: Recording) -> dict[str, Any]:
    return {
        "id": r.id,
        "session_id": r.session_id,
        "status": r.status,
        "started_at": iso(r.started_at),
        "ended_at": iso(r.ended_at) if r.ended_at else None,
        "end_reason": r.end_reason,
    }


def recording_view(v: RecordingView) -> dict[str, Any]:
    return recording_brief(v.recording) | {
        "duration": v.duration,
        "participants": [participant_view(v.recording.id, p) for p in v.participants],
        "markers": [marker_view(m) for m in v.markers],
    }


@api.route(
    "GET",
    "/sessions/{session_id}/recordings",
    summary="A session's recordings: participants, their place on the timeline, and event markers",
    tag="recordings",
)
async def session_recordings(request: web.Request) -> web.StreamResponse:
    svc, principal = services(request), principal_of(request)
    found = await svc.review.of_session(principal, request.match_info["session_id"])
    await svc.confirmations.court.log_view(principal, found.case.id, "GET /sessions/{session_id}/recordings", found.session.id)
    return web.json_response(
        {
            "session": {
                "id": found.session.id,
                "case_id": found.case.id,
                "case_number": found.case.case_number,
                "starts_at": iso(found.session.starts_at),
            },
            "items": [recording_view(v) for v in found.recordings],
        }
    )


@api.route("GET", "/cases/{case_id}/recordings", summary="A case's recordings, newest first", tag="recordings")
async def case_recordings(request: web.Request) -> web.StreamResponse:
    found = await services(request).review.of_case(principal_of(request), request.match_info["case_id"])
    return web.json_response({"items": [recording_brief(r) for r in found]})


@api.route(
    "GET",
    "/recordings/{recording_id}/participants/{participant_id}/video",
    summary="One participant's recording as one seekable WebM (range requests answered); each viewing is logged",
    query=VideoQuery,
    tag="recordings",
    produces=WEBM,
    errors=(410,),
)
async def participant_video(request: web.Request, query: VideoQuery) -> web.StreamResponse:
    recording_id, participant_id = request.match_info["recording_id"], request.match_info["participant_id"]
    watched = await services(request).review.open_file(principal_of(request), recording_id, participant_id, query.view)
    return ranged(request, watched, f"recording-{recording_id}-{participant_id}.webm")


# -- export as one video ---------------------------------------------------------------------------


def export_url(recording_id: str) -> str:
    return f"{api.prefix}/recordings/{quote(recording_id)}/export"


def export_view(job: ExportJob) -> dict[str, Any]:
    return {
        "recording_id": job.recording_id,
        "state": job.state,
        "progress": round(job.progress, 4),
        "started_at": iso(job.started_at),
        "finished_at": iso(job.finished_at) if job.finished_at else None,
        "error": None
        if job.problem is None
        else {"code": job.problem.code, "message": {"zh": job.problem.zh, "en": job.problem.en}},
        "file": None
        if job.file is None or job.state != "done"
        else {
            "sha256": job.file.sha256,
            "bytes": job.file.bytes,
            "created_at": iso(job.file.created_at),
            "url": export_url(job.recording_id) + "/file",
        },
    }


def export_filenames(case_number: str, started_at: datetime, zone: str) -> tuple[str, str]:
    """The download's name, ``调解录像-<case number>-<local start>.mp4``, and an ASCII one for old clients."""
    when = f"{started_at.astimezone(ZoneInfo(zone)):%Y%m%d-%H%M}"
    number = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]+', "_", case_number).strip(" ._") or "case"
    ascii_number = re.sub(r"[^0-9A-Za-z_-]+", "_", case_number).strip("_") or "case"
    return f"调解录像-{number}-{when}.mp4", f"mediation-{ascii_number}-{when}.mp4"


@api.route(
    "POST",
    "/recordings/{recording_id}/export",
    summary="Start exporting a stopped recording as one MP4 (grid, mixed audio) in the background; "
    "answers the job (202), the one already running, or the finished export (200)",
    status=202,
    tag="recordings",
    errors=(410,),
)
async def start_export(request: web.Request) -> web.StreamResponse:
    job = await services(request).exports.start(principal_of(request), request.match_info["recording_id"])
    return web.json_response(export_view(job), status=202 if job.active else 200)


@api.route(
    "GET",
    "/recordings/{recording_id}/export",
    summary="The recording's export: state and progress",
    tag="recordings",
    errors=(410,),
)
async def export_status(request: web.Request) -> web.StreamResponse:
    job = await services(request).exports.status(principal_of(request), request.match_info["recording_id"])
    return web.json_response(export_view(job))


@api.route(
    "DELETE",
    "/recordings/{recording_id}/export",
    summary="Cancel the recording's running export",
    tag="recordings",
    errors=(410,),
)
async def cancel_export(request: web.Request) -> web.StreamResponse:
    job = await services(request).exports.cancel(principal_of(request), request.match_info["recording_id"])
    return web.json_response(export_view(job))


@api.route(
    "GET",
    "/recordings/{recording_id}/export/file",
    summary="Download the recording's export (MP4, range requests answered); each download is logged",
    tag="recordings",
    produces=MP4,
    errors=(410,),
)
async def export_file(request: web.Request) -> web.StreamResponse:
    found = await services(request).exports.open_file(principal_of(request), request.match_info["recording_id"])
    name, ascii_name = export_filenames(found.case_number, found.recording_started_at, viewer_zone(request))
    return ranged(request, found.file, name, MP4, "attachment", ascii_name)
