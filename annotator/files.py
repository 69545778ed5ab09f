"""Serving stored files (asset media, dataset archives): HTTP Range support (video seeking needs
it) and the headers that keep a user's file from ever running as active content in the app's origin.

The policy (``serving_type`` and ``protect``):

* Known raster image and video types (``INLINE_TYPES``) are served inline with their type, so
  ``<img>`` / ``<video>`` and opening a file in a tab work.
* Everything else (SVG, HTML, XML, text, unknown extensions: typically legacy data, since imports
  accept raster images and videos only) is served as ``application/octet-stream`` with
  ``Content-Disposition: attachment``: the browser downloads it and never renders it.
* Every file response carries ``X-Content-Type-Options: nosniff`` (no guessing a type from the
  bytes), ``Content-Security-Policy: sandbox; default-src 'none'; ...`` (``MEDIA_CSP``: opened in
  a tab, even a mislabelled file gets an opaque origin, no script, no requests; videos keep their
  origin so the browser's player can fetch them, ``VIDEO_CSP``, still without script) and
  ``Cross-Origin-Resource-Policy: same-origin`` (other sites cannot embed it). A CSP on a media
  response governs only a document made *from* it, not embedding it as ``<img>`` / ``<video>``.

Who sends the bytes (``VR_ACCEL_REDIRECT``): by default the app streams them (``make run``, one
process). In production behind nginx (``docker-compose.yml``, ``deploy/nginx.conf``) the app only
checks the permission and answers an empty response with ``X-Accel-Redirect`` naming the file's
internal location (``ACCEL_LOCATIONS``); nginx sends the file itself, Range requests included, and
repeats this response's protective headers (it reads them from ``$upstream_http_*``), so no web
worker is held while a video streams.

On an S3 storage (``VR_STORAGE=s3``, :func:`stored_file_response`) the app checks the permission
and answers ``302`` to a presigned URL of the object (``annotator.storage.s3.presigned_get``)
that names the same type and disposition; the bucket sends the bytes, Range requests included.
The redirect carries ``Cache-Control: no-store`` (it must not outlive the URL it points to, which
expires after ``VR_S3_URL_SECONDS``) and no body. Within a third of that time the same file
gets the same URL, so the browser's cache (and fetching ahead) works on S3 too. The bucket is
another origin than the app's, so a file opened from it never runs in the app's origin.
"""

from __future__ import annotations

import mimetypes
import os
import re
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import Storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.utils.http import content_disposition_header

RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 256 * 1024

INLINE_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/apng",
        "image/gif",
        "image/webp",
        "image/avif",
        "image/bmp",
        "image/tiff",
        "video/mp4",
        "video/webm",
        "video/ogg",
        "video/quicktime",
        "video/x-m4v",
        "video/x-matroska",
        "video/mp2t",
        "video/mpeg",
        "video/3gpp",
        "video/3gpp2",
        "video/x-msvideo",
        "video/x-flv",
        "video/x-ms-wmv",
    }
)
DOWNLOAD_TYPE = "application/octet-stream"
MEDIA_CSP = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'"
# A video opened in a tab is played by a <video> of the browser's own making that fetches the file
# again: from an opaque origin that fetch is refused, so videos keep their origin. Still no script,
# form, plugin or popup (no allow-scripts), and nothing but the file itself may load.
VIDEO_CSP = "sandbox allow-same-origin; default-src 'none'; media-src 'self'; style-src 'unsafe-inline'"


def serving_type(name: str) -> tuple[str, bool]:
    """``(content type, inline)`` for a stored file called ``name``: its own type when that is a
    known raster image or video type, else ``application/octet-stream`` as a download."""
    guessed = (mimetypes.guess_type(name, strict=False)[0] or "").lower()
    if guessed in INLINE_TYPES:
        return guessed, True
    return DOWNLOAD_TYPE, False


def protect(response: HttpResponse, *, inline: bool = False, filename: str = "") -> HttpResponse:
    """Add the stored-file headers to ``response`` (see the module docstring)."""
    video = inline and str(response.get("Content-Type", "")).startswith("video/")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = VIDEO_CSP if video else MEDIA_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    if not inline:
        response["Content-Disposition"] = content_disposition_header(True, filename or "download")
    return response


