"""Images: decode fully (Pillow, or ffmpeg for what Pillow cannot identify), keep the original when
the browser can show it or write ``display.png``, and the thumbnail."""

from __future__ import annotations

import shutil
import struct
import warnings
from pathlib import Path

import ffmpeg
from PIL import Image, ImageOps, UnidentifiedImageError

from .commands import media_input, run_ffmpeg, stderr_reason
from .formats import BROWSER_IMAGE_EXTS
from .probe import open_image
from .types import MediaError, MediaInfo, ProcessedMedia, replace_info

JPEG_QUALITY = 90


def process_image(src: Path, work: Path, info: MediaInfo, limits, thumbnail_size: int, timeout: float):
    ext = info.raw.get("ext") or "bin"
    original = f"original.{ext}"
    transcoded = False
    decoded = decode_image(src, work, info, timeout)
    try:
        shutil.copyfile(src, work / original)
        display = original
        upright = ImageOps.exif_transpose(decoded)
        if ext not in BROWSER_IMAGE_EXTS:
            display = "display.png"
            png_ready(upright).save(work / display, format="PNG")
            transcoded = True
        save_thumbnail(upright, work / "thumbnail.jpg", thumbnail_size)
        width, height = upright.size
    finally:
        decoded.close()
    raw = {**info.raw, "decoded_size": [width, height]}
    if (width, height) != (info.width, info.height):  # Pillow is what drew the display and thumbnail
        info = replace_info(info, width=width, height=height)
    info = replace_info(info, raw=raw)
    files = {
        "original": original,
        "display": display,
        "poster": None,
        "thumbnail": "thumbnail.jpg",
        "frames": [],
        "transcoded": transcoded,
    }
    return ProcessedMedia(info=info, files=files)


def decode_image(src: Path, work: Path, info: MediaInfo, timeout: float) -> Image.Image:
    """Pillow ``verify()`` then ``load()``; images Pillow cannot read are decoded by ffmpeg."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with open_image(src) as im:
                im.verify()
            im = open_image(src)
            try:
                im.load()
            except BaseException:
                im.close()
                raise
            return im
    except UnidentifiedImageError:
        pass  # ffprobe knows it, Pillow doesn't (e.g. JPEG XL, EXR): let ffmpeg decode it
    except Image.DecompressionBombError:
        raise MediaError(f"the image is {info.width}×{info.height}, too large to decode safely")
    except (OSError, SyntaxError, ValueError, struct.error, IndexError, EOFError, MemoryError):
        raise MediaError("the image is truncated or corrupt")
    target = work / "_decoded.png"
    try:
        err = run_ffmpeg(media_input(src, info.demuxer).output(str(target), vframes=1), timeout)
    except ffmpeg.Error as exc:
        raise MediaError(f"the image is truncated or corrupt (ffmpeg: {stderr_reason(exc.stderr, src, target)})")
    if err.strip() or not target.is_file():
        detail = stderr_reason(err, src, target) or "no picture decoded"
        raise MediaError(f"the image is truncated or corrupt (ffmpeg: {detail})")
    im = Image.open(target)
    im.load()
    target.unlink()
    return im


def png_ready(im: Image.Image) -> Image.Image:
    if im.mode in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16"):
        return im
    return im.convert("RGBA" if _has_alpha(im) else "RGB")


def _has_alpha(im: Image.Image) -> bool:
    return "A" in im.getbands() or "transparency" in im.info


def save_thumbnail(im: Image.Image, path: Path, size: int) -> None:
    thumb = im.copy()
    thumb.thumbnail((size, size), Image.Resampling.LANCZOS)
    if _has_alpha(thumb):
        rgba = thumb.convert("RGBA")
        thumb = Image.new("RGB", rgba.size, (255, 255, 255))
        thumb.paste(rgba, mask=rgba.getchannel("A"))
    elif thumb.mode != "RGB":
        thumb = thumb.convert("RGB")
    thumb.save(path, format="JPEG", quality=JPEG_QUALITY)
