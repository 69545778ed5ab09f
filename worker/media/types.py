"""The pipeline's interface: its error (a readable reason), the limits it is given, what a probe
finds, and what processing wrote."""

from __future__ import annotations

from dataclasses import dataclass, replace


class MediaError(Exception):
    """A file that cannot become an asset; ``reason`` is one readable sentence, no traceback."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class MediaLimits:
    max_bytes: int
    max_pixels: int
    max_video_seconds: float


@dataclass(frozen=True)
class MediaInfo:
    kind: str  # "image" | "video"
    format_name: str  # ffprobe's, e.g. "image2", "png_pipe", "mov,mp4,m4a,3gp,3g2,mj2"
    codec: str  # of the (first) picture stream, e.g. "mjpeg", "h264"
    width: int  # as the browser shows it (EXIF orientation / rotation applied)
    height: int
    duration: float | None  # seconds; None for images
    fps: float | None
    frame_count: int | None
    pix_fmt: str
    has_audio: bool
    size_bytes: int
    mime_type: str
    raw: dict  # trimmed, JSON-serialisable ffprobe summary (+ "original" for processed videos)
    demuxer: str = ""  # the ffmpeg demuxer every later command on this file is forced to, e.g. "mov"


@dataclass(frozen=True)
class ProcessedMedia:
    info: MediaInfo
    files: dict


def fmt_size(size: int, limit: int) -> str:
    """'3.1 GB, over the 2.0 GB' (binary units, so a 2 GiB limit reads 2.0 GB), falling back to
    exact bytes when rounding would hide the excess."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if limit >= scale:
            a, b = f"{size / scale:.1f} {unit}", f"{limit / scale:.1f} {unit}"
            if a != b:
                return f"{a}, over the {b}"
            break
    return f"{size:,} bytes, over the {limit:,} byte"


def fmt_seconds(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text if text != "-0" else "0"


def check_duration(duration: float | None, limits: MediaLimits) -> None:
    if duration is not None and duration > limits.max_video_seconds:
        raise MediaError(
            f"the video is {fmt_seconds(duration)} s long, over the {fmt_seconds(limits.max_video_seconds)} s limit"
        )


def replace_info(info: MediaInfo, **changes) -> MediaInfo:
    return replace(info, **changes)
