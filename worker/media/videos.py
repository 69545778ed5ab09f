"""Videos: decode every frame (timestamps), the browser copy ``display.mp4`` (stream copy when
already compatible, else H.264/AAC with moov before mdat), the poster, and the frames the
VisionReward video model reads (``select_model_frames``)."""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

import ffmpeg
from PIL import Image

from .commands import (
    BASE_TIMEOUT_S,
    PROBE_TIMEOUT_S,
    SECONDS_PER_MEDIA_SECOND,
    media_input,
    run_ffmpeg,
    run_ffprobe,
    stderr_reason,
)
from .images import save_thumbnail
from .probe import as_float, probe
from .types import MediaError, MediaInfo, MediaLimits, ProcessedMedia, check_duration, replace_info

POSTER_MAX_WIDTH = 1280


POSTER_AT = 0.10  # fraction of the duration


X264_PRESET = "veryfast"


X264_CRF = 20


AUDIO_BITRATE = "128k"


def moov_before_mdat(path) -> bool:
    """True when an MP4/MOV file's top-level ``moov`` box comes before its first ``mdat``
    (what ``-movflags +faststart`` produces and browsers need to start playing at once)."""
    with open(path, "rb") as f:
        total = os.fstat(f.fileno()).st_size
        pos = 0
        while pos + 8 <= total:
            f.seek(pos)
            header = f.read(16)
            size, box = struct.unpack(">I4s", header[:8])
            if size == 1 and len(header) == 16:
                size = struct.unpack(">Q", header[8:16])[0]
            elif size == 0:
                size = total - pos
            if box == b"moov":
                return True
            if box == b"mdat" or size < 8:
                return False
            pos += size
    return False


def select_model_frames(timestamps: list[float], max_frames: int = 24) -> list[tuple[int, float, int]]:
    """The VisionReward reference's frame choice: ``(frame index, timestamp, second)`` for each
    ``second in range(round(max(timestamps)) + 1)`` — the first frame whose timestamp is closest
    to that second — stopping after ``max_frames`` picks (so the first ``max_frames`` seconds)."""
    if not timestamps or max_frames <= 0:
        return []
    picks: list[tuple[int, float, int]] = []
    for second in range(round(max(timestamps)) + 1):
        index = min(range(len(timestamps)), key=lambda i: abs(timestamps[i] - second))
        picks.append((index, timestamps[index], second))
        if len(picks) >= max_frames:
            break
    return picks


def _video_timeout(duration: float | None, limits: MediaLimits, override: float | None) -> float:
    if override:
        return override
    seconds = duration if duration is not None else limits.max_video_seconds
    return BASE_TIMEOUT_S + SECONDS_PER_MEDIA_SECOND * max(seconds, 0.0)


def process_video(src: Path, work: Path, info: MediaInfo, limits, thumbnail_size: int, max_frames: int, override):
    timeout = _video_timeout(info.duration, limits, override)
    timestamps = _decode_video(src, info.demuxer, timeout)
    if info.duration is None:  # e.g. a raw stream: measure what was decoded
        step = 1.0 / info.fps if info.fps else 0.0
        check_duration(max(timestamps) + step, limits)

    original = f"original.{info.raw.get('ext') or 'bin'}"
    shutil.copyfile(src, work / original)

    display = work / "display.mp4"
    transcoded = _make_display(src, display, info, timeout)
    if not moov_before_mdat(display):
        raise RuntimeError("display.mp4 was written without its moov box first")
    shown = probe(display, timeout_s=override or PROBE_TIMEOUT_S)

    poster = work / "poster.jpg"
    _make_poster(display, shown.demuxer, poster, shown.duration, timeout)
    with Image.open(poster) as im:
        save_thumbnail(im, work / "thumbnail.jpg", thumbnail_size)

    picks = select_model_frames(timestamps, max_frames)
    frames = _extract_frames(src, info.demuxer, work, picks, info.fps, timeout)

    raw = {**shown.raw, "original": info.raw, "decoded_frames": len(timestamps)}
    files = {
        "original": original,
        "display": "display.mp4",
        "poster": "poster.jpg",
        "thumbnail": "thumbnail.jpg",
        "frames": frames,
        "transcoded": transcoded,
    }
    return ProcessedMedia(info=replace_info(shown, raw=raw), files=files)


def _decode_video(src: Path, demuxer: str, timeout: float) -> list[float]:
    """Decode every frame of the first picture stream (the corruption check) and return their
    timestamps in seconds, relative to the first frame."""
    entries = "frame=best_effort_timestamp_time,pts_time,pkt_dts_time"
    try:
        data, err = run_ffprobe(src, timeout, "-select_streams", "v:0", "-show_entries", entries, demuxer=demuxer)
    except ffmpeg.Error as exc:
        raise MediaError(f"the video is truncated or corrupt (ffmpeg: {stderr_reason(exc.stderr, src)})")
    if err.strip():
        raise MediaError(f"the video is truncated or corrupt (ffmpeg: {stderr_reason(err, src)})")
    frames = data.get("frames") or []
    if not frames:
        raise MediaError("the video has no decodable frames")
    raw_times = []
    for frame in frames:
        for key in ("best_effort_timestamp_time", "pts_time", "pkt_dts_time"):
            value = as_float(frame.get(key))
            if value is not None:
                raw_times.append(value)
                break
        else:
            raw_times.append(None)
    known = [t for t in raw_times if t is not None]
    if len(known) != len(raw_times):
        raise MediaError("the video's frames carry no timestamps")
    start = min(known)
    return [round(t - start, 6) for t in known]


