"""process_media() on videos: a browser-safe display.mp4, poster, thumbnail and the model frames."""

import hashlib
import subprocess

import pytest
from PIL import Image

from tests.media.conftest import GENEROUS, SAMPLES, ffprobe_json, frame_number
from worker.media import moov_before_mdat, process_media


def display_streams(path):
    return {s["codec_type"]: s for s in ffprobe_json(path, "-show_streams")["streams"]}


def video_packets_md5(path):
    """A hash of the coded picture packets: equal when a stream was copied, not re-encoded."""
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "md5", "-"],
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout
    return out.strip()


def assert_browser_safe(path):
    video = display_streams(path)["video"]
    assert (video["codec_name"], video["pix_fmt"]) == ("h264", "yuv420p")
    assert video["width"] % 2 == 0 and video["height"] % 2 == 0
    assert moov_before_mdat(path), "display.mp4 must start playing before it is fully downloaded"


def test_sample_video_is_remuxed_with_poster_thumbnail_and_frames(out_parent):
    src = SAMPLES / "test1.mp4"
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    out = out_parent / "asset"
    result = process_media(src, out, limits=GENEROUS, expected_kind="video")
    files = result.files
    assert files["original"] == "original.mp4" and files["display"] == "display.mp4"
    assert (files["poster"], files["thumbnail"]) == ("poster.jpg", "thumbnail.jpg")
    assert files["transcoded"] is False  # already h264/yuv420p in mp4
    assert_browser_safe(out / "display.mp4")
    assert video_packets_md5(out / "display.mp4") == video_packets_md5(src)
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before

    info = result.info
    assert (info.kind, info.width, info.height, info.codec) == ("video", 720, 480, "h264")
    assert info.duration == pytest.approx(6.125, abs=0.05)
    assert info.fps == pytest.approx(8.0) and info.frame_count == 49
    assert info.mime_type == "video/mp4"
    assert info.raw["original"]["format"]["format_name"].startswith("mov,mp4")

    # 8 fps, last frame at 6.0 s: seconds 0..6, frame 8·s at exactly s seconds.
    assert [(f["index"], f["time"]) for f in files["frames"]] == [(8 * s, float(s)) for s in range(7)]
    assert [f["file"] for f in files["frames"]] == [f"frames/{i:03d}.jpg" for i in range(7)]
    for frame in files["frames"]:
        with Image.open(out / frame["file"]) as im:
            assert im.size == (720, 480)
    with Image.open(out / "poster.jpg") as poster:
        assert poster.size == (720, 480)
    with Image.open(out / "thumbnail.jpg") as thumb:
        assert thumb.size == (384, 256)
    assert sorted(p.name for p in out_parent.iterdir()) == ["asset"]


def test_second_sample_frames_follow_the_reference_rule(out_parent):
    # 10 fps, 60 frames, last at 5.9 s: round(5.9) = 6, so seconds 0..6 and second 6 -> frame 59.
    result = process_media(SAMPLES / "test2.mp4", out_parent / "a", limits=GENEROUS, max_frames=24)
    assert [f["index"] for f in result.files["frames"]] == [0, 10, 20, 30, 40, 50, 59]
    assert result.files["transcoded"] is False


def test_h264_without_faststart_is_remuxed_not_reencoded(clips, out_parent):
    src = clips.h264_mp4()
    assert not moov_before_mdat(src)
    result = process_media(src, out_parent / "a", limits=GENEROUS)
    assert result.files["transcoded"] is False
    assert_browser_safe(out_parent / "a" / "display.mp4")
    assert video_packets_md5(out_parent / "a" / "display.mp4") == video_packets_md5(src)


def test_vp9_webm_is_transcoded_and_frames_are_the_right_ones(clips, out_parent):
    out = out_parent / "a"
    result = process_media(clips.vp9_webm(), out, limits=GENEROUS)
    assert result.files["original"] == "original.webm"
    assert result.files["transcoded"] is True
    assert_browser_safe(out / "display.mp4")
    assert result.info.codec == "h264" and result.info.raw["original"]["streams"][0]["codec_name"] == "vp9"
    # 10 fps for 3 s: last frame at 2.9 s -> seconds 0..3, the last one the nearest frame (29).
    frames = result.files["frames"]
    assert [f["index"] for f in frames] == [0, 10, 20, 29]
    for frame in frames:
        assert frame_number(out / frame["file"]) == frame["index"]
        if frame["second"] <= 2.9:
            assert abs(frame["time"] - frame["second"]) <= 0.5 / 10  # within half a frame


