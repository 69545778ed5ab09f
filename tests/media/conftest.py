"""Fixtures for the media tests: the committed samples and tiny clips generated with ffmpeg.

The clips are made once per session (a few frames, 32-64 px) so the whole media suite stays fast.
The "luma" clips encode the frame number in the picture (Y = 16 + 7 n), so a test can tell which
frame an extracted JPEG is."""

import json
import struct
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from worker.media import MediaLimits

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "annotator" / "demo" / "samples"

LUMA = "geq=lum='16+N*7':cb=128:cr=128"
GENEROUS = MediaLimits(max_bytes=100 * 1024**2, max_pixels=50_000_000, max_video_seconds=600)


def ffmpeg_make(path: Path, *args: str) -> Path:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args, str(path)], check=True, timeout=60)
    return path


def ffprobe_json(path: Path, *args: str) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", *args, "-of", "json", str(path)], check=True, capture_output=True, timeout=60
    ).stdout
    return json.loads(out)


def frame_number(jpeg: Path) -> int:
    """Which frame of a luma clip this extracted JPEG shows (full-range JPEG of Y = 16 + 7 n)."""
    with Image.open(jpeg) as im:
        mean = ImageStat.Stat(im.convert("L")).mean[0]
    return round(mean / (7 * 255 / 219))


class Clips:
    """Lazily generated, session-cached test clips."""

    def __init__(self, folder: Path):
        self.folder = folder

    def _get(self, name: str, *args: str) -> Path:
        path = self.folder / name
        if not path.exists():
            ffmpeg_make(path, *args)
        return path

    def luma(self, seconds=3, fps=10, size="32x32") -> str:
        return f"nullsrc=s={size}:r={fps}:d={seconds},{LUMA}"

    def h264_mp4(self) -> Path:
        """Browser-safe already, but with the moov box at the end (no faststart)."""
        return self._get(
            "h264.mp4",
            "-f",
            "lavfi",
            "-i",
            self.luma(),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
        )

    def h264_faststart_mp4(self) -> Path:
        return self._get(
            "h264_fs.mp4",
            *("-f", "lavfi", "-i", self.luma(), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"),
            *("-movflags", "+faststart"),
        )

    def h264_mp3_mp4(self) -> Path:
        """Browser-safe picture, audio that is not AAC."""
        return self._get(
            "h264_mp3.mp4",
            *("-f", "lavfi", "-i", self.luma(), "-f", "lavfi", "-i", "sine=frequency=440:duration=3"),
            *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "libmp3lame", "-shortest"),
        )

    def vp9_webm(self) -> Path:
        return self._get(
            "vp9.webm",
            *("-f", "lavfi", "-i", self.luma(), "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"),
        )

    def mpeg4_avi(self) -> Path:
        """Not browser-safe: MPEG-4 part 2 in AVI, odd dimensions, MP3 audio."""
        return self._get(
            "mpeg4.avi",
            *("-f", "lavfi", "-i", self.luma(size="33x25"), "-f", "lavfi", "-i", "sine=frequency=440:duration=3"),
            *("-c:v", "mpeg4", "-q:v", "2", "-c:a", "libmp3lame", "-shortest"),
        )

    def vfr_mp4(self) -> Path:
        """Variable frame rate: 10 frames 0.05 s apart, then 20 frames 0.25 s apart (last at 5.25 s)."""
        return self._get(
            "vfr.mp4",
            *("-f", "lavfi", "-i", self.luma(), "-vf", "settb=1/1000,setpts='if(lt(N,10),N*0.05,0.5+(N-10)*0.25)/TB'"),
            *("-fps_mode", "passthrough", "-enc_time_base", "1:1000", "-c:v", "libx264", "-preset", "ultrafast"),
            *("-pix_fmt", "yuv420p"),
        )

    def long_low_fps_mp4(self) -> Path:
        """30 s at 1 fps: more whole seconds than the 24-frame cap."""
        return self._get(
            "long.mp4",
            *("-f", "lavfi", "-i", self.luma(seconds=30, fps=1)),
            *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-movflags", "+faststart"),
        )

    def slow_mp4(self) -> Path:
        """0.5 fps: frames at 0, 2, 4 s, so some seconds share a frame."""
        return self._get(
            "slow.mp4",
            *("-f", "lavfi", "-i", "nullsrc=s=32x32:r=1/2:d=6," + LUMA),
            *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"),
        )

    def wide_mp4(self) -> Path:
        """Wider than the 1280 px poster cap."""
        return self._get(
            "wide.mp4",
            *("-f", "lavfi", "-i", "testsrc=s=1600x96:r=5:d=1", "-c:v", "libx264", "-preset", "ultrafast"),
            *("-pix_fmt", "yuv420p", "-movflags", "+faststart"),
        )

    def rotated_mp4(self) -> Path:
        """64x48 stored, with a display matrix rotating it a quarter turn (as phones record):
        written by patching the track header, since ffmpeg 5.1 has no -display_rotation."""
        path = self.folder / "rotated.mp4"
        if not path.exists():
            plain = self._get(
                "unrotated.mp4",
                *("-f", "lavfi", "-i", "testsrc=s=64x48:r=10:d=2", "-c:v", "libx264", "-preset", "ultrafast"),
                *("-pix_fmt", "yuv420p", "-movflags", "+faststart"),
            )
            data = bytearray(plain.read_bytes())
            box = data.index(b"tkhd") - 4
            version = data[box + 8]
            matrix = box + 12 + (20 if version == 0 else 32) + 16  # times, ids, reserved, layer, volume
            data[matrix : matrix + 36] = struct.pack(">9i", 0, 1 << 16, 0, -(1 << 16), 0, 0, 48 << 16, 0, 1 << 30)
            path.write_bytes(bytes(data))
        return path

    def audio_only(self) -> Path:
        return self._get("tone.m4a", "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac")


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> Clips:
    return Clips(tmp_path_factory.mktemp("clips"))


@pytest.fixture
def out_parent(tmp_path) -> Path:
    """The folder out_dir is made in; tests assert it holds nothing but out_dir afterwards."""
    parent = tmp_path / "assets"
    parent.mkdir()
    return parent
