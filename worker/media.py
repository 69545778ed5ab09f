"""Probing and processing one media file with ffmpeg (through ffmpeg-python) and Pillow.

Plain functions over files: no models, no database, no Django settings (limits are passed in).

``probe(path)`` describes a file (``MediaInfo``); ``process_media(src, out_dir, limits=...)``
checks it against the limits, decodes it fully, and writes what the platform serves::

    out_dir/original.<ext>     the file as uploaded (byte for byte; ``src`` itself is never touched)
    out_dir/display.*          what the browser shows: the original image when the browser can show
                               it (jpeg, png, webp, gif), else ``display.png``; for videos always
                               ``display.mp4`` (H.264 yuv420p, moov before mdat, AAC audio)
    out_dir/poster.jpg         videos: the frame 10 % in, at most 1280 px wide
    out_dir/thumbnail.jpg      fits in thumbnail_size x thumbnail_size, aspect kept, never enlarged
    out_dir/frames/NNN.jpg     videos: the frames the VisionReward video model reads (see below)

``ProcessedMedia.files`` names them relative to out_dir: ``original``, ``display``, ``poster``
(None for images), ``thumbnail``, ``frames`` (a list of ``{"file", "index", "time", "second"}``:
the frame's number in decode order, its timestamp in seconds from the first frame, and the whole
second it stands for; ``[]`` for images) and ``transcoded``. For videos ``ProcessedMedia.info``
describes display.mp4 (so ``mime_type`` is ``video/mp4``), with the original's probe summary in
``info.raw["original"]``; for images it describes the original.

Decisions, documented once here:

* **Image or video.** A still-image decoder (mjpeg, png, webp, bmp, tiff, gif, ...) in an image
  container (``image2``, ``*_pipe``, ``gif``, ``apng``) is an image. Animated GIF and APNG (more
  than one frame, counted with ffprobe ``-count_packets``) are videos: they get a display.mp4 and
  model frames like any video. Animated WebP is refused with a readable reason because the
  ffmpeg this project runs on (5.1) cannot decode it. A single-frame GIF/APNG is an image. Every
  other container (mp4, mov, webm, mkv, avi, ...) is a video, even with a single frame.
* **Dimensions are what the browser shows.** For images the EXIF orientation is applied (a
  portrait photo stored landscape with orientation 6 reports width < height); for videos a
  rotation in the display matrix swaps width and height. ``raw`` keeps the stored values and
  the ``orientation`` / ``rotation``. Thumbnails, posters, display PNGs and model frames are all
  upright (Pillow's ``exif_transpose``, ffmpeg's autorotate).
* **Model frames** follow the VisionReward reference (``inference-video.py`` of THUDM/VisionReward,
  ``load_video(strategy='chat')``): decord lists every frame's timestamp; for
  ``second in range(round(max(timestamps)) + 1)`` it takes the first frame whose timestamp is
  closest to ``second``, and stops after 24. So the cap keeps the **first** 24 seconds (not
  evenly spaced), the last second is ``round(last frame's timestamp)`` (Python's round: halves
  go to even), and the same frame may be picked twice when the video has under 1 fps; each pick
  gets its own file. Timestamps are the decoded frames' ``best_effort_timestamp_time`` from
  ffprobe ``-show_frames`` (falling back to ``pts_time``/``pkt_dts_time``), made relative to
  the first frame, never derived from an assumed constant fps. (So a 3.0 s clip at 10 fps, last
  frame at 2.9 s, gets 4 frames — seconds 0..3 — where "whole seconds < duration" would give 3.)
  Frames are taken from the original (what the reference decodes) at full resolution; see
  ``select_model_frames``.
* **Display video.** H.264 + yuv420p with even dimensions in mp4/mov (audio absent or AAC) is
  stream-copied into ``display.mp4`` with ``-movflags +faststart`` (``transcoded`` False);
  a compatible picture with other audio keeps the picture and re-encodes only the audio to AAC
  (still ``transcoded`` False: ``transcoded`` says whether the *picture* was re-encoded). Anything
  else is re-encoded: libx264 ``-preset veryfast -crf 20``, yuv420p, dimensions rounded down to
  even, AAC 128 kb/s stereo, variable frame rate kept. The atom order of the result is checked by
  reading the top-level boxes (``moov_before_mdat``). For images ``transcoded`` is True when a
  ``display.png`` had to be made.
* **Decode check.** Images: Pillow ``verify()`` then ``load()`` (which catches truncation);
  images Pillow cannot identify (e.g. PAM, JPEG XL) are decoded to PNG by ffmpeg, whose ``-v
  error`` output counts as corruption. Videos: every frame of the first picture stream is decoded
  (ffprobe ``-show_frames``, which also yields the timestamps); any ``-v error`` output or no
  decoded frame means "the video is truncated or corrupt".
* **Timeouts.** ffmpeg-python's ``run`` and ``probe`` wait forever, so ffmpeg graphs are built
  with ffmpeg-python and ``.compile()``-d, ffprobe gets ``ffmpeg.probe``'s arguments, and both are
  run by ``_run`` in their own process group, killed (with any children) when they overrun:
  ``PROBE_TIMEOUT_S`` for probes, and ``BASE_TIMEOUT_S + SECONDS_PER_MEDIA_SECOND x duration``
  for commands that decode or encode a video (a 600 s video gets 2520 s per command).
  ``process_media(..., timeout_s=...)`` overrides the per-command limit.
* **Only what is in the file.** An uploaded file may be hostile, so ffprobe and ffmpeg never
  follow a reference out of it. Every invocation reads its input as ``file:<absolute path>``
  with ``-protocol_whitelist file`` (no http, data:, subfile, concat: ... protocols). The first
  probe runs with ``-format_whitelist`` of the real media containers and single-image readers
  (``MEDIA_DEMUXERS``); playlists and other reference formats (hls, dash, concat/ffconcat, sdp,
  imf, ...) are refused by ffmpeg itself before they open anything, and the import fails that
  file with "the file is a playlist (hls) that refers to other files". Every later command on the
  file forces the demuxer the probe found (``-f NAME``, whitelisted to that one name). Every read
  has ``-pattern_type none`` for image2 (the name is the file, no ``%d`` / glob expansion) and
  ``-enable_drefs 0`` for mov (no external data references). Pillow opens only the raster formats in ``PIL_FORMATS``
  (so never EPS, which runs Ghostscript).
* **Raster images only.** SVG (and any markup: XML, HTML) is refused, whatever the file's name
  says: an SVG can carry script, and an original is served back to the platform's users. The
  first bytes are checked for markup, and ffprobe's ``svg`` codec / ``svg_pipe`` demuxer are
  refused too: "SVG images are not accepted: an SVG can carry script; convert it to PNG first".
* **Atomic output.** Everything is built in a hidden sibling of ``out_dir`` and renamed into
  place on success; on any failure the sibling is removed and the error re-raised. The parent
  folder is created when missing (and left in place).
"""

