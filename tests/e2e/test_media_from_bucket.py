"""VR_STORAGE=s3 in Chromium: the annotate screen's <video> plays and seeks a video that only the
bucket (a real moto S3 server process) holds. The app answers the file request with a presigned
redirect; the browser fetches the bytes, by range, from the bucket's origin, which the page's CSP
allows (the origin computed as config/settings.py computes it for VR_STORAGE=s3)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from playwright.sync_api import expect

from annotator.models import Membership, Project
from annotator.storage import media_storage, put_tree
from config.settings import s3_public_origins
from tests.e2e.fixtures import login, make_user
from tests.factories import builtin

pytestmark = pytest.mark.django_db(transaction=True)

WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def test_a_video_in_the_bucket_plays_and_seeks_in_the_annotate_screen(request, page, add_asset, settings):
    ann = make_user("ann")
    p = Project.objects.create(name="Bucket videos", media_type="video", checklist_version=builtin("video"))
    Membership.objects.create(project=p, user=ann, role="annotator")
    asset = add_asset(p, "test1.mp4", "a paper boat on a stream")
    folder = Path(settings.MEDIA_ROOT) / asset.files["display"].rsplit("/", 1)[0]
    bucket = request.getfixturevalue("s3_storage")  # from here on every file is in the bucket only
    put_tree(media_storage(), asset.files["display"].rsplit("/", 1)[0], folder, keep=True)
    origins = s3_public_origins(bucket.server.endpoint, [bucket.bucket], "us-east-1", "path")
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    for directive in ("img-src", "media-src", "connect-src"):
        policy["DIRECTIVES"][directive] = [*policy["DIRECTIVES"][directive], *origins]
    settings.CONTENT_SECURITY_POLICY = policy

    page.add_init_script(WATCH)
    from_bucket: list[tuple[int, str]] = []
    page.on(
        "response",
        lambda r: (
            from_bucket.append((r.status, r.request.headers.get("range", "")))
            if r.url.startswith(origins[0] + "/")
            else None
        ),
    )
    login(page, "ann")
    page.goto(f"/projects/{p.pk}/annotate")
    page.get_by_test_id("annotate").wait_for()
    page.wait_for_function("() => document.querySelector('video').readyState >= 1")
    source = page.evaluate("() => document.querySelector('video').currentSrc")
    assert source.endswith(f"/api/assets/{asset.pk}/files/display")
    counter = page.get_by_test_id("frame-counter")
    expect(counter).to_contain_text("frame 1/")
    # a seek far into the video: the browser asks the bucket for a range
    duration = page.evaluate("() => document.querySelector('video').duration")
    assert duration > 1
    page.evaluate(
        """(t) => new Promise((done) => { const v = document.querySelector('video');
             v.addEventListener('seeked', () => done(), { once: true }); v.currentTime = t; })""",
        duration * 0.8,
    )
    assert page.evaluate("() => document.querySelector('video').currentTime") == pytest.approx(duration * 0.8, abs=0.2)
    page.wait_for_function("() => document.querySelector('video').readyState >= 2")
    # the bytes came from the bucket, by range (a 206 for a range starting past the first byte)
    assert from_bucket and all(status in (200, 206) for status, _ in from_bucket), from_bucket
    assert any(status == 206 and not rng.startswith("bytes=0-") for status, rng in from_bucket), from_bucket
    assert page.evaluate("() => window.__violations") == []
