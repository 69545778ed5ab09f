"""Fixtures for the worker suite: people, projects, small media files (eager Celery: tests/conftest.py)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotator.models import Asset, Membership
from tests import factories as f


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Users are made per test: a cheap hasher keeps the suite fast."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def people(db):
    return f.people()


@pytest.fixture
def image_project(people):
    return f.project(
        media_type="image",
        name="images",
        members={
            people["manager"]: Membership.Role.MANAGER,
            people["researcher"]: Membership.Role.RESEARCHER,
            people["annotator"]: Membership.Role.ANNOTATOR,
        },
    )


@pytest.fixture
def video_project(people):
    return f.project(media_type="video", name="videos", members={people["manager"]: Membership.Role.MANAGER})


@pytest.fixture
def manager_api(people):
    return f.api(people["manager"])


@pytest.fixture(scope="session")
def tiny_mp4(tmp_path_factory) -> bytes:
    """A one-second 64x48 H.264 clip (a few kB), made with ffmpeg."""
    import subprocess

    path = tmp_path_factory.mktemp("video") / "tiny.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5", "-t", "1"]
        + ["-pix_fmt", "yuv420p", "-c:v", "libx264", str(path)],
        check=True,
        timeout=60,
    )
    return path.read_bytes()


def jpeg_bytes(width: int = 64, height: int = 48, color=(200, 40, 40)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def png_bytes(width: int = 40, height: int = 30) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(buf, "PNG")
    return buf.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def zip_bytes(entries: dict[str, bytes], *, symlinks: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in entries.items():
            if name.endswith("/"):
                zf.writestr(zipfile.ZipInfo(name), b"")
            else:
                zf.writestr(name, content)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16) | 0
            zf.writestr(info, target)
    return buf.getvalue()


def lie_about_sizes(archive: bytes, declared: dict[str, int]) -> bytes:
    """``archive`` with the uncompressed sizes of the named entries replaced by ``declared``, in
    the local headers and the central directory alike (what a crafted zip bomb does)."""
    import struct

    data = bytearray(archive)
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        offset = zf.start_dir
    for name, size in declared.items():
        local = infos[name].header_offset
        assert data[local : local + 4] == b"PK\x03\x04"
        struct.pack_into("<I", data, local + 22, size)
    while data[offset : offset + 4] == b"PK\x01\x02":
        n, m, k = struct.unpack_from("<HHH", data, offset + 28)
        name = bytes(data[offset + 46 : offset + 46 + n]).decode("utf-8")
        if name in declared:
            struct.pack_into("<I", data, offset + 24, declared[name])
        offset += 46 + n + m + k
    return bytes(data)


def import_url(project) -> str:
    return f"/api/projects/{project.pk}/imports/"


def staging_dirs(media_root: Path) -> list[Path]:
    root = Path(media_root) / "staging"
    return sorted(root.iterdir()) if root.is_dir() else []


def asset_dirs(media_root: Path, project) -> set[int]:
    root = Path(media_root) / "projects" / str(project.pk) / "assets"
    return {int(p.name) for p in root.iterdir()} if root.is_dir() else set()


def assert_disk_matches_rows(media_root: Path, project) -> None:
    """Every ready asset has its folder and files; no folder exists without its row."""
    ready = Asset.objects.filter(project=project, status=Asset.Status.READY)
    assert asset_dirs(media_root, project) == set(ready.values_list("id", flat=True))
    for asset in ready:
        for key in ("original", "display", "thumbnail"):
            assert (Path(media_root) / asset.files[key]).is_file(), (asset.pk, key)
        for frame in asset.files.get("frames") or []:
            assert (Path(media_root) / frame["file"]).is_file()
        assert not list((Path(media_root) / asset.files["original"]).parent.glob(".import*"))
    for asset in Asset.objects.filter(project=project, status=Asset.Status.FAILED):
        assert asset.files in ({}, None) and not asset.tasks.exists()
