"""Running ffprobe and ffmpeg safely: every input read as ``file:<absolute path>`` with the file
protocol only and the probed demuxer forced, in its own process group, killed with its children
when it overruns; stderr turned into one readable reason."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from pathlib import Path

import ffmpeg

from .formats import MEDIA_DEMUXERS
from .types import MediaError, fmt_seconds

FFMPEG = "ffmpeg"


FFPROBE = "ffprobe"


PROBE_TIMEOUT_S = 60.0


BASE_TIMEOUT_S = 120.0


SECONDS_PER_MEDIA_SECOND = 4.0


LOG_PREFIX = re.compile(r"^\[[^\]]*@ ?0x[0-9a-fA-F]+\]\s*")


NOISE = ("conversion failed", "last message repeated")


def stderr_reason(stderr: str | bytes, *paths) -> str:
    """The last meaningful line of ffmpeg/ffprobe's stderr, without log prefixes or file names."""
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", "replace")
    found = ""
    spellings = [(name, Path(path).name) for path in paths for name in (file_url(path), str(path))]
    for line in stderr.splitlines():
        line = LOG_PREFIX.sub("", line.strip())
        for name, short in spellings:
            line = line.replace(f"{name}: ", "").replace(name, short)
        line = line.strip().rstrip(".")
        if line and not line.lower().startswith(NOISE):
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
        raise MediaError(f"{Path(args[0]).name} took longer than {fmt_seconds(timeout)} s on this file and was stopped")
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


def file_url(path) -> str:
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


def media_input(path, demuxer: str, **kwargs):
    """``ffmpeg.input`` of one file, read only with its own demuxer (see ``_input_options``)."""
    if not demuxer:
        raise ValueError("a file must be probed (its demuxer known) before ffmpeg reads it")
    return ffmpeg.input(file_url(path), **_input_options(demuxer), **kwargs)


def run_ffmpeg(stream, timeout: float) -> str:
    """Run an ffmpeg-python graph (``-v error``, no stdin, never overwriting); returns stderr."""
    args = stream.compile(cmd=FFMPEG)
    _, err = _run([args[0], "-nostdin", "-hide_banner", "-v", "error", "-n", *args[1:]], timeout)
    return err


def run_ffprobe(path: Path, timeout: float, *extra: str, demuxer: str | None = None) -> tuple[dict, str]:
    options = [arg for key, value in _input_options(demuxer).items() for arg in (f"-{key}", value)]
    args = [FFPROBE, "-hide_banner", "-v", "error", *options, *extra, "-of", "json", file_url(path)]
    out, err = _run(args, timeout)
    try:
        return json.loads(out.decode("utf-8", "replace") or "{}"), err
    except ValueError:
        raise MediaError("ffprobe gave an unreadable answer for this file")
