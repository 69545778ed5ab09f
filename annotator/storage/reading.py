"""Reading a stored file as a stream, from its start: for work that reads each file once, in
order (an export embedding images or copying videos, an archive's members), without the whole
file first landing in memory or on disk.

django-storages' ``S3Storage.open`` copies the whole object into a spooled buffer (in memory by
default) on the first read; :func:`open_reader` hands out the object's body as it arrives.
"""

from __future__ import annotations

from typing import BinaryIO

from django.core.files.storage import Storage

from . import local_path
from .s3 import is_s3_storage, key, server_client

MISSING_CODES = {"NoSuchKey", "404", "NotFound"}


def open_reader(storage: Storage, name: str) -> BinaryIO:
    """The stored file ``name`` opened for reading (the caller closes it): the file itself on a
    filesystem storage, the object's body streamed on an S3 storage, else the storage's own
    ``open``. Raises FileNotFoundError when it is not stored."""
    path = local_path(storage, name)
    if path is not None:
        return open(path, "rb")  # noqa: SIM115 - the caller closes it
    if is_s3_storage(storage):
        from botocore.exceptions import ClientError

        try:
            return server_client(storage).get_object(Bucket=storage.bucket_name, Key=key(storage, name))["Body"]
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in MISSING_CODES:
                raise FileNotFoundError(name) from None
            raise
    return storage.open(name, "rb")
