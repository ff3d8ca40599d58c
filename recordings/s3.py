"""Recordings in an S3-compatible object store: the scale-out backend of ``recordings.storage``.

Several server processes, on several machines, then share one store (``MEDIATE_S3_BUCKET``);
the bytes are the same as on disk: segments sealed by ``recordings.crypto`` (so the hashes and
manifests do not change with the backend), derived files sealed in chunks by
``server.domain.review``. The store sees only ciphertext.

The guarantees of ``recordings.storage.LocalStorage`` hold here too:

- object keys are the strict names of ``recordings.storage`` (server-made ids and numbers
  only), under an optional prefix fixed by the operator; nothing from a request reaches a key;
- a segment is never overwritten: it is written with ``If-None-Match: *`` (S3 conditional
  writes), so a second write of a name fails with ``412 Precondition Failed`` in the store
  itself, with no window between a check and the write. The store must honour the header
  (Amazon S3 does since 2024, as do MinIO and Cloudflare R2 among others; the tests run against
  moto's server);
- a write lands whole or not at all: a PUT is atomic, and a large derived file goes up as a
  multipart upload that becomes visible only when completed and is aborted on any failure;
- every write carries its Content-MD5, so the store refuses bytes damaged on the way;
- failures are ``StorageError``.

The callers are worker threads (the recorder's segment writer, ``asyncio.to_thread``), and the
client library is asynchronous: one :class:`Bucket` owns one aiobotocore client on an event
loop of its own, in one background thread, and each blocking method hands it a coroutine
(``asyncio.run_coroutine_threadsafe``). It starts on first use and :meth:`Bucket.close` ends it
(the app's cleanup, the CLI's end).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import threading
import uuid
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError

from recordings.storage import StorageError, check_derived_name, check_name, check_recording_id

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Bytes per part of a multipart upload (S3 wants at least 5 MiB for every part but the last):
#: the most a derived file being stored holds in memory. 10,000 parts make at most 80 GiB.
PART_BYTES = 8 * 1024 * 1024
#: Keys per DeleteObjects request (the S3 limit).
DELETE_BATCH = 1000
#: A call that has not finished by then is abandoned (botocore retries and times out before).
CALL_SECONDS = 300.0
ADDRESSING_STYLES = ("path", "virtual")
#: Where the start-up check writes (twice) and deletes its one object (``Bucket.check_overwrite``).
CHECK_FOLDER = "store-check/"
#: The kinds of store ``MEDIATE_S3_KIND`` names.
STORE_KINDS = ("s3", "oss", "cos")


#: The header each store documents for "refuse this PUT if the key exists", sent beside
#: ``If-None-Match: *`` (RFC 9110 §13.1.2), which these stores' S3 APIs do not promise to honour:
#: Alibaba OSS PutObject ``x-oss-forbid-overwrite`` and Tencent COS PUT Object ``x-cos-forbid-overwrite``.
FORBID_OVERWRITE = {"oss": "x-oss-forbid-overwrite", "cos": "x-cos-forbid-overwrite"}
#: How each store answers a refused write: S3 412 PreconditionFailed (409 ConditionalRequestConflict
#: when two race), OSS 409 FileAlreadyExists; COS answers 409 too.
REFUSED = ("PreconditionFailed", "ConditionalRequestConflict", "FileAlreadyExists", "PathConflict")


@dataclass(frozen=True)
class S3Config:
    bucket: str
    #: The store's address (MinIO, Ceph, an Alibaba OSS or Tencent COS region...); unset: Amazon S3.
    endpoint_url: str | None = None
    region: str | None = None
    #: Unset: botocore's usual chain (its environment variables, ~/.aws, an instance role).
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    #: Prepended to every key ("" or ending in "/"), so that deployments can share a bucket.
    prefix: str = ""
    #: "path" (bucket in the URL's path, what most self-hosted stores want) or "virtual" (bucket
    #: in the host name, which Alibaba OSS requires); unset: path with an endpoint URL, else botocore's choice.
    addressing_style: str | None = None
    #: Which store, for its own "do not overwrite" header (:data:`FORBID_OVERWRITE`): "s3" (Amazon
    #: S3, MinIO, Ceph: If-None-Match alone), "oss" (Alibaba) or "cos" (Tencent).
    kind: str = "s3"

    def key(self, name: str) -> str:
        return self.prefix + name


class Bucket:
    """One aiobotocore client on its own event loop and thread, for blocking callers in other threads."""

    def __init__(self, config: S3Config) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._client: Any = None
        self._closed = False
        #: The store was seen refusing a second write of one key (``check``).
        self.refuses_overwrite = False

    def call(self, operation: Callable[[Any], Awaitable[T]], name: str) -> T:
        """Run ``operation(client)`` on the bucket's loop and wait for it; ``name`` says what for in errors."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:  # waiting here would stall that loop for a network round trip (or for ever, on our own)
            raise RuntimeError("S3 calls block: make them from a worker thread (asyncio.to_thread)")
        loop, client = self._started()
        future = asyncio.run_coroutine_threadsafe(_awaited(operation(client)), loop)
        try:
            return future.result(CALL_SECONDS)
        except FutureTimeout:
            future.cancel()
            raise StorageError(f"{name}: the object store did not answer within {CALL_SECONDS:.0f} s") from None
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise StorageError(f"{name}: {error.get('Code', '?')} {error.get('Message', '')}".rstrip()) from exc
        except BotoCoreError as exc:
            raise StorageError(f"{name}: {exc}") from exc

    def _started(self) -> tuple[asyncio.AbstractEventLoop, Any]:
        with self._lock:
            if self._closed:
                raise StorageError("the object store connection is closed (the server is stopping)")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name=f"s3-{self.config.bucket}", daemon=True)
                thread.start()
                try:
                    self._client = asyncio.run_coroutine_threadsafe(self._open(), loop).result(CALL_SECONDS)
                except BaseException:
                    loop.call_soon_threadsafe(loop.stop)
                    thread.join()
                    loop.close()
                    raise
                self._loop, self._thread = loop, thread
                log.info("recordings in S3 bucket %s at %s", self.config.bucket, self.config.endpoint_url or "Amazon S3")
            return self._loop, self._client

    async def _open(self) -> Any:
        c = self.config
        style = c.addressing_style or ("path" if c.endpoint_url else None)
        config = AioConfig(
            s3={"addressing_style": style} if style else None,
            retries={"mode": "standard", "max_attempts": 5},
            # Only the checksums S3 insists on (Content-MD5, sent by us on every write): the newer
            # default (CRC trailers in aws-chunked bodies) is not understood by every S3-compatible store.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self._stack = contextlib.AsyncExitStack()
        client = await self._stack.enter_async_context(
            get_session().create_client(
                "s3",
                endpoint_url=c.endpoint_url,
                region_name=c.region or "us-east-1",
                aws_access_key_id=c.access_key_id,
                aws_secret_access_key=c.secret_access_key,
                config=config,
            )
        )
        forbid = FORBID_OVERWRITE.get(c.kind)
        if forbid is not None:
            # Before signing, so that the header is signed with the rest (SigV4 signs every x- header).
            def forbid_overwrite(request: Any, **_: Any) -> None:
                if request.headers.get("If-None-Match") == "*":
                    request.headers[forbid] = "true"

            client.meta.events.register("before-sign.s3.PutObject", forbid_overwrite)
        return client

    def close(self) -> None:
        """Close the client and stop the thread; later calls fail. Safe to call twice."""
        with self._lock:
            self._closed = True
            loop, thread, stack = self._loop, self._thread, self._stack
            self._loop = self._thread = self._stack = self._client = None
        if loop is None or thread is None:
            return
        try:
            if stack is not None:
                asyncio.run_coroutine_threadsafe(stack.aclose(), loop).result(CALL_SECONDS)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()

    # -- the operations the stores need ------------------------------------------------------------

    def put(self, name: str, data: bytes, *, once: bool) -> None:
        """One object, whole; with ``once``, only if no object has that key yet (else ``StorageError``)."""
        extra = {"IfNoneMatch": "*"} if once else {}

        async def put(s3: Any) -> None:
            await s3.put_object(Bucket=self.config.bucket, Key=self.config.key(name), Body=data, ContentMD5=_md5(data), **extra)

        try:
            self.call(put, f"cannot write {name}")
        except StorageError as exc:
            if once and _code(exc) in REFUSED:
                raise StorageError(f"{name} exists already; segments are never overwritten") from exc
            raise

    def put_parts(self, name: str, pieces: Iterable[bytes]) -> None:
        """An object of any size, in parts of ``PART_BYTES`` (one PUT if it fits in one); it replaces any before it."""
        buffer = bytearray()
        parts: list[dict[str, Any]] = []
        upload_id: str | None = None
        key, bucket = self.config.key(name), self.config.bucket
        try:
            for piece in pieces:
                buffer += piece
                while len(buffer) >= PART_BYTES:
                    if upload_id is None:
                        upload_id = self._start_upload(name)
                    parts.append(self._upload_part(name, upload_id, len(parts) + 1, bytes(buffer[:PART_BYTES])))
                    del buffer[:PART_BYTES]
            if upload_id is None:
                self.put(name, bytes(buffer), once=False)
                return
            if buffer:
                parts.append(self._upload_part(name, upload_id, len(parts) + 1, bytes(buffer)))

            async def complete(s3: Any) -> None:
                await s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})

            self.call(complete, f"cannot write {name}")
        except BaseException as exc:
            if upload_id is not None:
                self._abort_upload(name, upload_id)
            if isinstance(exc, OSError):  # reading what is being stored failed: as a local write would say
                raise StorageError(f"cannot write {name}: {exc.strerror or exc}") from exc
            raise

    def _start_upload(self, name: str) -> str:
        async def start(s3: Any) -> str:
            answer = await s3.create_multipart_upload(Bucket=self.config.bucket, Key=self.config.key(name))
            return str(answer["UploadId"])

        return self.call(start, f"cannot write {name}")

    def _upload_part(self, name: str, upload_id: str, number: int, data: bytes) -> dict[str, Any]:
        async def upload(s3: Any) -> dict[str, Any]:
            answer = await s3.upload_part(
                Bucket=self.config.bucket,
                Key=self.config.key(name),
                UploadId=upload_id,
                PartNumber=number,
                Body=data,
                ContentMD5=_md5(data),
            )
            return {"PartNumber": number, "ETag": answer["ETag"]}

        return self.call(upload, f"cannot write {name}")

    def _abort_upload(self, name: str, upload_id: str) -> None:
        async def abort(s3: Any) -> None:
            await s3.abort_multipart_upload(Bucket=self.config.bucket, Key=self.config.key(name), UploadId=upload_id)

        try:
            self.call(abort, f"cannot abort the upload of {name}")
        except (StorageError, RuntimeError):  # the parts are left to the bucket's lifecycle rule
            log.warning("could not abort the multipart upload of %s (%s)", name, upload_id, exc_info=True)

    def get(self, name: str, offset: int = 0, length: int | None = None) -> bytes:
        """The object's bytes, or ``length`` of them from ``offset`` (an HTTP Range request): fewer past its end."""
        if length is not None and length <= 0:
            return b""
        extra = {"Range": f"bytes={offset}-{offset + length - 1}"} if length is not None else {}

        async def get(s3: Any) -> bytes:
            try:
                answer = await s3.get_object(Bucket=self.config.bucket, Key=self.config.key(name), **extra)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "InvalidRange":  # from past the end, as a file reads
                    return b""
                raise
            async with answer["Body"] as body:
                return bytes(await body.read())

        return self.call(get, f"cannot read {name}")

    def size(self, name: str) -> int | None:
        """The object's size, or None if there is no such object."""

        async def head(s3: Any) -> int | None:
            try:
                answer = await s3.head_object(Bucket=self.config.bucket, Key=self.config.key(name))
            except ClientError as exc:
                if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                    return None
                raise
            return int(answer["ContentLength"])

        return self.call(head, f"cannot look up {name}")

    def check(self) -> None:
        """The bucket exists and these credentials may use it (one HEAD request); once per process
        (at the first check that reaches the bucket), also that the store refuses a second write of
        one key, without which a segment could be silently replaced."""
        where = f"bucket {self.config.bucket} at {self.config.endpoint_url or 'Amazon S3'}"

        async def head(s3: Any) -> None:
            await s3.head_bucket(Bucket=self.config.bucket)

        self.call(head, where)
        if not self.refuses_overwrite:
            self.check_overwrite(where)
            self.refuses_overwrite = True

    def check_overwrite(self, where: str) -> None:
        name = f"{CHECK_FOLDER}{uuid.uuid4().hex}"
        self.put(name, b"first", once=True)
        try:
            try:
                self.put(name, b"second", once=True)
            except StorageError as exc:
                if "exists already" in str(exc):
                    return
                raise
            header = FORBID_OVERWRITE.get(self.config.kind, "If-None-Match: *")
            raise StorageError(
                f"{where} overwrote an object written with {header}: segments could be replaced. "
                "Set MEDIATE_S3_KIND to the store's kind (s3, oss, cos), or use a store that honours conditional writes"
            )
        finally:
            self.delete(name)

    def delete(self, name: str) -> None:
        async def delete(s3: Any) -> None:
            await s3.delete_object(Bucket=self.config.bucket, Key=self.config.key(name))

        self.call(delete, f"cannot delete {name}")

    def delete_under(self, folder: str) -> int:
        """Delete every object whose key starts with ``folder`` (prefix included); how many there were."""
        bucket, prefix = self.config.bucket, self.config.key(folder)

        async def delete_all(s3: Any) -> int:
            count = 0
            # Listed again after each batch: deleting while paging through one listing may skip keys.
            while True:
                listed = await s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=DELETE_BATCH)
                keys = [{"Key": item["Key"]} for item in listed.get("Contents", [])]
                if not keys:
                    return count
                answer = await s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
                if answer.get("Errors"):
                    first = answer["Errors"][0]
                    raise StorageError(f"{len(answer['Errors'])} objects not deleted, {first.get('Key')}: {first.get('Code')}")
                count += len(keys)

        return self.call(delete_all, f"cannot delete {folder}")


