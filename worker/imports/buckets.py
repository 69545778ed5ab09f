"""Imports from S3 buckets: where media already are (``s3://bucket/key``), read with the
platform's own S3 credentials and endpoint.

Only what ``VR_IMPORT_BUCKETS`` lists may be read: a bucket (``photos``) or a bucket and a
prefix (``photos/2026/shoot``, which allows that prefix and below). The platform's own media and
datasets bucket (``VR_S3_BUCKET``, ``VR_S3_DATASETS_BUCKET``) is never readable as a whole: only a
prefix of it listed explicitly, and never anything under ``media/`` or ``datasets/`` (assets' and
dataset versions' files, which an import would otherwise copy between projects).

Keys are checked as names, never resolved: empty, ``.`` and ``..`` parts are refused (some
S3-compatible servers normalise them, which would step outside an allowed prefix).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings

from annotator.asset_fields import shown, string_problem

from .archives import human_bytes

CHUNK = 1024 * 1024
PLATFORM_PREFIXES = ("media", "datasets")  # the platform storages' locations in its bucket
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$")
MAX_KEY_BYTES = 1024
MAX_MANIFEST_BYTES = 512 * 1024**2  # a bucket import's manifest object


class BucketRefused(ValueError):
    """An ``s3://`` location that cannot be read; the message says why."""


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str  # "" for the whole bucket; a prefix ends with "/"

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def parse_s3_url(url: str, *, prefix: bool = False) -> S3Location:
    """``s3://bucket/key`` as a location; a ``prefix`` may be empty (the bucket) and always ends
    with ``/``. Raises BucketRefused naming the problem."""
    if not isinstance(url, str):
        raise BucketRefused("must be an s3://bucket/key URL")
    problem = string_problem(url)
    if problem:
        raise BucketRefused(f"the URL {problem}")
    match = re.match(r"^s3://([^/]*)(?:/(.*))?$", url.strip(), re.IGNORECASE | re.DOTALL)
    if not match:
        raise BucketRefused(f"`{shown(url, 200)}` is not an s3://bucket/key URL")
    bucket, key = match.group(1), match.group(2) or ""
    if not BUCKET_RE.match(bucket):
        raise BucketRefused(f"`{shown(bucket, 100)}` is not a bucket name (3 to 63 of a-z, 0-9, `.`, `-`, `_`)")
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise BucketRefused(f"the key of `{shown(url, 200)}` is longer than {MAX_KEY_BYTES} bytes")
    if prefix:
        if key and not key.endswith("/"):
            key += "/"
        parts = key.split("/")[:-1] if key else []
    else:
        if not key or key.endswith("/"):
            raise BucketRefused(f"`{shown(url, 200)}` names no object (a key after the bucket is needed)")
        parts = key.split("/")
    if any(part in ("", ".", "..") for part in parts) or "\\" in key:
        raise BucketRefused(f"the key of `{shown(url, 200)}` has an empty, `.` or `..` part")
    return S3Location(bucket, key)


def _allowed() -> list[tuple[str, str]]:
    out = []
    for item in getattr(settings, "VR_IMPORT_BUCKETS", None) or []:
        text = str(item).strip()
        text = text[5:] if text.lower().startswith("s3://") else text
        bucket, _, prefix = text.strip("/").partition("/")
        if bucket:
            out.append((bucket, prefix.strip("/")))
    return out


def _platform_buckets() -> set[str]:
    names = {getattr(settings, "VR_S3_BUCKET", ""), getattr(settings, "VR_S3_DATASETS_BUCKET", "")}
    return {n for n in names if n}


def _under(key: str, prefix: str) -> bool:
    return not prefix or key == prefix or key.startswith(prefix + "/")


def access_problem(location: S3Location) -> str | None:
    """Why ``location`` (an object, or a prefix ending with ``/``) may not be read, or None."""
    bucket, key = location.bucket, location.key
    if bucket in _platform_buckets():
        first = key.split("/", 1)[0]
        if not key or first in PLATFORM_PREFIXES:
            return (
                f"`{shown(location.url, 200)}` is in the platform's own storage bucket; its media and datasets "
                "are never imported (copy them, or list another prefix of that bucket in VR_IMPORT_BUCKETS)"
            )
    listed = [prefix for name, prefix in _allowed() if name == bucket]
    if bucket in _platform_buckets():
        listed = [p for p in listed if p and p.split("/", 1)[0] not in PLATFORM_PREFIXES]
    if not listed:
        return f"bucket `{shown(bucket, 100)}` is not in VR_IMPORT_BUCKETS"
    if any(_under(key.rstrip("/"), prefix) for prefix in listed):
        return None
    allowed = ", ".join(f"`s3://{bucket}/{p}/`" for p in listed)
    return f"`{shown(location.url, 200)}` is outside the prefixes of bucket `{bucket}` in VR_IMPORT_BUCKETS ({allowed})"


def checked(url: str, *, prefix: bool = False) -> S3Location:
    """The parsed location when it may be read; BucketRefused otherwise."""
    location = parse_s3_url(url, prefix=prefix)
    problem = access_problem(location)
    if problem:
        raise BucketRefused(problem)
    return location