from __future__ import annotations

import json
import math
import mimetypes
import os
import re
import shutil
import signal
import struct
import subprocess
import uuid
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import ffmpeg
from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = [
    "MediaError",
    "MediaInfo",
    "MediaLimits",
    "ProcessedMedia",
    "markup_kind",
    "moov_before_mdat",
    "probe",
    "process_media",
    "select_model_frames",
]

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"

PROBE_TIMEOUT_S = 60.0
BASE_TIMEOUT_S = 120.0
SECONDS_PER_MEDIA_SECOND = 4.0

POSTER_MAX_WIDTH = 1280
POSTER_AT = 0.10  # fraction of the duration
JPEG_QUALITY = 90
X264_PRESET = "veryfast"
X264_CRF = 20
AUDIO_BITRATE = "128k"

# Decoders of still images, and the containers ffmpeg reads single images with.
IMAGE_CODECS = frozenset(
    {
        "mjpeg",
        "jpegls",
        "png",
        "apng",
        "webp",
        "bmp",
        "tiff",
        "gif",
        "jpeg2000",
        "jpegxl",
        "qoi",
        "ppm",
        "pgm",
        "pgmyuv",
        "pbm",
        "pam",
        "pfm",
        "phm",
        "sgi",
        "targa",
        "dds",
        "psd",
        "xbm",
        "xpm",
        "xwd",
        "sunrast",
        "pcx",
        "photocd",
        "exr",
        "hdr",
        "pictor",
        "pgx",
        "dpx",
        "vbn",
        "gem",
        "qdraw",
    }
)
ANIMATABLE_CONTAINERS = frozenset({"gif", "apng", "webp_pipe"})

