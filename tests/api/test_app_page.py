"""The browser app's page: served at / and at every client route, rebuilt pages picked up."""

import os

import pytest

pytestmark = pytest.mark.django_db


def test_every_client_route_serves_the_built_page_with_a_csrf_cookie(client, settings, tmp_path):
    settings.FRONTEND_DIST = tmp_path
    index = tmp_path / "index.html"
    index.write_text("<html>build one</html>")
    for url in (
        "/",
        "/login",
        "/projects",
        "/projects/3/annotate",
        "/forgot-password",
        "/reset-password",
        "/invitation",
        "/account",
    ):
        response = client.get(url)
        assert response.status_code == 200 and b"build one" in response.content, url
        assert "csrftoken" in response.cookies
    index.write_text("<html>build two</html>")
    stat = index.stat()
    os.utime(index, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert b"build two" in client.get("/projects").content  # a new build is served without a restart


def test_an_unbuilt_app_says_how_to_build_it(client, settings, tmp_path):
    settings.FRONTEND_DIST = tmp_path
    response = client.get("/")
    assert response.status_code == 503 and b"npm run build" in response.content
