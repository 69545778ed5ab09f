"""Where dataset versions and their archives are stored, through Django's storage API.

``datasets_storage()`` is the ``"datasets"`` entry of ``settings.STORAGES`` when an installation
names one (an S3 bucket through django-storages, for example), else the local filesystem under
``VR_DATASETS_ROOT`` (read when called, so a test's own root is followed). Names are relative to
that root (``<name>/v<n>/README.md``, ``.archives/<name>-v<n>-<hash>.zip``).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages


def datasets_storage() -> Storage:
    if "datasets" in (getattr(settings, "STORAGES", None) or {}):
        return storages["datasets"]
    return FileSystemStorage(location=str(settings.VR_DATASETS_ROOT))


def local_path(storage: Storage, name: str) -> Path | None:
    """The file's path on this host when the storage is a local folder, else None."""
    try:
        return Path(storage.path(name))
    except NotImplementedError:
        return None


def scratch_file(storage: Storage, name: str) -> Path:
    """A fresh local file to build ``name`` in before :func:`put` publishes it: beside the target
    on a filesystem storage (so publishing is one rename), else in the system's temporary folder.
    Scratch files are named ``.<file>.<random>.part``."""
    target = local_path(storage, name)
    folder = target.parent if target is not None else Path(tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f".{Path(name).name}.{uuid.uuid4().hex[:12]}.part"


def put(storage: Storage, name: str, built: Path) -> str:
    """Publish the finished local file ``built`` as ``name`` in one step, replacing any file of
    that name (a leftover no row points at): a rename on a filesystem storage, one upload
    otherwise (an object store makes an object visible only once complete). Returns the name."""
    target = local_path(storage, name)
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(built, target)
        return name
    if storage.exists(name):
        storage.delete(name)
    with open(built, "rb") as fh:
        saved = storage.save(name, File(fh, name=Path(name).name))
    built.unlink(missing_ok=True)
    return saved