# The demuxers an uploaded file may be read with (ffmpeg 5.1 names; "mov" stands for
# "mov,mp4,m4a,3gp,3g2,mj2" and "matroska" for "matroska,webm"): real media containers, raw
# video streams and single-image readers. None of them opens another file or URL (with
# ``-pattern_type none`` for image2 and ``-enable_drefs 0`` for mov, set on every read).
IMAGE_PIPE_DEMUXERS = (
    "bmp_pipe",
    "cri_pipe",
    "dds_pipe",
    "dpx_pipe",
    "exr_pipe",
    "gem_pipe",
    "gif_pipe",
    "j2k_pipe",
    "jpeg_pipe",
    "jpegls_pipe",
    "jpegxl_pipe",
    "pam_pipe",
    "pbm_pipe",
    "pcx_pipe",
    "pfm_pipe",
    "pgm_pipe",
    "pgmyuv_pipe",
    "pgx_pipe",
    "phm_pipe",
    "photocd_pipe",
    "pictor_pipe",
    "png_pipe",
    "ppm_pipe",
    "psd_pipe",
    "qdraw_pipe",
    "qoi_pipe",
    "sgi_pipe",
    "sunrast_pipe",
    "tiff_pipe",
    "vbn_pipe",
    "webp_pipe",
    "xbm_pipe",
    "xpm_pipe",
    "xwd_pipe",
)
MEDIA_DEMUXERS = (
    "mov",
    "matroska",
    "avi",
    "flv",
    "mpegts",
    "mpeg",
    "mpegvideo",
    "ogg",
    "asf",
    "nut",
    "ivf",
    "mxf",
    "yuv4mpegpipe",
    "h264",
    "hevc",
    "m4v",
    "mjpeg",
    "gif",
    "apng",
    "image2",
    *IMAGE_PIPE_DEMUXERS,
)
# Formats whose files only list other files or URLs: refused with their own reason.
PLAYLIST_DEMUXERS = frozenset({"hls", "applehttp", "dash", "concat", "sdp", "rtsp", "rtp", "imf"})
# What Pillow may open (its plugin names); everything else goes to ffmpeg or is refused.
PIL_FORMATS = (
    "JPEG",
    "PNG",
    "WEBP",
    "GIF",
    "BMP",
    "DIB",
    "TIFF",
    "JPEG2000",
    "PPM",
    "QOI",
    "SGI",
    "TGA",
    "PCX",
    "SUN",
    "DDS",
    "PSD",
    "XBM",
    "XPM",
)
SVG_REFUSED = "SVG images are not accepted: an SVG can carry script; convert it to PNG first"
MARKUP_REFUSED = "the file is {what}, not an image or a video"
BROWSER_IMAGE_EXTS = frozenset({"jpg", "png", "webp", "gif"})

_IMAGE_EXT = {
    "mjpeg": "jpg",
    "jpegls": "jls",
    "png": "png",
    "apng": "png",
    "webp": "webp",
    "bmp": "bmp",
    "tiff": "tiff",
    "gif": "gif",
    "jpeg2000": "jp2",
    "jpegxl": "jxl",
    "targa": "tga",
    "sunrast": "ras",
}
_CONTAINER_EXT = {
    "avi": "avi",
    "gif": "gif",
    "apng": "png",
    "flv": "flv",
    "mpegts": "ts",
    "mpeg": "mpg",
    "ogg": "ogv",
    "asf": "wmv",
    "yuv4mpegpipe": "y4m",
    "m4v": "m4v",
    "h264": "h264",
    "hevc": "hevc",
    "ivf": "ivf",
    "nut": "nut",
    "mxf": "mxf",
}
_MIME = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "tiff": "image/tiff",
    "jp2": "image/jp2",
    "jxl": "image/jxl",
    "qoi": "image/qoi",
    "exr": "image/x-exr",
    "mp4": "video/mp4",
    "m4v": "video/x-m4v",
    "mov": "video/quicktime",
    "3gp": "video/3gpp",
    "3g2": "video/3gpp2",
    "webm": "video/webm",
    "mkv": "video/x-matroska",
    "avi": "video/x-msvideo",
    "flv": "video/x-flv",
    "ts": "video/mp2t",
    "mpg": "video/mpeg",
    "ogv": "video/ogg",
    "wmv": "video/x-ms-wmv",
    "y4m": "video/x-yuv4mpeg",
}
_WEBM_CODECS = frozenset({"vp8", "vp9", "av1", "opus", "vorbis", "webvtt"})


