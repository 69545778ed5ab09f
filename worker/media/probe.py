"""``probe(path)``: what a file is (image or video, codec, container, dimensions as shown,
duration, frames), refusing what is not media before anything decodes it."""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import ffmpeg
from PIL import Image

from .commands import PROBE_TIMEOUT_S, run_ffprobe, stderr_reason
from .formats import (
    ANIMATABLE_CONTAINERS,
    IMAGE_CODECS,
    MEDIA_DEMUXERS,
    PIL_FORMATS,
    SVG_REFUSED,
    extension_of,
    head_bytes,
    markup_kind,
    markup_reason,
    mime_of,
    refused_format_reason,
)
from .types import MediaError, MediaInfo


def probe(path, *, timeout_s: float = PROBE_TIMEOUT_S) -> MediaInfo:
    """Describe one file; raises ``MediaError`` for a missing, empty, unreadable or non-media file."""
    path = Path(path)
    size = checked_size(path)
    markup = markup_kind(head_bytes(path))
    if markup:
        raise MediaError(markup_reason(markup))
    try:
        data, err = run_ffprobe(path, timeout_s, "-show_format", "-show_streams")
    except ffmpeg.Error as exc:
        raise MediaError(unreadable_reason(exc.stderr, path))
    fmt = data.get("format") or {}
    format_name = str(fmt.get("format_name") or "")
    demuxer = format_name.split(",")[0]
    if demuxer not in MEDIA_DEMUXERS:  # ffprobe enforces the whitelist; this is the second lock
        raise MediaError(refused_format_reason(demuxer))
    streams = data.get("streams") or []
    pictures = [s for s in streams if s.get("codec_type") == "video" and not disposition(s, "attached_pic")]
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    if not pictures:
        if audio:
            raise MediaError("the video has no video stream (the file holds only audio)")
        raise MediaError("the video has no video stream")
    stream = pictures[0]
    codec = str(stream.get("codec_name") or "")
    if codec == "svg":  # e.g. a gzipped SVG (.svgz) read by image2
        raise MediaError(SVG_REFUSED)
    width, height = as_int(stream.get("width")), as_int(stream.get("height"))
    image_container = format_name == "image2" or format_name.endswith("_pipe") or format_name in ANIMATABLE_CONTAINERS
    if codec == "webp" and image_container and _animated_webp(path):
        raise MediaError("animated WebP is not supported (convert it to MP4 or GIF)")
    if not width or not height:
        detail = stderr_reason(err, path) or "no picture size"
        if codec in IMAGE_CODECS and _pillow_recognises(path):  # a real header, broken data after it
            raise MediaError(f"the image is truncated or corrupt (ffprobe: {detail})")
        raise MediaError(f"not an image or a video (ffprobe: {detail})")

    frames = as_int(stream.get("nb_frames"))
    if image_container and format_name in ANIMATABLE_CONTAINERS:
        frames = _count_frames(path, timeout_s, demuxer) or frames
        stream = {**stream, "nb_read_packets": str(frames)} if frames else stream
    kind = "image" if image_container and codec in IMAGE_CODECS and (frames or 1) <= 1 else "video"

    raw = _summary(data, stream)
    ext = extension_of(kind, format_name, codec, fmt, streams, path)
    raw["ext"] = ext
    if kind == "image":
        orientation = _exif_orientation(path)
        raw["orientation"] = orientation
        if orientation in (5, 6, 7, 8):
            width, height = height, width
        return MediaInfo(
            kind="image",
            format_name=format_name,
            codec=codec,
            width=width,
            height=height,
            duration=None,
            fps=None,
            frame_count=None,
            pix_fmt=str(stream.get("pix_fmt") or ""),
            has_audio=False,
            size_bytes=size,
            mime_type=mime_of(ext),
            raw=raw,
            demuxer=demuxer,
        )

    rotation = _rotation(stream)
    raw["rotation"] = rotation
    if rotation % 180 == 90:
        width, height = height, width
    duration = as_float(fmt.get("duration")) or as_float(stream.get("duration"))
    fps = _rate(stream.get("avg_frame_rate")) or _rate(stream.get("r_frame_rate"))
    return MediaInfo(
        kind="video",
        format_name=format_name,
        codec=codec,
        width=width,
        height=height,
        duration=duration if duration and duration > 0 else None,
        fps=fps,
        frame_count=frames,
        pix_fmt=str(stream.get("pix_fmt") or ""),
        has_audio=bool(audio),
        size_bytes=size,
        mime_type=mime_of(ext),
        raw=raw,
        demuxer=demuxer,
    )


def checked_size(path: Path) -> int:
    if not path.is_file():
        raise MediaError("the file does not exist" if not path.exists() else "not a file")
    size = path.stat().st_size
    if size == 0:
        raise MediaError("the file is empty")
    return size


