"""What the pipeline accepts and how it names it: the image codecs and containers, the demuxers
ffmpeg may open (and the playlists it may not), the raster formats Pillow may open, markup
detection (SVG, HTML, XML are refused), and the extension and MIME type of a stored file."""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

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


def head_bytes(path: Path) -> bytes:
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


def markup_reason(kind: str) -> str:
    if kind == "svg":
        return SVG_REFUSED
    if kind == "dash":
        return refused_format_reason("dash")
    return MARKUP_REFUSED.format(what="an HTML document" if kind == "html" else "an XML document")


def extension_of(kind: str, format_name: str, codec: str, fmt: dict, streams: list, path: Path) -> str:
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


def mime_of(ext: str) -> str:
    return _MIME.get(ext) or mimetypes.guess_type(f"x.{ext}")[0] or "application/octet-stream"


# By name, what is surely an image or a video (the same list as the browser's upload queue,
# frontend/src/components/assets/uploadQueue.ts). Only a check before bytes are sent (a direct
# upload's name): the import reads the content, never trusting the name.
IMAGE_EXTENSIONS = frozenset(
    (
        "jpg jpeg jpe jfif png apng webp gif bmp tif tiff avif heic heif jxl jp2 qoi "
        "ppm pgm pbm pnm tga dds psd exr hdr"
    ).split()
)
VIDEO_EXTENSIONS = frozenset(
    "mp4 m4v mov webm mkv avi wmv flv mpg mpeg mpe ts mts m2ts 3gp 3g2 ogv ogg mxf y4m h264 264 hevc h265".split()
)
MEDIA_EXTENSIONS = IMAGE_EXTENSIONS | VIDEO_EXTENSIONS


def is_media_name(name: str) -> bool:
    """Whether a file name's extension is one of an image or a video (``MEDIA_EXTENSIONS``)."""
    return Path(name).suffix.lower().lstrip(".") in MEDIA_EXTENSIONS
