"""ffprobe/ffmpeg read only the uploaded file: playlists and other reference formats are refused
by ffmpeg's own format whitelist, markup (SVG, HTML, XML) by its first bytes, and every command
that runs names its input as ``file:<absolute path>``, with the ``file`` protocol only and, after
the first probe, the probed demuxer forced (no pattern expansion, no mov external references)."""

from __future__ import annotations

import gzip

import pytest
from PIL import Image

from tests.media.conftest import GENEROUS, SAMPLES
from worker import media
from worker.media import MediaError, markup_kind, process_media

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><script>alert(1)</script></svg>'


def reason(src, out_parent) -> str:
    with pytest.raises(MediaError) as caught:
        process_media(src, out_parent / "asset", limits=GENEROUS)
    assert list(out_parent.iterdir()) == []
    return caught.value.reason


@pytest.mark.parametrize(
    "name, data",
    [
        ("drawing.svg", SVG),
        ("drawing.png", SVG),
        ("drawing.mp4", b"\n  " + SVG),
        ("with-prolog.jpg", b'\xef\xbb\xbf<?xml version="1.0"?>\n<!DOCTYPE svg>\n' + SVG),
        ("utf16.gif", "\ufeff".encode("utf-16-le") + SVG.decode().encode("utf-16-le")),
        ("zipped.svgz", gzip.compress(SVG)),
    ],
)
def test_svg_is_refused_whatever_its_name_or_encoding(tmp_path, out_parent, name, data):
    src = tmp_path / name
    src.write_bytes(data)
    assert reason(src, out_parent) == media.SVG_REFUSED


@pytest.mark.parametrize(
    "head, kind",
    [
        (b"<!DOCTYPE html><html><body>", "html"),
        (b"  <script>alert(1)</script>", "html"),
        (b'<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011">', "dash"),
        (b'<?xml version="1.0"?><rss version="2.0">', "xml"),
        (b"\x89PNG\r\n\x1a\n<svg", None),
        (b"GIF89a<html>", None),
        (b"these are my notes", None),
    ],
)
def test_markup_kind(head, kind):
    assert markup_kind(head) == kind


def test_html_and_dash_manifests_are_refused(tmp_path, out_parent):
    page = tmp_path / "page.jpg"
    page.write_bytes(b"<!doctype html><script>alert(1)</script>")
    assert reason(page, out_parent) == "the file is an HTML document, not an image or a video"
    mpd = tmp_path / "manifest.mp4"
    mpd.write_bytes(b'<?xml version="1.0"?><MPD><Period><AdaptationSet/></Period></MPD>')
    assert reason(mpd, out_parent) == (
        "the file is a playlist (dash) that refers to other files; upload the media itself"
    )


def test_playlists_are_refused_before_anything_they_list_is_opened(tmp_path, out_parent):
    target = tmp_path / "other-project-video.mp4"
    target.write_bytes((SAMPLES / "test1.mp4").read_bytes())
    m3u8 = tmp_path / "clip.mp4"
    m3u8.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{target}\n#EXT-X-ENDLIST\n")
    assert reason(m3u8, out_parent) == (
        "the file is a playlist (hls) that refers to other files; upload the media itself"
    )
    concat = tmp_path / "list.mp4"
    concat.write_text(f"ffconcat version 1.0\nfile {target.name}\n")
    assert reason(concat, out_parent) == (
        "the file is a playlist (concat) that refers to other files; upload the media itself"
    )


def test_refused_format_reasons():
    assert media.refused_format_reason("svg_pipe") == media.SVG_REFUSED
    assert media.refused_format_reason("wav") == "not an image or a video (the wav format is not accepted)"
    assert media.refused_format_reason("") == "not an image or a video (its format is not accepted)"


@pytest.fixture
def commands(monkeypatch):
    """Every ffprobe/ffmpeg command line run (they still run for real)."""
    seen: list[list[str]] = []
    real = media.commands._run

    def spy(args, timeout):
        seen.append(list(args))
        return real(args, timeout)

    monkeypatch.setattr(media.commands, "_run", spy)
    return seen


def _input_options(args: list[str]) -> tuple[dict[str, str], str]:
    """The options before the (only) input of a command line, and that input."""
    if args[0] == "ffprobe":
        url = args[-1]
        head = args[1:-1]
    else:
        i = args.index("-i")
        url, head = args[i + 1], args[1:i]
    options = {}
    for n, arg in enumerate(head):
        if arg.startswith("-") and n + 1 < len(head) and not head[n + 1].startswith("-"):
            options[arg[1:]] = head[n + 1]
    return options, url


@pytest.mark.parametrize("sample", ["test1.mp4", "test1.jpg"])
def test_every_command_reads_only_its_file_with_its_own_demuxer(commands, out_parent, tmp_path, sample):
    src = tmp_path / sample
    src.write_bytes((SAMPLES / sample).read_bytes())
    process_media(src, out_parent / "asset", limits=GENEROUS)
    assert commands
    first, *later = commands
    options, url = _input_options(first)
    assert options["protocol_whitelist"] == "file" and url.startswith("file:/")
    assert set(options["format_whitelist"].split(",")) == set(media.MEDIA_DEMUXERS)
    assert (options["pattern_type"], options["enable_drefs"]) == ("none", "0")
    for args in later:
        options, url = _input_options(args)
        assert url.startswith("file:/"), args
        assert options["protocol_whitelist"] == "file", args
        if "f" in options:  # a later read: the demuxer the probe found, and only that one
            assert options["f"] in media.MEDIA_DEMUXERS and options["format_whitelist"] == options["f"], args
        else:  # a probe (of the display video this made)
            assert set(options["format_whitelist"].split(",")) == set(media.MEDIA_DEMUXERS), args
        if options.get("f") == "mov":
            assert options["enable_drefs"] == "0"


def test_image2_reads_exactly_one_file(commands, out_parent, tmp_path):
    """A name ffmpeg would expand as a sequence pattern reads that one file (``-pattern_type none``)."""
    src = tmp_path / "frame%d.tga"
    Image.new("RGB", (16, 12), "red").save(src, format="TGA")
    (tmp_path / "frame1.tga").write_bytes(b"not this one")
    result = process_media(src, out_parent / "asset", limits=GENEROUS)
    assert (result.info.width, result.info.height, result.info.demuxer) == (16, 12, "image2")
    options = [_input_options(args)[0] for args in commands]
    assert options and all(o["pattern_type"] == "none" for o in options)