# --------------------------------------------------------------------------- the interface


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


# --------------------------------------------------------------------------- running commands


_LOG_PREFIX = re.compile(r"^\[[^\]]*@ ?0x[0-9a-fA-F]+\]\s*")
_NOISE = ("conversion failed", "last message repeated")


def _stderr_reason(stderr: str | bytes, *paths) -> str:
    """The last meaningful line of ffmpeg/ffprobe's stderr, without log prefixes or file names."""
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", "replace")
    found = ""
    spellings = [(name, Path(path).name) for path in paths for name in (_url(path), str(path))]
    for line in stderr.splitlines():
        line = _LOG_PREFIX.sub("", line.strip())
        for name, short in spellings:
            line = line.replace(f"{name}: ", "").replace(name, short)
        line = line.strip().rstrip(".")
        if line and not line.lower().startswith(_NOISE):
            found = line
    if len(found) > 160:
        found = found[:157] + "..."
    return found


def _run(args: list[str], timeout: float) -> tuple[bytes, str]:
    """Run a command; kill its whole process group when it overruns ``timeout`` seconds.

    Returns (stdout, stderr); raises ``ffmpeg.Error`` on a non-zero exit and ``MediaError`` on a
    timeout. A missing ffmpeg is the worker's problem, not the file's: it stays a ``RuntimeError``.
    """
    try:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError:
        raise RuntimeError(f"{args[0]} is not installed on this worker")
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        raise MediaError(
            f"{Path(args[0]).name} took longer than {_fmt_seconds(timeout)} s on this file and was stopped"
        )
    except BaseException:
        _kill(proc)
        raise
    if proc.returncode != 0:
        raise ffmpeg.Error(Path(args[0]).name, out, err)
    return out, err.decode("utf-8", "replace")


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.communicate()


def _url(path) -> str:
    """How a local file is named to ffmpeg: ``file:`` and an absolute path, so that no part of it
    can be read as another protocol (``http:``, ``concat:``, ``subfile,,...``) or as an option."""
    return "file:" + os.path.abspath(path)


def _input_options(demuxer: str | None) -> dict[str, str]:
    """The input options of every ffprobe/ffmpeg read of a file: the ``file`` protocol only, and
    either the whitelist of real media demuxers (the first probe) or the one demuxer it found."""
    if not demuxer:  # ffprobe ignores the private options of demuxers it does not use
        return {
            "protocol_whitelist": "file",
            "format_whitelist": ",".join(MEDIA_DEMUXERS),
            "pattern_type": "none",
            "enable_drefs": "0",
        }
    options = {"f": demuxer, "protocol_whitelist": "file", "format_whitelist": demuxer}
    if demuxer == "image2":
        options["pattern_type"] = "none"
    elif demuxer == "mov":
        options["enable_drefs"] = "0"
    return options


def _media_input(path, demuxer: str, **kwargs):
    """``ffmpeg.input`` of one file, read only with its own demuxer (see ``_input_options``)."""
    if not demuxer:
        raise ValueError("a file must be probed (its demuxer known) before ffmpeg reads it")
    return ffmpeg.input(_url(path), **_input_options(demuxer), **kwargs)


def _ffmpeg(stream, timeout: float) -> str:
    """Run an ffmpeg-python graph (``-v error``, no stdin, never overwriting); returns stderr."""
    args = stream.compile(cmd=FFMPEG)
    _, err = _run([args[0], "-nostdin", "-hide_banner", "-v", "error", "-n", *args[1:]], timeout)
    return err