_NOT_ON_WHITELIST = re.compile(r"^\[([\w,.-]+) @ ?0x[0-9a-fA-F]+\]\s*Format not on whitelist", re.MULTILINE)


def unreadable_reason(stderr, path: Path) -> str:
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else str(stderr or "")
    refused = _NOT_ON_WHITELIST.search(text)
    if refused:
        return refused_format_reason(refused.group(1).split(",")[0])
    if "Format not on whitelist" in text:
        return refused_format_reason("")
    if "moov atom not found" in text:
        return "the video is truncated or corrupt (moov atom not found)"
    detail = stderr_reason(text, path) or "unknown format"
    return f"not an image or a video (ffprobe: {detail})"


def open_image(path) -> Image.Image:
    """Pillow's ``Image.open`` limited to the raster formats in ``PIL_FORMATS``."""
    return Image.open(path, formats=PIL_FORMATS)


def _count_frames(path: Path, timeout: float, demuxer: str) -> int | None:
    """Frames of an animatable image container (GIF, APNG, WebP), by counting packets (no decode)."""
    try:
        data, _ = run_ffprobe(
            path,
            timeout,
            "-count_packets",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=nb_read_packets",
            demuxer=demuxer,
        )
    except ffmpeg.Error:
        return None
    streams = data.get("streams") or [{}]
    return as_int(streams[0].get("nb_read_packets"))


def _animated_webp(path: Path) -> bool:
    try:
        with open_image(path) as im:
            return bool(getattr(im, "is_animated", False))
    except Exception:
        return False


def _pillow_recognises(path: Path) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with open_image(path):
                return True
    except Exception:
        return False


def _exif_orientation(path: Path) -> int:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with open_image(path) as im:
                value = int(im.getexif().get(0x0112, 1))
    except Exception:
        return 1
    return value if 1 <= value <= 8 else 1


def _rotation(stream: dict) -> int:
    """Clockwise-or-not doesn't matter here: only whether the browser swaps width and height."""
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            return int(round(as_float(side.get("rotation")) or 0)) % 360
    return int(round(as_float((stream.get("tags") or {}).get("rotate")) or 0)) % 360


def disposition(stream: dict, key: str) -> bool:
    return bool((stream.get("disposition") or {}).get(key))


_FORMAT_KEYS = (
    "format_name",
    "format_long_name",
    "start_time",
    "duration",
    "size",
    "bit_rate",
    "nb_streams",
    "probe_score",
)


_STREAM_KEYS = (
    "index",
    "codec_type",
    "codec_name",
    "codec_long_name",
    "profile",
    "codec_tag_string",
    "width",
    "height",
    "sample_aspect_ratio",
    "display_aspect_ratio",
    "pix_fmt",
    "level",
    "color_range",
    "color_space",
    "color_transfer",
    "color_primaries",
    "field_order",
    "has_b_frames",
    "r_frame_rate",
    "avg_frame_rate",
    "time_base",
    "start_time",
    "duration",
    "bit_rate",
    "nb_frames",
    "nb_read_packets",
    "sample_fmt",
    "sample_rate",
    "channels",
    "channel_layout",
)


MAX_RAW_STREAMS = 4


def _summary(data: dict, first_picture: dict) -> dict:
    fmt = data.get("format") or {}
    out = {"format": {k: fmt[k] for k in _FORMAT_KEYS if k in fmt}}
    tags = _short_tags(fmt.get("tags"))
    if tags:
        out["format"]["tags"] = tags
    streams = []
    for stream in (data.get("streams") or [])[:MAX_RAW_STREAMS]:
        if stream.get("index") == first_picture.get("index"):
            stream = first_picture
        item = {k: stream[k] for k in _STREAM_KEYS if k in stream}
        disposition = sorted(k for k, v in (stream.get("disposition") or {}).items() if v)
        if disposition:
            item["disposition"] = disposition
        tags = _short_tags(stream.get("tags"))
        if tags:
            item["tags"] = tags
        side = [
            {k: v for k, v in s.items() if k in ("side_data_type", "rotation")}
            for s in stream.get("side_data_list") or []
        ]
        if side:
            item["side_data"] = side[:4]
        streams.append(item)
    out["streams"] = streams
    out["nb_streams_total"] = len(data.get("streams") or [])
    return out


def _short_tags(tags) -> dict:
    if not isinstance(tags, dict):
        return {}
    out = {}
    for key, value in tags.items():
        if isinstance(value, str | int | float) and len(str(key)) <= 64 and len(str(value)) <= 200:
            out[str(key)] = value
        if len(out) >= 16:
            break
    return out


def as_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def as_float(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _rate(value) -> float | None:
    try:
        num, _, den = str(value).partition("/")
        rate = float(num) / float(den or 1)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return round(rate, 6) if math.isfinite(rate) and rate > 0 else None