def client():
    """A boto3 S3 client with the platform's credentials and endpoint: the media storage's own
    when it is an S3 storage, else one made from ``VR_S3_ENDPOINT_URL``, ``VR_S3_REGION`` and the
    usual AWS credential chain (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, a role)."""
    from annotator.storage import media_storage
    from annotator.storage.s3 import is_s3_storage, server_client

    media = media_storage()
    if is_s3_storage(media):
        return server_client(media)
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3",
        endpoint_url=getattr(settings, "VR_S3_ENDPOINT_URL", None),
        region_name=getattr(settings, "VR_S3_REGION", "us-east-1"),
        config=Config(
            signature_version="s3v4", s3={"addressing_style": getattr(settings, "VR_S3_ADDRESSING_STYLE", "path")}
        ),
    )


def _error_reason(exc: Exception, url: str) -> str:
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", "") or "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        readable = {
            "NoSuchKey": "there is no such object",
            "404": "there is no such object",
            "NotFound": "there is no such object",
            "NoSuchBucket": "there is no such bucket",
            "AccessDenied": "access is denied to the platform's credentials",
            "403": "access is denied to the platform's credentials",
        }.get(code) or f"the bucket answered {shown(code or str(status), 60)}"
        return f"`{shown(url, 200)}` cannot be read: {readable}"
    return f"`{shown(url, 200)}` cannot be read: {shown(str(exc), 200)}"


@dataclass
class BucketObject:
    key: str
    size: int


def _skipped(rel: str) -> bool:
    parts = [p for p in rel.split("/") if p]
    return not parts or parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts)


def list_media(location: S3Location, max_files: int, is_media) -> list[BucketObject]:
    """The media objects under the prefix ``location`` (by extension: ``is_media(name)``;
    dotfiles, ``__MACOSX/`` and folder markers skipped), in key order. Raises BucketRefused when
    the prefix cannot be listed or holds more than ``max_files`` media files."""
    found: list[BucketObject] = []
    try:
        pages = client().get_paginator("list_objects_v2").paginate(Bucket=location.bucket, Prefix=location.key)
        for page in pages:
            for item in page.get("Contents", []) or []:
                key = item["Key"]
                rel = key[len(location.key) :]
                if key.endswith("/") or _skipped(rel) or not is_media(rel):
                    continue
                if string_problem(key) or any(p in ("", ".", "..") for p in key.split("/")):
                    continue
                found.append(BucketObject(key, int(item.get("Size") or 0)))
                if len(found) > max_files:
                    raise BucketRefused(
                        f"`{shown(location.url, 200)}` holds more than {max_files:,} media files; the limit is "
                        f"{max_files:,} files (VR_MAX_ARCHIVE_FILES): import it in parts (one prefix at a time)"
                    )
    except BucketRefused:
        raise
    except Exception as exc:  # botocore's client and connection errors
        raise BucketRefused(_error_reason(exc, location.url).replace("cannot be read", "cannot be listed")) from None
    return found


def read_small(location: S3Location, max_bytes: int = MAX_MANIFEST_BYTES):
    """The object as a django File (a manifest), at most ``max_bytes``; BucketRefused otherwise."""
    import tempfile

    from django.core.files import File

    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    try:
        body = client().get_object(Bucket=location.bucket, Key=location.key)
        declared = int(body.get("ContentLength") or 0)
        if declared > max_bytes:
            raise BucketRefused(
                f"`{shown(location.url, 200)}` is {human_bytes(declared)}, more than {human_bytes(max_bytes)}"
            )
        size = 0
        for chunk in body["Body"].iter_chunks(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise BucketRefused(f"`{shown(location.url, 200)}` is more than {human_bytes(max_bytes)}")
            out.write(chunk)
    except BucketRefused:
        out.close()
        raise
    except Exception as exc:
        out.close()
        raise BucketRefused(_error_reason(exc, location.url)) from None
    out.seek(0)
    return File(out, name=PurePosixPath(location.key).name)


class DownloadFailed(Exception):
    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def download(url: str, target: Path, max_bytes: int) -> tuple[int, str]:
    """Download the object ``url`` to ``target`` (written aside, renamed), at most ``max_bytes``
    (``VR_MAX_ASSET_BYTES``); (bytes, sha256). Raises DownloadFailed with the reason: a bucket
    no longer allowed, a missing object, one past the size limit, an unreadable bucket."""
    try:
        location = checked(url)
    except BucketRefused as exc:
        raise DownloadFailed(str(exc)) from None
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f".{target.name}.part")
    limit = f"the limit of {human_bytes(max_bytes)} (VR_MAX_ASSET_BYTES)"
    digest = hashlib.sha256()
    size = 0
    try:
        try:
            body = client().get_object(Bucket=location.bucket, Key=location.key)
            declared = int(body.get("ContentLength") or 0)
            if declared > max_bytes:
                body["Body"].close()
                raise DownloadFailed(f"the object is {human_bytes(declared)}, larger than {limit}")
            with open(part, "wb") as out:
                for chunk in body["Body"].iter_chunks(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise DownloadFailed(f"the object is larger than {limit}")
                    out.write(chunk)
                    digest.update(chunk)
        except DownloadFailed:
            raise
        except Exception as exc:  # botocore's client, connection and read errors
            raise DownloadFailed(_error_reason(exc, url)) from None
        part.replace(target)
    finally:
        part.unlink(missing_ok=True)
    return size, digest.hexdigest()
