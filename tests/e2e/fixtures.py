"""Browser end-to-end fixtures: Debian's Chromium driven by Playwright against pytest-django's
live server on the test PostgreSQL, with real processed media (the four samples, processed once
per session by the same code the import job runs).

Used by tests/e2e and by the browser benchmark in bench/ (which imports them).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still
# synchronous and outside it, which is what Django's guard cannot tell.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "annotator" / "demo" / "samples"
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS", REPO / "var" / "test-artifacts"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1366, "height": 768}
PASSWORD = "e2e-pass-123"


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not Path(path).exists():
        pytest.fail(
            f"Chromium not found at {path}: the browser tests need Debian's chromium "
            "(sudo apt-get install chromium) or CHROMIUM=/path/to/chrome",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not (REPO / "frontend" / "dist" / "index.html").exists():
        pytest.fail("frontend/dist is not built: run `make frontend` (make test does it)", pytrace=False)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def context(browser, live_server):
    ctx = browser.new_context(viewport=VIEWPORT, base_url=live_server.url)
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    yield p
    assert not errors, f"uncaught errors in the page: {errors}"


def screenshot(page, name: str) -> Path:
    """Save a screenshot of what the user sees as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    # every image has loaded, except lazy ones the browser has not started (out of view)
    page.wait_for_function(
        "() => [...document.images].every((img) => img.complete || (img.loading === 'lazy' && !img.currentSrc))"
    )
    page.screenshot(path=str(path))
    return path


def make_user(username: str, *, staff: bool = False):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(username=username, password=PASSWORD, is_staff=staff)


def login(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Your projects").wait_for()


@pytest.fixture(scope="session")
def processed_samples(tmp_path_factory):
    """The samples processed once (transcode, poster, thumbnail, sampled frames)."""
    from worker.media import MediaLimits, process_media

    limits = MediaLimits(
        max_bytes=settings.VR_MAX_ASSET_BYTES,
        max_pixels=settings.VR_MAX_IMAGE_PIXELS,
        max_video_seconds=settings.VR_MAX_VIDEO_SECONDS,
    )
    root = tmp_path_factory.mktemp("processed")
    out = {}
    for name in ("test1.jpg", "test2.jpg", "test1.mp4", "test2.mp4"):
        folder = root / name.replace(".", "_")
        out[name] = (folder, process_media(SAMPLES / name, folder, limits=limits))
    return out


@pytest.fixture
def add_asset(processed_samples):
    """Create a ready asset (and its task) in a project from a processed sample."""
    from annotator.models import Asset, asset_media_dir
    from annotator.services.tasks import create_task_for_asset
    from worker.imports.job import _relocate

    def add(project, sample: str, prompt: str, *, task: bool = True):
        folder, processed = processed_samples[sample]
        info = processed.info
        asset = Asset.objects.create(
            project=project,
            kind=info.kind,
            status=Asset.Status.READY,
            original_name=sample,
            prompt=prompt,
            mime_type=info.mime_type,
            width=info.width,
            height=info.height,
            duration_seconds=info.duration,
            fps=info.fps,
            frame_count=info.frame_count,
            size_bytes=info.size_bytes,
        )
        rel = asset_media_dir(project.pk, asset.pk)
        shutil.copytree(folder, Path(settings.MEDIA_ROOT) / rel)
        asset.files = _relocate(processed.files, rel)  # as the import job records them
        asset.save(update_fields=["files"])
        if task:
            create_task_for_asset(asset)
        return asset

    return add
