"""``process_media``: check a file against the limits, then write everything the platform serves
for it into ``out_dir`` atomically (built in a hidden sibling, renamed into place)."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from .commands import BASE_TIMEOUT_S, PROBE_TIMEOUT_S
from .images import process_image
from .probe import checked_size, probe
from .types import MediaError, MediaLimits, ProcessedMedia, check_duration, fmt_size
from .videos import process_video


def process_media(
    src,
    out_dir,
    *,
    limits: MediaLimits,
    expected_kind: str | None = None,
    thumbnail_size: int = 384,
    max_frames: int = 24,
    timeout_s: float | None = None,
) -> ProcessedMedia:
    """Check one file against ``limits``, decode it fully, and build ``out_dir`` (which must not
    exist) atomically. Raises ``MediaError`` with a readable reason; leaves nothing behind on
    failure and never modifies ``src``."""
    if expected_kind not in (None, "image", "video"):
        raise ValueError(f"expected_kind must be 'image', 'video' or None, not {expected_kind!r}")
    src, out_dir = Path(src), Path(out_dir)
    if out_dir.exists() or out_dir.is_symlink():
        raise MediaError(f"the output folder {out_dir.name} already exists")

    size = checked_size(src)
    if size > limits.max_bytes:
        raise MediaError(f"the file is {fmt_size(size, limits.max_bytes)} limit")

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = out_dir.parent / f".{out_dir.name}.tmp-{uuid.uuid4().hex[:12]}"
    work.mkdir()
    try:
        info = probe(src, timeout_s=timeout_s or PROBE_TIMEOUT_S)
        if expected_kind and info.kind != expected_kind:
            raise MediaError(f"{_article(expected_kind)} was expected but this is {_article(info.kind)}")
        pixels = info.width * info.height
        if pixels > limits.max_pixels:
            what = "the image" if info.kind == "image" else "the video frame"
            raise MediaError(
                f"{what} is {info.width}×{info.height} = {pixels:,} pixels, over the {limits.max_pixels:,} pixel limit"
            )
        if info.kind == "image":
            result = process_image(src, work, info, limits, thumbnail_size, timeout_s or BASE_TIMEOUT_S)
        else:
            check_duration(info.duration, limits)
            result = process_video(src, work, info, limits, thumbnail_size, max_frames, timeout_s)
        if out_dir.exists() or out_dir.is_symlink():
            raise MediaError(f"the output folder {out_dir.name} already exists")
        os.rename(work, out_dir)
        return result
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _article(kind: str) -> str:
    return f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}"
