"""Where every stored file lives: Django's storage API, one backend chosen by settings.

Two storages hold everything the platform keeps:

* ``media_storage()``: ``STORAGES["default"]``. Asset originals, browser copies, posters,
  thumbnails, model frames, staged uploads (``staging/…``), direct uploads (``uploads/…``).
* ``datasets_storage()``: ``STORAGES["datasets"]``. Dataset versions (``<name>/v<n>/…``) and
  their archives (``.archives/…``).

``VR_STORAGE=filesystem`` (the default, ``make run``) keeps them under ``MEDIA_ROOT`` and
``VR_DATASETS_ROOT`` on this host. ``VR_STORAGE=s3`` keeps them in an S3-compatible bucket through
django-storages (AWS S3, MinIO, Ceph, R2, GCS interop; ``config/settings.py`` lists the
settings): then no code path touches those folders, and workers on other hosts work on a local
scratch copy (``scratch_dir``, under ``VR_SCRATCH_DIR``) and write results back through storage.

Names are always relative, ``/``-separated storage names, never host paths. Code that needs a
file on this host (ffmpeg, Pillow, a model's frames) asks :func:`local_copy`; code that builds a
file or a folder on this host and publishes it asks :func:`put` or :func:`put_tree`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages

from .names import clean_name, join  # noqa: F401 - the name rules (pure), also used from here

COPY_CHUNK = 1024 * 1024


def is_s3() -> bool:
    return getattr(settings, "VR_STORAGE", "filesystem") == "s3"


def media_storage() -> Storage:
    """The storage of assets' files and staged uploads (``STORAGES["default"]``)."""
    return storages["default"]


def datasets_storage() -> Storage:
    """The storage of dataset versions and archives: ``STORAGES["datasets"]`` when an
    installation names one, else the folder ``VR_DATASETS_ROOT`` (read when called, so a test's
    own root is followed)."""
    if "datasets" in (getattr(settings, "STORAGES", None) or {}):
        return storages["datasets"]
    return FileSystemStorage(location=str(settings.VR_DATASETS_ROOT))


def local_path(storage: Storage, name: str) -> Path | None:
    """The file's path on this host when the storage is a local folder, else None."""
    try:
        return Path(storage.path(name))
    except NotImplementedError:
        return None


def is_local(storage: Storage) -> bool:
    return isinstance(storage, FileSystemStorage)


def scratch_dir(purpose: str) -> Path:
    """A fresh, empty folder on this host for one piece of work (``VR_SCRATCH_DIR``, else the
    system's temporary folder). The caller removes it (:func:`scratch` does)."""
    root = Path(getattr(settings, "VR_SCRATCH_DIR", "") or tempfile.gettempdir()) / "vr-scratch"
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{purpose}-", dir=root))


@contextmanager
def scratch(purpose: str) -> Iterator[Path]:
    """:func:`scratch_dir`, removed afterwards whatever happens."""
    folder = scratch_dir(purpose)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def download(storage: Storage, name: str, destination: Path) -> Path:
    """Copy the stored file ``name`` to ``destination`` on this host (written aside, renamed)."""
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    part = destination.with_name(f".{destination.name}.{uuid.uuid4().hex[:8]}.part")
    from .reading import open_reader  # the object's body streamed, never whole in memory

    try:
        with open_reader(storage, name) as src, open(part, "wb") as out:
            shutil.copyfileobj(src, out, COPY_CHUNK)
        os.replace(part, destination)
    finally:
        part.unlink(missing_ok=True)
    return destination


@contextmanager
def local_copy(storage: Storage, name: str, *, folder: Path | None = None) -> Iterator[Path]:
    """The stored file ``name`` as a path on this host for the length of the ``with``: its own
    path on a filesystem storage (nothing copied), else a download into ``folder`` or a scratch
    folder of its own (removed afterwards). Raises FileNotFoundError when it is not stored."""
    path = local_path(storage, name)
    if path is not None:
        if not path.is_file():
            raise FileNotFoundError(name)
        yield path
        return
    if not storage.exists(name):
        raise FileNotFoundError(name)
    if folder is not None:
        target = Path(folder) / PurePosixPath(name).name
        download(storage, name, target)
        try:
            yield target
        finally:
            target.unlink(missing_ok=True)
        return
    with scratch("copy") as own:
        yield download(storage, name, own / PurePosixPath(name).name)


