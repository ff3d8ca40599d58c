"""An S3-compatible server on this machine (moto's, in a thread on a free loopback port) and a real client to look into it.

The server is started once per test run; each test gets a bucket of its own. The client here is
independent of ``recordings.s3`` (its own aiobotocore client on the test's loop), so that what
the tests see in the bucket is what the store holds, not what the backend believes it wrote.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from aiobotocore.session import get_session
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

from recordings.s3 import S3Config

ACCESS_KEY, SECRET_KEY, REGION = "mediate-test", "mediate-test-secret", "us-east-1"


@dataclass(frozen=True)
class Place:
    """A bucket on the test server, and how to reach it."""

    endpoint: str
    bucket: str

    def config(self, prefix: str = "") -> S3Config:
        return S3Config(self.bucket, self.endpoint, REGION, ACCESS_KEY, SECRET_KEY, prefix)

    @asynccontextmanager
    async def client(self) -> AsyncIterator[Any]:
        session = get_session()
        async with session.create_client(
            "s3", endpoint_url=self.endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY
        ) as s3:
            yield s3

    async def keys(self, prefix: str = "") -> list[str]:
        async with self.client() as s3:
            found: list[str] = []
            async for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                found += [item["Key"] for item in page.get("Contents", [])]
            return sorted(found)

    async def read(self, key: str) -> bytes:
        async with self.client() as s3:
            answer = await s3.get_object(Bucket=self.bucket, Key=key)
            async with answer["Body"] as body:
                return bytes(await body.read())

    async def write(self, key: str, data: bytes) -> None:
        async with self.client() as s3:
            await s3.put_object(Bucket=self.bucket, Key=key, Body=data)

    async def unfinished_uploads(self) -> list[str]:
        async with self.client() as s3:
            answer = await s3.list_multipart_uploads(Bucket=self.bucket)
            return [upload["Key"] for upload in answer.get("Uploads", [])]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
async def s3_place(s3_endpoint: str) -> Place:
    place = Place(s3_endpoint, f"mediate-test-{uuid.uuid4().hex[:16]}")
    async with place.client() as s3:
        await s3.create_bucket(Bucket=place.bucket)
    return place


class ForbidOverwriteOnly:
    """A store as Alibaba OSS and Tencent COS document theirs, as far as overwriting goes: it does
    not promise to honour ``If-None-Match`` (so it is dropped here), and refuses a PUT of an existing
    key only when told ``x-oss-forbid-overwrite: true`` or ``x-cos-forbid-overwrite: true``,
    answering 409 FileAlreadyExists as OSS does. Everything else is moto's S3 (the same buckets)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        environ.pop("HTTP_IF_NONE_MATCH", None)
        forbid = any(environ.get(h, "").lower() == "true" for h in ("HTTP_X_OSS_FORBID_OVERWRITE", "HTTP_X_COS_FORBID_OVERWRITE"))
        if not (forbid and environ["REQUEST_METHOD"] == "PUT"):
            return self.app(environ, start_response)
        environ["HTTP_IF_NONE_MATCH"] = "*"  # moto's own check, answered as OSS answers it
        answer: dict[str, Any] = {}

        def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            answer.update(status=status, headers=headers)

        body = b"".join(self.app(environ, keep))
        if answer["status"].startswith("412"):
            refusal = (
                b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>FileAlreadyExists</Code>'
                b"<Message>The object you specified already exists and can not be overwritten.</Message></Error>"
            )
            start_response("409 Conflict", [("Content-Type", "application/xml"), ("Content-Length", str(len(refusal)))])
            return [refusal]
        start_response(answer["status"], answer["headers"])
        return [body]


class ForbidOverwriteServer(ThreadedMotoServer):
    def _server_entry(self) -> None:
        app = ForbidOverwriteOnly(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


@pytest.fixture(scope="session")
def forbid_overwrite_endpoint(s3_endpoint: str) -> Iterator[str]:
    """An OSS/COS-like endpoint onto the same buckets as ``s3_endpoint`` (moto keeps them in this process)."""
    server = ForbidOverwriteServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