class S3Storage:
    """Sealed segments as objects ``<prefix><recording id>/<index>.seg`` (``recordings.storage.Storage``)."""

    def __init__(self, bucket: Bucket) -> None:
        self.bucket = bucket

    def put(self, name: str, data: bytes) -> None:
        check_name(name)
        self.bucket.put(name, data, once=True)

    def get(self, name: str) -> bytes:
        check_name(name)
        return self.bucket.get(name)

    def exists(self, name: str) -> bool:
        check_name(name)
        return self.bucket.size(name) is not None

    def delete(self, name: str) -> None:
        check_name(name)
        self.bucket.delete(name)

    def delete_recording(self, recording_id: str) -> None:
        """Remove everything kept for one recording: its segments and the files derived from them."""
        check_recording_id(recording_id)
        deleted = self.bucket.delete_under(f"{recording_id}/")
        log.info("recording %s: %d objects deleted from the store", recording_id, deleted)

    def check(self) -> None:
        self.bucket.check()

    def close(self) -> None:
        self.bucket.close()


class S3DerivedFiles:
    """Derived files as objects beside their recording's segments (``recordings.storage.DerivedFiles``)."""

    def __init__(self, bucket: Bucket) -> None:
        self.bucket = bucket

    def size(self, name: str) -> int | None:
        check_derived_name(name)
        return self.bucket.size(name)

    def put(self, name: str, chunks: Iterable[bytes]) -> None:
        check_derived_name(name)
        self.bucket.put_parts(name, chunks)

    def read(self, name: str, offset: int, length: int) -> bytes:
        check_derived_name(name)
        return self.bucket.get(name, offset, length)


async def _awaited(step: Awaitable[T]) -> T:
    return await step


def _md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


def _code(error: StorageError) -> str | None:
    cause = error.__cause__
    return cause.response.get("Error", {}).get("Code") if isinstance(cause, ClientError) else None