def _iter_range(path: Path, start: int, length: int):
    with open(path, "rb") as fh:
        fh.seek(start)
        remaining = length
        while remaining > 0:
            data = fh.read(min(CHUNK, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data


# The internal nginx locations of the stored-file roots (deploy/nginx.conf declares the same).
ACCEL_LOCATIONS = (("MEDIA_ROOT", "/_protected/media/"), ("VR_DATASETS_ROOT", "/_protected/datasets/"))


def accel_location(path: Path) -> str | None:
    """The internal location nginx serves ``path`` from, when ``VR_ACCEL_REDIRECT`` is on and the
    file lies under one of the roots (``ACCEL_LOCATIONS``); else None (the app streams it)."""
    if not getattr(settings, "VR_ACCEL_REDIRECT", False):
        return None
    resolved = Path(path).resolve()
    for setting, prefix in ACCEL_LOCATIONS:
        root = Path(getattr(settings, setting)).resolve()
        if root in resolved.parents:
            return prefix + quote(resolved.relative_to(root).as_posix())
    return None


def ranged_file_response(request, path: Path, *, download_name: str = "") -> HttpResponse:
    """A stored file honouring a single ``Range: bytes=a-b`` request header (206 / 416), with the
    serving policy's type and headers; ``download_name`` names a file sent as an attachment.
    Behind nginx (``VR_ACCEL_REDIRECT``) the same answer without its bytes: nginx sends them."""
    content_type, inline = serving_type(path.name)
    location = accel_location(path)
    if location is not None:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = location
        response["Cache-Control"] = "private, max-age=3600"
    else:
        response = _ranged(request, path, content_type)
    return protect(response, inline=inline, filename=download_name or path.name)


def stored_file_response(request, storage: Storage, name: str, *, download_name: str = "") -> HttpResponse:
    """The stored file ``name`` of ``storage`` for a request whose permission check has passed:
    on an S3 storage a ``302`` to a presigned URL (typed and disposed by the serving policy,
    ``Cache-Control: no-store``, no body); on a folder :func:`ranged_file_response` (the app
    streams it, or nginx on ``X-Accel-Redirect``). Http404 when ``name`` is not a storage name
    (``clean_name``), leaves the storage's folder (a symlink) or is not stored."""
    from .storage import clean_name, local_path
    from .storage.s3 import is_s3_storage

    try:
        name = clean_name(name)
    except ValueError:
        raise Http404 from None
    if is_s3_storage(storage):
        response = HttpResponseRedirect(_presigned_url(storage, name, download_name))
        response["Cache-Control"] = "no-store"
        return response
    path = local_path(storage, name)
    if path is None:  # a storage that is neither a folder nor S3: read through the storage API
        if not storage.exists(name):
            raise Http404
        content_type, inline = serving_type(name)
        response = FileResponse(storage.open(name, "rb"), content_type=content_type)
        return protect(response, inline=inline, filename=download_name or PurePosixPath(name).name)
    root = Path(storage.location).resolve()
    resolved = path.resolve()
    if root not in resolved.parents or not resolved.is_file():
        raise Http404
    return ranged_file_response(request, resolved, download_name=download_name)


def _presigned_url(storage: Storage, name: str, download_name: str) -> str:
    """A presigned GET of ``name`` (Http404 when it is not stored), the same URL for every request
    within a third of its life (``VR_S3_URL_SECONDS``; the shared cache holds it): a fresh
    signature is a new URL, which the browser's cache would miss, so without this an image
    fetched ahead, or shown twice, would be downloaded again. Every URL handed out still has at
    least two thirds of its life left. Only a request that passed the permission check gets it."""
    import hashlib

    from django.core.cache import cache

    from .storage.s3 import key, presigned_get

    content_type, inline = serving_type(name)
    filename = download_name or PurePosixPath(name).name
    seconds = int(getattr(settings, "VR_S3_URL_SECONDS", 300))
    identity = "\0".join(
        [
            str(getattr(settings, "VR_S3_PUBLIC_ENDPOINT_URL", "") or storage.endpoint_url or ""),
            storage.bucket_name,
            key(storage, name),
            content_type,
            str(inline),
            filename,
            str(seconds),
        ]
    )
    cache_key = "vr:presigned:" + hashlib.sha256(identity.encode()).hexdigest()
    url = cache.get(cache_key)
    if url is None:
        if not storage.exists(name):
            raise Http404
        url = presigned_get(storage, name, content_type=content_type, inline=inline, filename=filename)
        if seconds >= 3:
            cache.set(cache_key, url, timeout=seconds // 3)
    return url


def _ranged(request, path: Path, content_type: str) -> HttpResponse:
    size = os.path.getsize(path)
    header = request.headers.get("Range", "").strip()
    match = RANGE_RE.match(header) if header else None
    if match is None or (not match.group(1) and not match.group(2)):
        response = FileResponse(open(path, "rb"), content_type=content_type)
        response["Accept-Ranges"] = "bytes"
        response["Cache-Control"] = "private, max-age=3600"
        return response
    first, last = match.group(1), match.group(2)
    if first:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    else:  # suffix range: the last N bytes
        start = max(0, size - int(last))
        end = size - 1
    if start >= size or start > end:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    length = end - start + 1
    response = StreamingHttpResponse(_iter_range(path, start, length), status=206, content_type=content_type)
    response["Content-Length"] = str(length)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    return response
