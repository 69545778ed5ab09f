"""probe(): what a file is, described the way the import job stores it."""

import json

import pytest
from PIL import Image

from tests.media.conftest import SAMPLES, ffmpeg_make
from worker.media import MediaError, MediaInfo, probe


def test_sample_jpeg_is_an_image():
    info = probe(SAMPLES / "test1.jpg")
    assert isinstance(info, MediaInfo)
    assert (info.kind, info.codec, info.width, info.height) == ("image", "mjpeg", 1024, 1024)
    assert info.mime_type == "image/jpeg"
    assert info.duration is None and info.fps is None and info.frame_count is None
    assert info.has_audio is False
    assert info.size_bytes == (SAMPLES / "test1.jpg").stat().st_size
    json.dumps(info.raw)  # stored in a JSONField
    assert info.raw["ext"] == "jpg"


def test_sample_mp4_is_a_video_with_its_timing():
    info = probe(SAMPLES / "test1.mp4")
    assert (info.kind, info.codec, info.pix_fmt) == ("video", "h264", "yuv420p")
    assert (info.width, info.height) == (720, 480)
    assert info.duration == pytest.approx(6.125)
    assert info.fps == pytest.approx(8.0)
    assert info.frame_count == 49
    assert info.mime_type == "video/mp4"
    assert info.has_audio is False
    assert info.raw["streams"][0]["codec_name"] == "h264"


def test_detection_reads_the_content_not_the_name(tmp_path):
    png = tmp_path / "really-a-png.jpg"
    Image.new("RGB", (30, 20), "red").save(png, format="PNG")
    info = probe(png)
    assert (info.kind, info.codec, info.mime_type, info.raw["ext"]) == ("image", "png", "image/png", "png")

    mp4 = tmp_path / "really-a-video.jpg"
    mp4.write_bytes((SAMPLES / "test2.mp4").read_bytes())
    assert probe(mp4).kind == "video"


def test_gif_single_frame_is_an_image_and_animated_gif_is_a_video(tmp_path):
    frames = [Image.new("RGB", (32, 24), (40 * i, 0, 0)) for i in range(5)]
    still, animated = tmp_path / "still.gif", tmp_path / "anim.gif"
    frames[0].save(still)
    frames[0].save(animated, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert probe(still).kind == "image"
    info = probe(animated)
    assert (info.kind, info.frame_count, info.mime_type) == ("video", 5, "image/gif")
    assert info.duration == pytest.approx(0.5)


def test_exif_orientation_gives_the_dimensions_the_browser_shows(tmp_path):
    path = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, shown portrait
    Image.new("RGB", (40, 20), "blue").save(path, exif=exif.tobytes())
    info = probe(path)
    assert (info.width, info.height) == (20, 40)
    assert info.raw["orientation"] == 6
    assert info.raw["streams"][0]["width"] == 40  # what is stored stays in raw


def test_raw_is_trimmed(tmp_path):
    path = ffmpeg_make(
        tmp_path / "tagged.mp4",
        *("-f", "lavfi", "-i", "testsrc=s=32x32:r=5:d=1", "-c:v", "libx264", "-preset", "ultrafast"),
        *("-metadata", "comment=" + "x" * 5000, "-metadata", "title=short"),
    )
    raw = probe(path).raw
    assert raw["format"]["tags"]["title"] == "short"
    assert "comment" not in raw["format"]["tags"]
    assert len(json.dumps(raw)) < 4000


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: p.write_bytes(b""), "the file is empty"),
        (lambda p: None, "the file does not exist"),
        (lambda p: p.write_text("hello, not a picture\n"), "not an image or a video (ffprobe: "),
        (lambda p: p.write_bytes(b"\x00\x01garbage" * 100), "not an image or a video (ffprobe: "),
    ],
    ids=["empty", "missing", "text", "garbage"],
)
def test_unreadable_files_raise_a_readable_reason(tmp_path, make, reason):
    path = tmp_path / "upload.jpg"
    make(path)
    with pytest.raises(MediaError) as caught:
        probe(path)
    assert caught.value.reason.startswith(reason)
    assert "Traceback" not in caught.value.reason and str(tmp_path) not in caught.value.reason


def test_audio_only_file_has_no_video_stream(clips):
    with pytest.raises(MediaError) as caught:
        probe(clips.audio_only())
    assert caught.value.reason.startswith("the video has no video stream")


def test_animated_webp_is_refused_with_a_reason(tmp_path):
    path = tmp_path / "anim.webp"
    frames = [Image.new("RGB", (16, 16), (60 * i, 0, 0)) for i in range(3)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    with pytest.raises(MediaError, match="animated WebP is not supported"):
        probe(path)