def _ffprobe(path: Path, timeout: float, *extra: str, demuxer: str | None = None) -> tuple[dict, str]:
    options = [arg for key, value in _input_options(demuxer).items() for arg in (f"-{key}", value)]
    args = [FFPROBE, "-hide_banner", "-v", "error", *options, *extra, "-of", "json", _url(path)]
    out, err = _run(args, timeout)
    try:
        return json.loads(out.decode("utf-8", "replace") or "{}"), err
    except ValueError:
        raise MediaError("ffprobe gave an unreadable answer for this file")


# --------------------------------------------------------------------------- probing


def probe(path, *, timeout_s: float = PROBE_TIMEOUT_S) -> MediaInfo:
    """Describe one file; raises ``MediaError`` for a missing, empty, unreadable or non-media file."""
    path = Path(path)
    size = _checked_size(path)
    markup = markup_kind(_head(path))
    if markup:
        raise MediaError(_markup_reason(markup))
    try:
        data, err = _ffprobe(path, timeout_s, "-show_format", "-show_streams")
    except ffmpeg.Error as exc:
        raise MediaError(_unreadable_reason(exc.stderr, path))
    fmt = data.get("format") or {}
    format_name = str(fmt.get("format_name") or "")
    demuxer = format_name.split(",")[0]
    if demuxer not in MEDIA_DEMUXERS:  # ffprobe enforces the whitelist; this is the second lock
        raise MediaError(refused_format_reason(demuxer))
    streams = data.get("streams") or []
    pictures = [s for s in streams if s.get("codec_type") == "video" and not _disposition(s, "attached_pic")]
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    if not pictures:
        if audio:
            raise MediaError("the video has no video stream (the file holds only audio)")
        raise MediaError("the video has no video stream")
    stream = pictures[0]
    codec = str(stream.get("codec_name") or "")
    if codec == "svg":  # e.g. a gzipped SVG (.svgz) read by image2
        raise MediaError(SVG_REFUSED)
    width, height = _int(stream.get("width")), _int(stream.get("height"))
    image_container = format_name == "image2" or format_name.endswith("_pipe") or format_name in ANIMATABLE_CONTAINERS
    if codec == "webp" and image_container and _animated_webp(path):
        raise MediaError("animated WebP is not supported (convert it to MP4 or GIF)")
    if not width or not height:
        detail = _stderr_reason(err, path) or "no picture size"
        if codec in IMAGE_CODECS and _pillow_recognises(path):  # a real header, broken data after it
            raise MediaError(f"the image is truncated or corrupt (ffprobe: {detail})")
        raise MediaError(f"not an image or a video (ffprobe: {detail})")

    frames = _int(stream.get("nb_frames"))
    if image_container and format_name in ANIMATABLE_CONTAINERS:
        frames = _count_frames(path, timeout_s, demuxer) or frames
        stream = {**stream, "nb_read_packets": str(frames)} if frames else stream
    kind = "image" if image_container and codec in IMAGE_CODECS and (frames or 1) <= 1 else "video"

    raw = _summary(data, stream)
    ext = _extension(kind, format_name, codec, fmt, streams, path)
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
            mime_type=_mime(ext),
            raw=raw,
            demuxer=demuxer,
        )

    rotation = _rotation(stream)
    raw["rotation"] = rotation
    if rotation % 180 == 90:
        width, height = height, width
    duration = _float(fmt.get("duration")) or _float(stream.get("duration"))
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
        mime_type=_mime(ext),
        raw=raw,
        demuxer=demuxer,
    )


def _checked_size(path: Path) -> int:
    if not path.is_file():
        raise MediaError("the file does not exist" if not path.exists() else "not a file")
    size = path.stat().st_size
    if size == 0:
        raise MediaError("the file is empty")
    return size


_NOT_ON_WHITELIST = re.compile(r"^\[([\w,.-]+) @ ?0x[0-9a-fA-F]+\]\s*Format not on whitelist", re.MULTILINE)


def _unreadable_reason(stderr, path: Path) -> str:
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else str(stderr or "")
    refused = _NOT_ON_WHITELIST.search(text)
    if refused:
        return refused_format_reason(refused.group(1).split(",")[0])
    if "Format not on whitelist" in text:
        return refused_format_reason("")
    if "moov atom not found" in text:
        return "the video is truncated or corrupt (moov atom not found)"
    detail = _stderr_reason(text, path) or "unknown format"
    return f"not an image or a video (ffprobe: {detail})"


