"""What a guesser sees of an asset: its files (as ``worker.media.process_media`` wrote them) read
back into a :class:`~worker.guessers.base.MediaInput`.

* **Image**: the ``display`` file (the original when a browser can show it, else the PNG made
  from it: always something Pillow reads), turned upright by its EXIF orientation (as the
  thumbnail and the reported dimensions are) and converted to RGB.
* **Video**: the sampled model frames of ``files["frames"]`` (``{file, index, time, second}``,
  one per whole second, the first 24 seconds, as the VisionReward reference samples them), in
  that order, RGB, with their timestamps in ``MediaInput.times`` and the asset's fps.

Names in ``files`` are names in the media storage (``annotator.storage.media_storage()``: a folder
on this host, or the bucket on ``VR_STORAGE=s3``, read with ``storage.open`` so a worker on another
host needs no shared folder); a name that is not a storage name (``..``, an absolute path, a
symlink out of the folder) or a missing file raises :class:`~worker.guessers.base.GuesserError`.
:func:`select_frames` thins a video's frames to what a model takes (evenly spaced, first and last kept).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from PIL import Image, ImageOps

from annotator.storage.names import clean_name

from .base import GuesserError, MediaInput

__all__ = ["frames_for_model", "load_image", "media_input_from_asset", "media_input_from_files", "select_frames"]


class _Folder:
    """A folder on this host read like a storage (``media_input_from_files(..., "/some/folder")``)."""

    def __init__(self, root: Path | str):
        self.location = str(root)

    def path(self, name: str) -> str:
        return str(Path(self.location) / name)


def _media(media: Any) -> Any:
    """What the names are read from: the media storage (``STORAGES["default"]``, as
    ``annotator.storage.media_storage()``), a storage given (anything with Django's storage
    ``open`` / ``path``; this module imports no Django model or app), or a folder given as a path."""
    if media is None:
        from django.core.files.storage import storages

        return storages["default"]
    if isinstance(media, (str, Path)):
        return _Folder(media)
    return media


def _storage_name(name: str) -> str:
    """``name`` as a storage name (``annotator.storage.names``' rules); GuesserError otherwise:
    a name is never a path."""
    try:
        return clean_name(name)
    except ValueError:
        raise GuesserError(f"media file {name!r} is outside the media storage") from None


def _local_path(storage: Any, name: str) -> Path | None:
    try:
        return Path(storage.path(name))
    except (NotImplementedError, AttributeError):
        return None


def _image(storage: Any, name: str, *, upright: bool = True) -> Image.Image:
    """The stored image ``name``: from its own path on a folder (nothing copied; a symlink out of
    the folder refused), else read through the storage (``storage.open``: the bucket on S3)."""
    name = _storage_name(name)
    path = _local_path(storage, name)
    if path is not None:
        root, resolved = Path(storage.location).resolve(), path.resolve()
        if not resolved.is_relative_to(root):
            raise GuesserError(f"media file {name!r} is outside the media storage")
        if not resolved.is_file():
            raise GuesserError(f"media file {name} is missing")
        return load_image(resolved, upright=upright)
    try:
        with storage.open(name, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise GuesserError(f"media file {name} is missing") from None
    return load_image(io.BytesIO(data), upright=upright, name=name)


def load_image(path: Path | BinaryIO, *, upright: bool = True, name: str = "") -> Image.Image:
    """An RGB copy of the image file (first frame), EXIF orientation applied when ``upright``."""
    try:
        with Image.open(path) as image:
            image.load()
            if upright:
                image = ImageOps.exif_transpose(image)
            return image.convert("RGB")
    except (OSError, Image.DecompressionBombError) as exc:
        raise GuesserError(f"cannot read image {name or path}: {exc}") from exc


def media_input_from_files(kind: str, files: Mapping, media: Any = None, *, fps: float | None = None) -> MediaInput:
    """The MediaInput of an asset of this ``kind`` whose ``files`` (names in ``media``: the media
    storage by default, or a storage or a folder given) are laid out as ``Asset.files`` (see the
    module docstring)."""
    storage = _media(media)
    if kind == "image":
        name = files.get("display") or files.get("original")
        if not name:
            raise GuesserError("the image asset has no display or original file")
        return MediaInput(kind="image", frames=[_image(storage, name)])
    if kind == "video":
        frames = list(files.get("frames") or [])
        if not frames:
            raise GuesserError("the video asset has no sampled frames (files['frames'] is empty)")
        images = [_image(storage, frame["file"], upright=False) for frame in frames]
        times = [float(frame.get("time", index)) for index, frame in enumerate(frames)]
        return MediaInput(kind="video", frames=images, fps=fps, times=times)
    raise GuesserError(f"unknown media kind {kind!r} (expected 'image' or 'video')")


def media_input_from_asset(asset, media: Any = None) -> MediaInput:
    """The MediaInput of a ready ``annotator.models.Asset`` (its files in the media storage
    unless another storage or folder is given)."""
    if getattr(asset, "status", "ready") != "ready":
        raise GuesserError(f"asset {asset.pk} is not ready ({asset.status}): it has no media to look at")
    return media_input_from_files(asset.kind, asset.files or {}, media, fps=asset.fps)


def select_frames(count: int, max_frames: int) -> list[int]:
    """Indices of at most ``max_frames`` of ``count`` frames, evenly spaced, first and last kept."""
    if max_frames < 1:
        raise ValueError("max_frames must be at least 1")
    if count <= max_frames:
        return list(range(count))
    if max_frames == 1:
        return [0]
    step = (count - 1) / (max_frames - 1)
    return sorted({int(i * step + 0.5) for i in range(max_frames)})


def frames_for_model(media: MediaInput, max_frames: int) -> tuple[list[Image.Image], list[float] | None]:
    """The frames (and their times) a model with a ``max_frames`` budget looks at."""
    keep = select_frames(len(media.frames), max_frames)
    frames: Sequence[Image.Image] = media.frames
    times = [media.times[i] for i in keep] if media.times and len(media.times) == len(frames) else None
    return [frames[i] for i in keep], times
