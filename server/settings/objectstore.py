"""``MEDIATE_S3_*``: recordings in an S3-compatible bucket (recordings/s3.py) instead of a directory."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from server.settings.errors import SettingsError

S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
S3_PREFIX = re.compile(r"^([0-9A-Za-z._-]+/)*$")


def s3_settings(text: Callable[[str], str | None]) -> dict[str, Any]:
    """The ``MEDIATE_S3_*`` settings, checked together: an object store half configured does not start."""
    bucket = text("MEDIATE_S3_BUCKET")
    others = ("ENDPOINT_URL", "REGION", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY", "PREFIX", "ADDRESSING_STYLE", "KIND")
    given = {name: text(f"MEDIATE_S3_{name}") for name in others}
    if bucket is None:
        if any(given.values()):
            names = ", ".join(f"MEDIATE_S3_{name}" for name, value in given.items() if value)
            raise SettingsError(f"{names} set but not MEDIATE_S3_BUCKET: say which bucket holds the recordings")
        return {}
    if not S3_BUCKET.match(bucket) or ".." in bucket:
        raise SettingsError(f"MEDIATE_S3_BUCKET {bucket!r} is not a bucket name (3 to 63 of a-z, 0-9, '.', '-')")
    endpoint = given["ENDPOINT_URL"]
    if endpoint is not None and not re.match(r"^https?://[^/\s]+/?$", endpoint):
        raise SettingsError(f"MEDIATE_S3_ENDPOINT_URL must be an http:// or https:// address, not {endpoint!r}")
    if (given["ACCESS_KEY_ID"] is None) != (given["SECRET_ACCESS_KEY"] is None):
        raise SettingsError("MEDIATE_S3_ACCESS_KEY_ID and MEDIATE_S3_SECRET_ACCESS_KEY go together: set both or neither")
    prefix = given["PREFIX"] or ""
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    if not S3_PREFIX.match(prefix) or {".", ".."} & set(prefix.split("/")):
        raise SettingsError(f"MEDIATE_S3_PREFIX {prefix!r} must be folder names of 0-9, A-Z, a-z, '.', '_', '-' joined by '/'")
    style = given["ADDRESSING_STYLE"]
    if style is not None and style.lower() not in ("path", "virtual"):
        raise SettingsError(f"MEDIATE_S3_ADDRESSING_STYLE must be path or virtual, not {style!r}")
    kind = (given["KIND"] or s3_store_kind(endpoint)).lower()
    if kind not in ("s3", "oss", "cos"):
        raise SettingsError(f"MEDIATE_S3_KIND must be s3, oss (Alibaba) or cos (Tencent), not {given['KIND']!r}")
    return {
        "s3_kind": kind,
        "s3_bucket": bucket,
        "s3_endpoint_url": endpoint,
        "s3_region": given["REGION"],
        "s3_access_key_id": given["ACCESS_KEY_ID"],
        "s3_secret_access_key": given["SECRET_ACCESS_KEY"],
        "s3_prefix": prefix,
        "s3_addressing_style": style.lower() if style else None,
    }


def s3_store_kind(endpoint: str | None) -> str:
    """The store an endpoint belongs to, by the host names Alibaba OSS and Tencent COS document."""
    host = (urlsplit(endpoint).hostname or "") if endpoint else ""
    if host.endswith(".aliyuncs.com"):
        return "oss"
    if host.endswith(".myqcloud.com"):
        return "cos"
    return "s3"
