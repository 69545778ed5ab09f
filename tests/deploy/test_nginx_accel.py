"""Stored files behind nginx (docker-compose.yml's `nginx` service, deploy/nginx.conf): with
VR_ACCEL_REDIRECT on, the app checks who may read a file and answers X-Accel-Redirect with no
body; a real nginx process running the shipped config sends the bytes, Range requests included,
with the app's protective headers, and its internal locations cannot be fetched directly."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from annotator.files import VIDEO_CSP
from annotator.models import Membership
from tests import factories as f
from tests.deploy.nginx import NGINX, nginx_in_front

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed (.ci/run installs it)"),
]


@pytest.fixture
def nginx(live_server, tmp_path, settings):
    """deploy/nginx.conf with only its upstream, port, roots and scratch paths put to this test's."""
    with nginx_in_front(live_server.url, settings, tmp_path) as url:
        yield url


def test_nginx_sends_a_members_video_with_range_requests_and_the_app_sends_no_bytes(
    nginx, live_server, settings, add_asset
):
    settings.VR_ACCEL_REDIRECT = True
    member, outsider = f.user("ann"), f.user("eve")
    project = f.project(media_type="video", members={member: Membership.Role.ANNOTATOR})
    asset = add_asset(project, "test1.mp4", "a sample video")
    video = (Path(settings.MEDIA_ROOT) / asset.files["display"]).read_bytes()
    path = f"/api/assets/{asset.pk}/files/display"

    # the app itself: the permission check and the headers, no bytes
    direct = requests.get(live_server.url + path, auth=("ann", "pw"), timeout=30)
    assert direct.status_code == 200 and direct.content == b""
    assert direct.headers["X-Accel-Redirect"] == f"/_protected/media/{asset.files['display']}"

    # through nginx: the whole file, then a range (what a video element's seek asks for)
    whole = requests.get(nginx + path, auth=("ann", "pw"), timeout=30)
    assert whole.status_code == 200 and whole.content == video
    assert whole.headers["Content-Type"] == "video/mp4"
    assert "X-Accel-Redirect" not in whole.headers
    for response in (whole, requests.get(nginx + path, auth=("ann", "pw"), headers={"Range": "bytes=1000-1999"})):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Security-Policy"] == VIDEO_CSP
        assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    ranged = requests.get(nginx + path, auth=("ann", "pw"), headers={"Range": "bytes=1000-1999"}, timeout=30)
    assert ranged.status_code == 206 and ranged.content == video[1000:2000]
    assert ranged.headers["Content-Range"] == f"bytes 1000-1999/{len(video)}"

    # who may not read it still may not, and the internal location is not a way round the check
    assert requests.get(nginx + path, auth=("eve", "pw"), timeout=30).status_code == 404
    assert requests.get(nginx + path, timeout=30).status_code in (401, 403)
    internal = requests.get(f"{nginx}/_protected/media/{asset.files['display']}", auth=("ann", "pw"), timeout=30)
    assert internal.status_code == 404 and internal.content != video
    assert outsider.pk  # (eve exists: the 404 above is the permission check, not an unknown user)


def test_nginx_sends_collected_static_files_itself_and_passes_the_rest_to_the_app(nginx, live_server, tmp_path):
    """The image's /srv/static (the Dockerfile's proxy stage) is sent by nginx, hashed build files
    cached for good; a static name it lacks, and every page, still reach the app."""
    assets = tmp_path / "srv" / "static" / "app" / "assets"
    assets.mkdir(parents=True)
    (assets / "index-abc123.js").write_text("console.log('built')")
    (tmp_path / "srv" / "static" / "robots.txt").write_text("User-agent: *")
    built = requests.get(f"{nginx}/static/app/assets/index-abc123.js", timeout=30)
    assert built.status_code == 200 and built.text == "console.log('built')"
    assert "immutable" in built.headers["Cache-Control"] and built.headers["X-Content-Type-Options"] == "nosniff"
    other = requests.get(f"{nginx}/static/robots.txt", timeout=30)
    assert (
        other.status_code == 200 and other.text == "User-agent: *" and "max-age=3600" in other.headers["Cache-Control"]
    )
    # not collected here: the app answers (WhiteNoise serves the admin's files from its finders)
    admin_css = requests.get(f"{nginx}/static/admin/css/base.css", timeout=30)
    assert admin_css.status_code == 200 and "body" in admin_css.text
    assert requests.get(f"{nginx}/healthz", timeout=30).status_code == 200