def scratch_file(storage: Storage, name: str) -> Path:
    """A fresh local file to build ``name`` in before :func:`put` publishes it: beside the target
    on a filesystem storage (so publishing is one rename), else in the scratch folder.
    Scratch files are named ``.<file>.<random>.part``."""
    target = local_path(storage, name)
    if target is not None:
        folder = target.parent
    else:
        folder = Path(getattr(settings, "VR_SCRATCH_DIR", "") or tempfile.gettempdir()) / "vr-scratch"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f".{Path(name).name}.{uuid.uuid4().hex[:12]}.part"


def put(storage: Storage, name: str, built: Path, *, keep: bool = False) -> str:
    """Publish the finished local file ``built`` as ``name`` in one step, replacing any file of
    that name: a rename on a filesystem storage (a copy when ``keep``), one upload otherwise (an
    object store makes an object visible only once complete). Returns the name."""
    name = clean_name(name)
    target = local_path(storage, name)
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        if keep:
            part = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
            shutil.copyfile(built, part)
            os.replace(part, target)
        else:
            os.replace(built, target)
        return name
    if not getattr(storage, "file_overwrite", False) and storage.exists(name):
        storage.delete(name)  # a storage that would save under another name otherwise
    with open(built, "rb") as fh:
        saved = storage.save(name, File(fh, name=PurePosixPath(name).name))
    if not keep:
        Path(built).unlink(missing_ok=True)
    return saved


def put_bytes(storage: Storage, name: str, data: bytes) -> str:
    from django.core.files.base import ContentFile

    name = clean_name(name)
    if not getattr(storage, "file_overwrite", False) and storage.exists(name):
        storage.delete(name)
    return storage.save(name, ContentFile(data, name=PurePosixPath(name).name))


def put_tree(storage: Storage, prefix: str, folder: Path, *, keep: bool = False) -> list[str]:
    """Publish every file under the local ``folder`` as ``<prefix>/<relative path>``; returns
    the names written (relative to ``prefix``), sorted."""
    folder = Path(folder)
    written = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        put(storage, join(prefix, rel), path, keep=keep)
        written.append(rel)
    return written


def walk(storage: Storage, prefix: str) -> Iterator[str]:
    """Every stored file under ``prefix`` (names relative to the storage root)."""
    prefix = prefix.strip("/")
    try:
        folders, files = storage.listdir(prefix)
    except (FileNotFoundError, NotADirectoryError):
        return
    for file in sorted(files):
        yield f"{prefix}/{file}" if prefix else file
    for sub in sorted(folders):
        yield from walk(storage, f"{prefix}/{sub}" if prefix else sub)


def delete_tree(storage: Storage, prefix: str) -> None:
    """Remove everything stored under ``prefix`` (nothing when there is nothing)."""
    prefix = clean_name(prefix)
    path = local_path(storage, prefix)
    if path is not None:
        shutil.rmtree(path, ignore_errors=True)
        return
    for name in list(walk(storage, prefix)):
        storage.delete(name)


def get_tree(storage: Storage, prefix: str, folder: Path) -> Path:
    """Copy everything stored under ``prefix`` into the local ``folder`` (its layout kept)."""
    prefix = clean_name(prefix)
    for name in walk(storage, prefix):
        download(storage, name, Path(folder) / name[len(prefix) + 1 :])
    return Path(folder)


@contextmanager
def local_tree(storage: Storage, prefix: str) -> Iterator[Path]:
    """The folder ``prefix`` on this host for the length of the ``with``: its own path on a
    filesystem storage, else a scratch copy (removed afterwards)."""
    path = local_path(storage, clean_name(prefix))
    if path is not None:
        yield path
        return
    with scratch("tree") as own:
        yield get_tree(storage, prefix, own / "tree")