def refused_format_reason(demuxer: str) -> str:
    """Why a file ffmpeg recognised as ``demuxer`` (not one of ``MEDIA_DEMUXERS``) is refused."""
    if demuxer in PLAYLIST_DEMUXERS:
        return f"the file is a playlist ({demuxer}) that refers to other files; upload the media itself"
    if demuxer == "svg_pipe":
        return SVG_REFUSED
    if demuxer:
        return f"not an image or a video (the {demuxer} format is not accepted)"
    return "not an image or a video (its format is not accepted)"


_MARKUP_HEAD_BYTES = 4096
_BOMS = (("utf-8-sig", b"\xef\xbb\xbf"), ("utf-16", b"\xff\xfe"), ("utf-16", b"\xfe\xff"))


def _head(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(_MARKUP_HEAD_BYTES)


def markup_kind(head: bytes) -> str | None:
    """``"svg"``, ``"html"``, ``"dash"`` or ``"xml"`` when a file's first bytes are markup (a
    document a browser may run, or a manifest that lists other files), else None. No raster image
    or video container starts with ``<``; text encodings with a byte order mark are read too."""
    for encoding, bom in _BOMS:
        if head.startswith(bom):
            text = head.decode(encoding, "ignore")
            break
    else:
        text = head.decode("latin-1")
    text = text.lstrip("\ufeff \t\r\n\f\v\x00").lower()
    if not text.startswith("<"):
        return None
    if "<svg" in text:
        return "svg"
    if "<mpd" in text:
        return "dash"
    if any(tag in text for tag in ("<!doctype html", "<html", "<head", "<body", "<script", "<iframe")):
        return "html"
    return "xml"


def _markup_reason(kind: str) -> str:
    if kind == "svg":
        return SVG_REFUSED
    if kind == "dash":
        return refused_format_reason("dash")
    return MARKUP_REFUSED.format(what="an HTML document" if kind == "html" else "an XML document")


def _open_image(path) -> Image.Image:
    """Pillow's ``Image.open`` limited to the raster formats in ``PIL_FORMATS``."""
    return Image.open(path, formats=PIL_FORMATS)


def _count_frames(path: Path, timeout: float, demuxer: str) -> int | None:
    """Frames of an animatable image container (GIF, APNG, WebP), by counting packets (no decode)."""
    try:
        data, _ = _ffprobe(
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
    return _int(streams[0].get("nb_read_packets"))


def _animated_webp(path: Path) -> bool:
    try:
        with _open_image(path) as im:
            return bool(getattr(im, "is_animated", False))
    except Exception:
        return False


def _pillow_recognises(path: Path) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with _open_image(path):
                return True
    except Exception:
        return False


def _exif_orientation(path: Path) -> int:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with _open_image(path) as im:
                value = int(im.getexif().get(0x0112, 1))
    except Exception:
        return 1
    return value if 1 <= value <= 8 else 1


def _rotation(stream: dict) -> int:
    """Clockwise-or-not doesn't matter here: only whether the browser swaps width and height."""
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            return int(round(_float(side.get("rotation")) or 0)) % 360
    return int(round(_float((stream.get("tags") or {}).get("rotate")) or 0)) % 360


def _disposition(stream: dict, key: str) -> bool:
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


def _extension(kind: str, format_name: str, codec: str, fmt: dict, streams: list, path: Path) -> str:
    """A normalised lower-case extension from the detected format (never trusting the name alone)."""
    names = format_name.split(",")
    suffix = path.suffix.lower().lstrip(".")
    if kind == "image" or format_name == "image2" or format_name.endswith("_pipe"):
        return _IMAGE_EXT.get(codec) or _safe_ext(codec) or "bin"
    if "mp4" in names or "mov" in names:
        brand = str((fmt.get("tags") or {}).get("major_brand") or "").strip().lower()
        if brand == "qt":
            return "mov"
        if brand.startswith("3g2"):
            return "3g2"
        if brand.startswith("3gp"):
            return "3gp"
        return "m4v" if suffix == "m4v" else "mp4"
    if "matroska" in names or "webm" in names:
        codecs = {
            str(s.get("codec_name") or "") for s in streams if s.get("codec_type") in ("video", "audio", "subtitle")
        }
        return "webm" if suffix == "webm" or codecs <= _WEBM_CODECS else "mkv"
    return _CONTAINER_EXT.get(names[0]) or _safe_ext(names[0]) or "bin"


def _safe_ext(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())[:10]


def _mime(ext: str) -> str:
    return _MIME.get(ext) or mimetypes.guess_type(f"x.{ext}")[0] or "application/octet-stream"


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float(value) -> float | None:
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


# --------------------------------------------------------------------------- helpers worth testing


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


# --------------------------------------------------------------------------- processing


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

    size = _checked_size(src)
    if size > limits.max_bytes:
        raise MediaError(f"the file is {_fmt_size(size, limits.max_bytes)} limit")

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
            result = _process_image(src, work, info, limits, thumbnail_size, timeout_s or BASE_TIMEOUT_S)
        else:
            _check_duration(info.duration, limits)
            result = _process_video(src, work, info, limits, thumbnail_size, max_frames, timeout_s)
        if out_dir.exists() or out_dir.is_symlink():
            raise MediaError(f"the output folder {out_dir.name} already exists")
        os.rename(work, out_dir)
        return result
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _check_duration(duration: float | None, limits: MediaLimits) -> None:
    if duration is not None and duration > limits.max_video_seconds:
        raise MediaError(
            f"the video is {_fmt_seconds(duration)} s long, over the {_fmt_seconds(limits.max_video_seconds)} s limit"
        )


def _article(kind: str) -> str:
    return f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}"


# ----- images


def _process_image(src: Path, work: Path, info: MediaInfo, limits, thumbnail_size: int, timeout: float):
    ext = info.raw.get("ext") or "bin"
    original = f"original.{ext}"
    transcoded = False
    decoded = _decode_image(src, work, info, timeout)
    try:
        shutil.copyfile(src, work / original)
        display = original
        upright = ImageOps.exif_transpose(decoded)
        if ext not in BROWSER_IMAGE_EXTS:
            display = "display.png"
            _png_ready(upright).save(work / display, format="PNG")
            transcoded = True
        _save_thumbnail(upright, work / "thumbnail.jpg", thumbnail_size)
        width, height = upright.size
    finally:
        decoded.close()
    raw = {**info.raw, "decoded_size": [width, height]}
    if (width, height) != (info.width, info.height):  # Pillow is what drew the display and thumbnail
        info = _replace(info, width=width, height=height)
    info = _replace(info, raw=raw)
    files = {
        "original": original,
        "display": display,
        "poster": None,
        "thumbnail": "thumbnail.jpg",
        "frames": [],
        "transcoded": transcoded,
    }
    return ProcessedMedia(info=info, files=files)


def _decode_image(src: Path, work: Path, info: MediaInfo, timeout: float) -> Image.Image:
    """Pillow ``verify()`` then ``load()``; images Pillow cannot read are decoded by ffmpeg."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with _open_image(src) as im:
                im.verify()
            im = _open_image(src)
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
        err = _ffmpeg(_media_input(src, info.demuxer).output(str(target), vframes=1), timeout)
    except ffmpeg.Error as exc:
        raise MediaError(f"the image is truncated or corrupt (ffmpeg: {_stderr_reason(exc.stderr, src, target)})")
    if err.strip() or not target.is_file():
        detail = _stderr_reason(err, src, target) or "no picture decoded"
        raise MediaError(f"the image is truncated or corrupt (ffmpeg: {detail})")
    im = Image.open(target)
    im.load()
    target.unlink()
    return im


def _png_ready(im: Image.Image) -> Image.Image:
    if im.mode in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16"):
        return im
    return im.convert("RGBA" if _has_alpha(im) else "RGB")


def _has_alpha(im: Image.Image) -> bool:
    return "A" in im.getbands() or "transparency" in im.info


def _save_thumbnail(im: Image.Image, path: Path, size: int) -> None:
    thumb = im.copy()
    thumb.thumbnail((size, size), Image.Resampling.LANCZOS)
    if _has_alpha(thumb):
        rgba = thumb.convert("RGBA")
        thumb = Image.new("RGB", rgba.size, (255, 255, 255))
        thumb.paste(rgba, mask=rgba.getchannel("A"))
    elif thumb.mode != "RGB":
        thumb = thumb.convert("RGB")
    thumb.save(path, format="JPEG", quality=JPEG_QUALITY)


def _replace(info: MediaInfo, **changes) -> MediaInfo:
    return replace(info, **changes)


# ----- videos


def _video_timeout(duration: float | None, limits: MediaLimits, override: float | None) -> float:
    if override:
        return override
    seconds = duration if duration is not None else limits.max_video_seconds
    return BASE_TIMEOUT_S + SECONDS_PER_MEDIA_SECOND * max(seconds, 0.0)


def _process_video(src: Path, work: Path, info: MediaInfo, limits, thumbnail_size: int, max_frames: int, override):
    timeout = _video_timeout(info.duration, limits, override)
    timestamps = _decode_video(src, info.demuxer, timeout)
    if info.duration is None:  # e.g. a raw stream: measure what was decoded
        step = 1.0 / info.fps if info.fps else 0.0
        _check_duration(max(timestamps) + step, limits)

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
        _save_thumbnail(im, work / "thumbnail.jpg", thumbnail_size)

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
    return ProcessedMedia(info=_replace(shown, raw=raw), files=files)


def _decode_video(src: Path, demuxer: str, timeout: float) -> list[float]:
    """Decode every frame of the first picture stream (the corruption check) and return their
    timestamps in seconds, relative to the first frame."""
    entries = "frame=best_effort_timestamp_time,pts_time,pkt_dts_time"
    try:
        data, err = _ffprobe(src, timeout, "-select_streams", "v:0", "-show_entries", entries, demuxer=demuxer)
    except ffmpeg.Error as exc:
        raise MediaError(f"the video is truncated or corrupt (ffmpeg: {_stderr_reason(exc.stderr, src)})")
    if err.strip():
        raise MediaError(f"the video is truncated or corrupt (ffmpeg: {_stderr_reason(err, src)})")
    frames = data.get("frames") or []
    if not frames:
        raise MediaError("the video has no decodable frames")
    raw_times = []
    for frame in frames:
        for key in ("best_effort_timestamp_time", "pts_time", "pkt_dts_time"):
            value = _float(frame.get(key))
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
    inp = _media_input(src, info.demuxer)
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
            _ffmpeg(out, timeout)
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
        _ffmpeg(out, timeout)
    except ffmpeg.Error as exc:
        raise MediaError(
            f"the video could not be converted for the browser (ffmpeg: {_stderr_reason(exc.stderr, src, display)})"
        )
    return True


def _make_poster(display: Path, demuxer: str, poster: Path, duration: float | None, timeout: float) -> None:
    for at in (round((duration or 0.0) * POSTER_AT, 3), 0.0):
        stream = _media_input(display, demuxer, ss=at).video.filter("scale", f"min({POSTER_MAX_WIDTH},iw)", -2)
        try:
            _ffmpeg(ffmpeg.output(stream, str(poster), vframes=1, **{"q:v": 2}), timeout)
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
    stream = _media_input(src, demuxer, t=round(read_for, 3)).video.filter("select", expr)
    pattern = folder / "_u%04d.jpg"
    out = ffmpeg.output(stream, str(pattern), fps_mode="passthrough", start_number=0, **{"q:v": 2})
    try:
        _ffmpeg(out, timeout)
    except ffmpeg.Error as exc:
        raise MediaError(f"could not extract the model frames (ffmpeg: {_stderr_reason(exc.stderr, src)})")
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


# --------------------------------------------------------------------------- wording


def _fmt_size(size: int, limit: int) -> str:
    """'3.1 GB, over the 2.0 GB' (binary units, so a 2 GiB limit reads 2.0 GB), falling back to
    exact bytes when rounding would hide the excess."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if limit >= scale:
            a, b = f"{size / scale:.1f} {unit}", f"{limit / scale:.1f} {unit}"
            if a != b:
                return f"{a}, over the {b}"
            break
    return f"{size:,} bytes, over the {limit:,} byte"


def _fmt_seconds(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text if text != "-0" else "0"
