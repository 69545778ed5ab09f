"""What a guesser sees of an asset: its files (as ``worker.media.process_media`` wrote them) read
back into a :class:`~worker.guessers.base.MediaInput`.

* **Image**: the ``display`` file (the original when a browser can show it, else the PNG made
  from it: always something Pillow reads), turned upright by its EXIF orientation (as the
  thumbnail and the reported dimensions are) and converted to RGB.
* **Video**: the sampled model frames of ``files["frames"]`` (``{file, index, time, second}``,
  one per whole second, the first 24 seconds, as the VisionReward reference samples them), in
  that order, RGB, with their timestamps in ``MediaInput.times`` and the asset's fps.

Paths in ``files`` are relative to MEDIA_ROOT; a path that leaves MEDIA_ROOT or a missing file
raises :class:`~worker.guessers.base.GuesserError`. :func:`select_frames` thins a video's frames
to what a model takes (evenly spaced, first and last kept).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from PIL import Image, ImageOps

from .base import GuesserError, MediaInput

__all__ = ["frames_for_model", "load_image", "media_input_from_asset", "media_input_from_files", "select_frames"]


def _resolve(media_root: Path, relative: str) -> Path:
    root = Path(media_root).resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        raise GuesserError(f"media file {relative!r} is outside MEDIA_ROOT")
    if not path.is_file():
        raise GuesserError(f"media file {path} is missing")
    return path


def load_image(path: Path, *, upright: bool = True) -> Image.Image:
    """An RGB copy of the image file (first frame), EXIF orientation applied when ``upright``."""
    try:
        with Image.open(path) as image:
            image.load()
            if upright:
                image = ImageOps.exif_transpose(image)
            return image.convert("RGB")
    except (OSError, Image.DecompressionBombError) as exc:
        raise GuesserError(f"cannot read image {path}: {exc}") from exc


def media_input_from_files(
    kind: str, files: Mapping, media_root: Path | str, *, fps: float | None = None
) -> MediaInput:
    """The MediaInput of an asset of this ``kind`` whose ``files`` (relative to ``media_root``)
    are laid out as ``Asset.files`` (see the module docstring)."""
    media_root = Path(media_root)
    if kind == "image":
        name = files.get("display") or files.get("original")
        if not name:
            raise GuesserError("the image asset has no display or original file")
        return MediaInput(kind="image", frames=[load_image(_resolve(media_root, name))])
    if kind == "video":
        frames = list(files.get("frames") or [])
        if not frames:
            raise GuesserError("the video asset has no sampled frames (files['frames'] is empty)")
        images = [load_image(_resolve(media_root, frame["file"]), upright=False) for frame in frames]
        times = [float(frame.get("time", index)) for index, frame in enumerate(frames)]
        return MediaInput(kind="video", frames=images, fps=fps, times=times)
    raise GuesserError(f"unknown media kind {kind!r} (expected 'image' or 'video')")


def media_input_from_asset(asset, media_root: Path | str | None = None) -> MediaInput:
    """The MediaInput of a ready ``annotator.models.Asset`` (files under ``settings.MEDIA_ROOT``
    unless ``media_root`` is given)."""
    if getattr(asset, "status", "ready") != "ready":
        raise GuesserError(f"asset {asset.pk} is not ready ({asset.status}): it has no media to look at")
    if media_root is None:
        from django.conf import settings

        media_root = settings.MEDIA_ROOT
    return media_input_from_files(asset.kind, asset.files or {}, media_root, fps=asset.fps)


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