def _browser_safe_picture(info: MediaInfo) -> bool:
    names = info.format_name.split(",")
    stored_w, stored_h = (
        (info.height, info.width) if info.raw.get("rotation", 0) % 180 == 90 else (info.width, info.height)
    )
    return (
        ("mp4" in names or "mov" in names)
        and info.codec == "h264"
        and info.pix_fmt == "yuv420p"
        and stored_w % 2 == 0
        and stored_h % 2 == 0
    )


def _audio_codec(info: MediaInfo) -> str | None:
    for stream in info.raw.get("streams", []):
        if stream.get("codec_type") == "audio":
            return str(stream.get("codec_name") or "")
    return None


def _make_display(src: Path, display: Path, info: MediaInfo, timeout: float) -> bool:
    """Write display.mp4; returns True when the picture was re-encoded."""
    inp = media_input(src, info.demuxer)
    audio_opts = {}
    streams = []
    if info.has_audio:
        streams.append(inp["a:0"])
        audio_opts = {"c:a": "aac", "b:a": AUDIO_BITRATE, "ac": 2}
    if _browser_safe_picture(info):
        if info.has_audio and _audio_codec(info) == "aac":
            audio_opts = {"c:a": "copy"}
        out = ffmpeg.output(
            inp["v:0"], *streams, str(display), f="mp4", movflags="+faststart", **{"c:v": "copy"}, **audio_opts
        )
        try:
            run_ffmpeg(out, timeout)
            return False
        except ffmpeg.Error:
            display.unlink(missing_ok=True)  # e.g. broken timestamps: re-encoding will fix them
    picture = inp["v:0"].filter("scale", "max(2,trunc(iw/2)*2)", "max(2,trunc(ih/2)*2)").filter("format", "yuv420p")
    out = ffmpeg.output(
        picture,
        *streams,
        str(display),
        f="mp4",
        movflags="+faststart",
        fps_mode="vfr",
        preset=X264_PRESET,
        crf=X264_CRF,
        pix_fmt="yuv420p",
        **{"c:v": "libx264"},
        **audio_opts,
    )
    try:
        run_ffmpeg(out, timeout)
    except ffmpeg.Error as exc:
        raise MediaError(
            f"the video could not be converted for the browser (ffmpeg: {stderr_reason(exc.stderr, src, display)})"
        )
    return True


def _make_poster(display: Path, demuxer: str, poster: Path, duration: float | None, timeout: float) -> None:
    for at in (round((duration or 0.0) * POSTER_AT, 3), 0.0):
        stream = media_input(display, demuxer, ss=at).video.filter("scale", f"min({POSTER_MAX_WIDTH},iw)", -2)
        try:
            run_ffmpeg(ffmpeg.output(stream, str(poster), vframes=1, **{"q:v": 2}), timeout)
        except ffmpeg.Error:
            poster.unlink(missing_ok=True)
            continue
        if poster.is_file() and poster.stat().st_size:
            return
    raise MediaError("could not take a poster frame from the video")


def _extract_frames(src: Path, demuxer: str, work: Path, picks, fps: float | None, timeout: float) -> list[dict]:
    if not picks:
        return []
    folder = work / "frames"
    folder.mkdir()
    unique = sorted({index for index, _, _ in picks})
    expr = "+".join(f"eq(n,{index})" for index in unique)
    # Decode only as far as the last pick (plus a margin); the frame numbers count from the start.
    read_for = max(time for _, time, _ in picks) + 2.0 + (2.0 / fps if fps else 1.0)
    stream = media_input(src, demuxer, t=round(read_for, 3)).video.filter("select", expr)
    pattern = folder / "_u%04d.jpg"
    out = ffmpeg.output(stream, str(pattern), fps_mode="passthrough", start_number=0, **{"q:v": 2})
    try:
        run_ffmpeg(out, timeout)
    except ffmpeg.Error as exc:
        raise MediaError(f"could not extract the model frames (ffmpeg: {stderr_reason(exc.stderr, src)})")
    made = sorted(folder.glob("_u*.jpg"))
    if len(made) != len(unique):
        raise MediaError(f"could not extract the model frames ({len(made)} of {len(unique)} decoded)")
    by_index = dict(zip(unique, made, strict=True))
    frames = []
    for number, (index, time, second) in enumerate(picks):
        name = f"frames/{number:03d}.jpg"
        shutil.copyfile(by_index[index], work / name)
        frames.append({"file": name, "index": index, "time": time, "second": second})
    for path in made:
        path.unlink()
    return frames