def test_mpeg4_avi_with_odd_size_and_mp3_becomes_h264_aac_with_even_size(clips, out_parent):
    out = out_parent / "a"
    result = process_media(clips.mpeg4_avi(), out, limits=GENEROUS)
    assert result.files["original"] == "original.avi" and result.files["transcoded"] is True
    assert_browser_safe(out / "display.mp4")
    streams = display_streams(out / "display.mp4")
    assert (streams["video"]["width"], streams["video"]["height"]) == (32, 24)
    assert streams["audio"]["codec_name"] == "aac"
    assert result.info.has_audio is True and (result.info.width, result.info.height) == (32, 24)


def test_safe_picture_with_mp3_audio_keeps_the_picture_and_converts_the_audio(clips, out_parent):
    src = clips.h264_mp3_mp4()
    result = process_media(src, out_parent / "a", limits=GENEROUS)
    assert result.files["transcoded"] is False
    assert display_streams(out_parent / "a" / "display.mp4")["audio"]["codec_name"] == "aac"
    assert video_packets_md5(out_parent / "a" / "display.mp4") == video_packets_md5(src)


def test_variable_frame_rate_uses_the_real_timestamps(clips, out_parent):
    out = out_parent / "a"
    result = process_media(clips.vfr_mp4(), out, limits=GENEROUS)
    frames = result.files["frames"]
    # Frames 0-9 are 0.05 s apart, then 0.25 s apart: second s >= 1 is frame 8 + 4 s.
    assert [(f["index"], f["time"]) for f in frames] == [
        (0, 0.0),
        (12, 1.0),
        (16, 2.0),
        (20, 3.0),
        (24, 4.0),
        (28, 5.0),
    ]
    assert [frame_number(out / f["file"]) for f in frames] == [0, 12, 16, 20, 24, 28]


def test_frames_are_capped_at_the_first_max_frames_seconds(clips, out_parent):
    out = out_parent / "a"
    result = process_media(clips.long_low_fps_mp4(), out, limits=GENEROUS)
    frames = result.files["frames"]
    assert len(frames) == 24
    assert [f["second"] for f in frames] == list(range(24))
    assert [frame_number(out / f["file"]) for f in frames] == list(range(24))
    assert sorted(p.name for p in (out / "frames").iterdir()) == [f"{i:03d}.jpg" for i in range(24)]

    fewer = process_media(clips.long_low_fps_mp4(), out_parent / "b", limits=GENEROUS, max_frames=5)
    assert [f["index"] for f in fewer.files["frames"]] == [0, 1, 2, 3, 4]


def test_under_one_fps_a_frame_can_be_picked_for_two_seconds(clips, out_parent):
    out = out_parent / "a"
    result = process_media(clips.slow_mp4(), out, limits=GENEROUS)
    frames = result.files["frames"]
    assert [f["index"] for f in frames] == [0, 0, 1, 1, 2]
    assert len(list((out / "frames").iterdir())) == 5  # one file per pick
    assert [frame_number(out / f["file"]) for f in frames] == [0, 0, 1, 1, 2]


def test_animated_gif_becomes_a_video(tmp_path, out_parent):
    src = tmp_path / "anim.gif"
    frames = [Image.new("RGB", (31, 20), (50 * i, 0, 0)) for i in range(5)]
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=300, loop=0)
    out = out_parent / "a"
    result = process_media(src, out, limits=GENEROUS, expected_kind="video")
    assert result.files["original"] == "original.gif" and result.files["transcoded"] is True
    assert_browser_safe(out / "display.mp4")
    assert [f["index"] for f in result.files["frames"]] == [0, 3]  # 0.3 s apart, last at 1.2 s


def test_rotated_video_reports_what_the_browser_shows_and_frames_are_upright(clips, out_parent):
    out = out_parent / "a"
    result = process_media(clips.rotated_mp4(), out, limits=GENEROUS)
    assert (result.info.width, result.info.height) == (48, 64)
    assert result.files["transcoded"] is False  # the rotation travels with the copied stream
    for name in ("poster.jpg", "frames/000.jpg"):
        with Image.open(out / name) as im:
            assert im.size == (48, 64)


def test_poster_is_capped_at_1280_px_wide(clips, out_parent):
    out = out_parent / "a"
    process_media(clips.wide_mp4(), out, limits=GENEROUS)
    with Image.open(out / "poster.jpg") as poster:
        assert poster.size == (1280, 76)  # 96 * 1280 / 1600 rounded to even
    with Image.open(out / "thumbnail.jpg") as thumb:
        assert thumb.width == 384
    with Image.open(out / "frames/000.jpg") as frame:
        assert frame.size == (1600, 96)  # model frames keep the full resolution


def test_the_parent_folder_is_created_when_missing(clips, tmp_path):
    out = tmp_path / "not" / "yet" / "asset"
    process_media(clips.h264_faststart_mp4(), out, limits=GENEROUS)
    assert (out / "display.mp4").is_file()
    assert [p.name for p in out.parent.iterdir()] == ["asset"]
