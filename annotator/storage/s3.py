"""What only an S3-compatible storage can do: presigned URLs that send browsers to the bucket
(downloads, and the parts of a multipart upload), so media bytes never pass through Django.

A presigned URL is signed for ``VR_S3_PUBLIC_ENDPOINT_URL`` (the endpoint browsers reach; inside
docker-compose the web reaches MinIO as ``minio:9000`` while browsers reach ``localhost:9000``).
Signing needs no request to the server. The permission check stays where the URL is issued;
the URL itself expires after ``VR_S3_URL_SECONDS``.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core.files.storage import Storage
from django.utils.http import content_disposition_header


def is_s3_storage(storage: Storage) -> bool:
    return hasattr(storage, "bucket_name") and hasattr(storage, "connection")


def key(storage: Storage, name: str) -> str:
    """The object key of the stored ``name`` (the storage's ``location`` prefix added)."""
    from storages.utils import clean_name

    return storage._normalize_name(clean_name(name))  # noqa: SLF001 (django-storages' own mapping)


@lru_cache(maxsize=8)
def _signing_client(endpoint: str | None, region: str, access: str | None, secret: str | None, style: str):
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access,
        aws_secret_access_key=secret,
        config=Config(signature_version="s3v4", s3={"addressing_style": style}),
    )


def signing_client(storage: Storage):
    """A boto3 client that signs URLs for the public endpoint, with the storage's credentials."""
    credentials = storage.connection.meta.client._request_signer._credentials  # noqa: SLF001
    frozen = credentials.get_frozen_credentials() if credentials is not None else None
    return _signing_client(
        getattr(settings, "VR_S3_PUBLIC_ENDPOINT_URL", None) or storage.endpoint_url,
        storage.region_name or "us-east-1",
        frozen.access_key if frozen else None,
        frozen.secret_key if frozen else None,
        getattr(settings, "VR_S3_ADDRESSING_STYLE", "path"),
    )


def server_client(storage: Storage):
    """The storage's own boto3 client (the endpoint this host reaches)."""
    return storage.connection.meta.client


def presigned_get(
    storage: Storage, name: str, *, content_type: str, inline: bool, filename: str = "", seconds: int | None = None
) -> str:
    """A short-lived URL that reads ``name`` from the bucket, the response typed and disposed as
    the serving policy says (``annotator.files``): known images and videos inline with their
    type, anything else as an ``application/octet-stream`` attachment."""
    params = {
        "Bucket": storage.bucket_name,
        "Key": key(storage, name),
        "ResponseContentType": content_type,
        "ResponseCacheControl": "private, max-age=300",
    }
    if not inline:
        params["ResponseContentDisposition"] = content_disposition_header(True, filename or "download")
    return signing_client(storage).generate_presigned_url(
        "get_object", Params=params, ExpiresIn=seconds or getattr(settings, "VR_S3_URL_SECONDS", 300)
    )


def presigned_part(storage: Storage, object_key: str, upload_id: str, number: int, *, seconds: int | None = None):
    """A URL that PUTs part ``number`` of the multipart upload ``upload_id``."""
    return signing_client(storage).generate_presigned_url(
        "upload_part",
        Params={"Bucket": storage.bucket_name, "Key": object_key, "UploadId": upload_id, "PartNumber": number},
        ExpiresIn=seconds or getattr(settings, "VR_S3_UPLOAD_SECONDS", 3600),
    )


def public_origin(storage: Storage | None = None) -> str:
    """The scheme://host[:port] browsers fetch this storage's presigned URLs from (the media
    storage's by default): taken from a URL signed the way :func:`presigned_get` signs them
    (no request is made). ``config/settings.py`` puts the same origins in the CSP
    (``VR_S3_PUBLIC_ORIGINS``), computed from the settings alone."""
    from urllib.parse import urlsplit

    if storage is None:
        from . import media_storage

        storage = media_storage()
    if not is_s3_storage(storage):
        return ""
    url = signing_client(storage).generate_presigned_url(
        "get_object", Params={"Bucket": storage.bucket_name, "Key": key(storage, "origin")}, ExpiresIn=1
    )
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
