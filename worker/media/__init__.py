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
  run by ``commands._run`` in their own process group, killed (with any children) when they overrun:
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

The modules: ``types`` (the interface), ``formats`` (what is accepted and how it is named),
``commands`` (running ffprobe/ffmpeg safely), ``probe``, ``images``, ``videos`` and ``process``.
"""

from .formats import MARKUP_REFUSED, MEDIA_DEMUXERS, SVG_REFUSED, markup_kind, refused_format_reason
from .probe import probe
from .process import process_media
from .types import MediaError, MediaInfo, MediaLimits, ProcessedMedia
from .videos import moov_before_mdat, select_model_frames

__all__ = [
    "MARKUP_REFUSED",
    "MEDIA_DEMUXERS",
    "MediaError",
    "MediaInfo",
    "MediaLimits",
    "ProcessedMedia",
    "SVG_REFUSED",
    "markup_kind",
    "moov_before_mdat",
    "probe",
    "process_media",
    "refused_format_reason",
    "select_model_frames",
]
