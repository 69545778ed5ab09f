"""process_media() on images: original, display, thumbnail, and the dimensions the browser shows."""

import hashlib

import pytest
from PIL import Image

from tests.media.conftest import GENEROUS, SAMPLES, ffmpeg_make
from worker.media import ProcessedMedia, process_media


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_sample_jpeg(out_parent):
    src = SAMPLES / "test1.jpg"
    before = digest(src)
    out = out_parent / "asset"
    result = process_media(src, out, limits=GENEROUS, expected_kind="image")
    assert isinstance(result, ProcessedMedia)
    assert result.files == {
        "original": "original.jpg",
        "display": "original.jpg",  # the browser shows JPEG as is
        "poster": None,
        "thumbnail": "thumbnail.jpg",
        "frames": [],
        "transcoded": False,
    }
    assert digest(out / "original.jpg") == before == digest(src)  # a copy; src untouched
    assert (result.info.kind, result.info.width, result.info.height) == ("image", 1024, 1024)
    assert result.info.size_bytes == src.stat().st_size
    with Image.open(out / "thumbnail.jpg") as thumb:
        assert thumb.format == "JPEG" and thumb.size == (384, 384)
    assert sorted(p.name for p in out_parent.iterdir()) == ["asset"]  # no temporary folder left
    assert sorted(p.name for p in out.iterdir()) == ["original.jpg", "thumbnail.jpg"]


def test_thumbnail_fits_and_keeps_the_aspect_ratio(tmp_path, out_parent):
    src = tmp_path / "wide.png"
    Image.new("RGBA", (300, 150), (255, 0, 0, 128)).save(src)
    result = process_media(src, out_parent / "a", limits=GENEROUS, thumbnail_size=100)
    assert result.files["display"] == "original.png"
    with Image.open(out_parent / "a" / "thumbnail.jpg") as thumb:
        assert thumb.size == (100, 50)
        assert thumb.mode == "RGB"  # transparency flattened for JPEG


def test_small_images_are_not_enlarged(tmp_path, out_parent):
    src = tmp_path / "tiny.webp"
    Image.new("RGB", (40, 30), "green").save(src)
    result = process_media(src, out_parent / "a", limits=GENEROUS)
    assert (result.files["original"], result.files["display"]) == ("original.webp", "original.webp")
    assert result.info.mime_type == "image/webp"
    with Image.open(out_parent / "a" / "thumbnail.jpg") as thumb:
        assert thumb.size == (40, 30)


@pytest.mark.parametrize(
    ("name", "fmt", "ext", "mime"),
    [("scan.bmp", "BMP", "bmp", "image/bmp"), ("scan.tif", "TIFF", "tiff", "image/tiff")],
)
def test_formats_browsers_cannot_show_get_a_display_png(tmp_path, out_parent, name, fmt, ext, mime):
    src = tmp_path / name
    Image.new("RGB", (64, 48), "purple").save(src, format=fmt)
    result = process_media(src, out_parent / "a", limits=GENEROUS)
    assert result.files["original"] == f"original.{ext}"
    assert result.files["display"] == "display.png"
    assert result.files["transcoded"] is True
    assert result.info.mime_type == mime  # of the original
    with Image.open(out_parent / "a" / "display.png") as display:
        assert display.format == "PNG" and display.size == (64, 48)


def test_exif_rotated_jpeg_reports_browser_dimensions(tmp_path, out_parent):
    src = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    Image.new("RGB", (80, 40), "orange").save(src, exif=exif.tobytes())
    result = process_media(src, out_parent / "a", limits=GENEROUS)
    assert (result.info.width, result.info.height) == (40, 80)
    assert result.files["display"] == "original.jpg"  # the browser applies the orientation itself
    with Image.open(out_parent / "a" / "thumbnail.jpg") as thumb:
        assert thumb.size == (40, 80)  # upright


def test_an_image_pillow_cannot_read_is_decoded_by_ffmpeg(tmp_path, out_parent):
    src = ffmpeg_make(tmp_path / "frame.pam", "-f", "lavfi", "-i", "color=red:s=16x12", "-frames:v", "1")
    result = process_media(src, out_parent / "a", limits=GENEROUS)
    assert result.info.kind == "image"
    assert (result.files["original"], result.files["display"]) == ("original.pam", "display.png")
    with Image.open(out_parent / "a" / "display.png") as display:
        assert display.size == (16, 12)
    assert sorted(p.name for p in (out_parent / "a").iterdir()) == ["display.png", "original.pam", "thumbnail.jpg"]
