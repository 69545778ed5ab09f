"""Files that cannot become assets: each fails with its own readable reason, and nothing is left
on disk next to out_dir (no half-built folder, no temporary folder). The source is never touched."""

import hashlib

import pytest
from PIL import Image

from tests.media.conftest import GENEROUS, SAMPLES
from worker import media
from worker.media import MediaError, MediaLimits, process_media


def fail(src, out_parent, **kwargs):
    """Run process_media expecting a MediaError; check the source is unchanged and nothing is left."""
    digest = hashlib.sha256(src.read_bytes()).hexdigest() if src.exists() else None
    kwargs.setdefault("limits", GENEROUS)
    with pytest.raises(MediaError) as caught:
        process_media(src, out_parent / "asset", **kwargs)
    assert list(out_parent.iterdir()) == [], "a failed run must leave nothing behind"
    if digest:
        assert hashlib.sha256(src.read_bytes()).hexdigest() == digest
    reason = caught.value.reason
    assert reason == str(caught.value) and "\n" not in reason and "Traceback" not in reason
    return reason


def copy_of(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_missing_file(tmp_path, out_parent):
    assert fail(tmp_path / "gone.jpg", out_parent) == "the file does not exist"


def test_empty_file(tmp_path, out_parent):
    assert fail(copy_of(tmp_path, "empty.jpg", b""), out_parent) == "the file is empty"


def test_truncated_jpeg(tmp_path, out_parent):
    data = (SAMPLES / "test1.jpg").read_bytes()
    src = copy_of(tmp_path, "cut.jpg", data[: len(data) // 3])
    assert fail(src, out_parent) == "the image is truncated or corrupt"


def test_truncated_png(tmp_path, out_parent):
    whole = tmp_path / "whole.png"
    Image.effect_noise((200, 200), 50).save(whole)
    data = whole.read_bytes()
    src = copy_of(tmp_path, "cut.png", data[: len(data) // 2])
    assert fail(src, out_parent).startswith("the image is truncated or corrupt")


def test_truncated_mp4_with_moov_first(clips, tmp_path, out_parent):
    data = clips.h264_faststart_mp4().read_bytes()
    src = copy_of(tmp_path, "cut.mp4", data[: len(data) * 2 // 3])
    assert fail(src, out_parent).startswith("the video is truncated or corrupt (ffmpeg: ")


def test_truncated_mp4_missing_its_moov(tmp_path, out_parent):
    data = (SAMPLES / "test1.mp4").read_bytes()  # moov at the end: cutting the tail loses it
    src = copy_of(tmp_path, "cut.mp4", data[: len(data) // 2])
    assert fail(src, out_parent) == "the video is truncated or corrupt (moov atom not found)"


def test_text_file_named_jpg(tmp_path, out_parent):
    src = copy_of(tmp_path, "notes.jpg", b"these are my notes, not a picture\n")
    assert fail(src, out_parent) == "not an image or a video (ffprobe: No JPEG data found in image)"


def test_oversized_file(out_parent):
    limits = MediaLimits(max_bytes=100 * 1024, max_pixels=10**9, max_video_seconds=600)
    assert fail(SAMPLES / "test1.jpg", out_parent, limits=limits) == "the file is 150.4 KB, over the 100.0 KB limit"


def test_oversized_reason_for_gigabyte_limits():
    assert media.types.fmt_size(int(3.1 * 1024**3), 2 * 1024**3) == "3.1 GB, over the 2.0 GB"
    assert media.types.fmt_size(2 * 1024**3 + 10, 2 * 1024**3) == "2,147,483,658 bytes, over the 2,147,483,648 byte"


def test_too_many_pixels(out_parent):
    limits = MediaLimits(max_bytes=10**9, max_pixels=1_000_000, max_video_seconds=600)
    reason = fail(SAMPLES / "test1.jpg", out_parent, limits=limits)
    assert reason == "the image is 1024×1024 = 1,048,576 pixels, over the 1,000,000 pixel limit"
    reason = fail(SAMPLES / "test1.mp4", out_parent, limits=MediaLimits(10**9, 100_000, 600))
    assert reason == "the video frame is 720×480 = 345,600 pixels, over the 100,000 pixel limit"


def test_too_long_video(clips, out_parent):
    limits = MediaLimits(max_bytes=10**9, max_pixels=10**9, max_video_seconds=2)
    assert fail(clips.vp9_webm(), out_parent, limits=limits) == "the video is 3 s long, over the 2 s limit"
    limits = MediaLimits(max_bytes=10**9, max_pixels=10**9, max_video_seconds=2.5)
    assert fail(clips.vp9_webm(), out_parent, limits=limits) == "the video is 3 s long, over the 2.5 s limit"


def test_expected_video_but_image(out_parent):
    reason = fail(SAMPLES / "test1.jpg", out_parent, expected_kind="video")
    assert reason == "a video was expected but this is an image"


def test_expected_image_but_video(out_parent):
    reason = fail(SAMPLES / "test2.mp4", out_parent, expected_kind="image")
    assert reason == "an image was expected but this is a video"


def test_audio_only(clips, out_parent):
    assert fail(clips.audio_only(), out_parent) == "the video has no video stream (the file holds only audio)"


def test_out_dir_already_exists(out_parent):
    existing = out_parent / "asset"
    existing.mkdir()
    (existing / "keep.txt").write_text("someone else's")
    with pytest.raises(MediaError) as caught:
        process_media(SAMPLES / "test1.jpg", existing, limits=GENEROUS)
    assert caught.value.reason == "the output folder asset already exists"
    assert [p.name for p in out_parent.iterdir()] == ["asset"]
    assert [p.name for p in existing.iterdir()] == ["keep.txt"]


def test_a_command_that_runs_too_long_is_stopped(clips, out_parent):
    reason = fail(clips.vp9_webm(), out_parent, timeout_s=0.001)
    assert reason.startswith("ffprobe took longer than") and reason.endswith("and was stopped")


def test_an_unexpected_error_midway_also_leaves_nothing(clips, out_parent, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(media.videos, "_extract_frames", broken)  # after display.mp4 and the poster exist
    with pytest.raises(RuntimeError, match="disk on fire"):
        process_media(clips.vp9_webm(), out_parent / "asset", limits=GENEROUS)
    assert list(out_parent.iterdir()) == []


def test_unknown_expected_kind_is_a_programming_error(out_parent):
    with pytest.raises(ValueError):
        process_media(SAMPLES / "test1.jpg", out_parent / "a", limits=GENEROUS, expected_kind="audio")
