"""The client's pure rules, without a server: which project `--project` names, dataset names,
version compatibility, Retry-After, and which exception (and exit code) a refusal becomes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from django.conf import settings
from visionreward_client import (
    API_VERSION,
    AuthenticationError,
    NotFound,
    Project,
    RateLimited,
    ServerError,
    ValidationError,
    __version__,
    compatible,
    dataset_name,
    resolve_project,
)
from visionreward_client.cli import exit_code
from visionreward_client.client import _retry_after, _version_label
from visionreward_client.errors import error_for

CLIENT = Path(__file__).resolve().parents[2] / "client"


def projects(*names_and_slugs):
    return [
        Project(id=n + 1, name=name, media_type="image", slug=slug) for n, (name, slug) in enumerate(names_and_slugs)
    ]


DEMO = projects(("VisionReward image demo", "demo"), ("VisionReward video demo", "video-demo"), ("Cats", None))


@pytest.mark.parametrize(
    ("ref", "found"),
    [
        ("demo", 1),  # the slug wins over the two names containing "demo"
        ("DEMO", 1),
        ("video-demo", 2),
        ("visionreward video demo", 2),  # the whole name, any case
        ("cat", 3),  # a unique beginning
        ("video", 2),  # a unique part
    ],
)
def test_project_refs_resolve_by_slug_name_prefix_then_part(ref, found):
    assert resolve_project(ref, DEMO).id == found


def test_an_ambiguous_project_ref_lists_the_candidates_and_an_unknown_one_is_not_found():
    with pytest.raises(ValidationError, match=r"matches 2 projects \(#1 'VisionReward image demo', #2 'Vision"):
        resolve_project("visionreward", DEMO)
    with pytest.raises(NotFound, match="No project 'dogs'"):
        resolve_project("dogs", DEMO)


def test_dataset_names_follow_the_api_alphabet():
    assert dataset_name("VisionReward image demo") == "visionreward-image-demo"
    assert dataset_name("  Ünïcode & such!! v2.1 ") == "n-code-such-v2.1"
    assert dataset_name("!!!") == "dataset"
    assert _version_label("visionreward-image-demo-v3") == ("visionreward-image-demo", 3)
    assert _version_label("cats:2") == ("cats", 2)
    assert _version_label("cats") == ("cats", None)


def test_the_client_version_is_the_server_api_version():
    """The rule of docs/client.md: same MAJOR.MINOR as the API version the server's schema reports."""
    assert tomllib.loads((CLIENT / "pyproject.toml").read_text())["project"]["version"] == __version__
    assert compatible(settings.SPECTACULAR_SETTINGS["VERSION"]) and __version__.startswith(API_VERSION + ".")
    assert compatible(API_VERSION + ".7") and not compatible("0.2.0") and not compatible("1.1.0")
    assert re.search(r"^-e \./client\b", (CLIENT.parent / "requirements-dev.txt").read_text(), re.M)


def test_retry_after_reads_seconds_and_http_dates():
    assert _retry_after("3") == 3.0 and _retry_after("-1") == 0.0
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert _retry_after("soon") is None and _retry_after(None) is None


def test_refusals_become_exceptions_with_the_api_message_and_exit_codes():
    bad = error_for(400, {"detail": "name: Use lower-case letters.", "errors": {"name": ["Use lower-case letters."]}})
    assert isinstance(bad, ValidationError) and bad.message == "name: Use lower-case letters."
    assert bad.errors == {"name": ["Use lower-case letters."]} and exit_code(bad) == 1
    bare = error_for(400, {"projects": ["This field is required."]})
    assert bare.message == "projects: This field is required." and bare.errors == {
        "projects": ["This field is required."]
    }
    assert exit_code(error_for(401, {"detail": "Invalid token."})) == 3
    assert isinstance(error_for(401, {}), AuthenticationError)
    assert exit_code(error_for(404, {"detail": "Not found."})) == 4
    limited = error_for(429, {"detail": "Slow down."}, retry_after=5)
    assert isinstance(limited, RateLimited) and limited.retry_after == 5 and exit_code(limited) == 1
    failing = error_for(502, "<html>Bad gateway</html>")
    assert isinstance(failing, ServerError) and failing.message == "HTTP 502" and exit_code(failing) == 6


def test_a_downloaded_folder_must_match_the_version_files_and_media_their_sha256(tmp_path):
    import hashlib

    from visionreward_client import VRError, verify_files

    content = b"an image"
    name = f"media/{hashlib.sha256(content).hexdigest()[:2]}/{hashlib.sha256(content).hexdigest()}.jpg"
    (tmp_path / name).parent.mkdir(parents=True)
    (tmp_path / name).write_bytes(content)
    (tmp_path / "README.md").write_text("card")
    assert verify_files(tmp_path, ["README.md", name]) == 2
    with pytest.raises(VRError, match="missing \\['default/train.parquet'\\]"):
        verify_files(tmp_path, ["README.md", name, "default/train.parquet"])
    (tmp_path / name).write_bytes(b"another image")
    with pytest.raises(VRError, match="is damaged"):
        verify_files(tmp_path, ["README.md", name])


def test_refused_logins_are_known_by_the_apis_sentences():
    from visionreward_client.client import _refused_login

    for message in (
        "Invalid token.",
        "Authentication credentials were not provided.",
        "This token (vrp_abcdefgh…) was revoked: make a new one on your account page.",
        "This token (vrp_abcdefgh…) expired: make a new one on your account page.",
        "This token's account is deactivated.",
    ):
        assert _refused_login(message), message
    assert not _refused_login("Only the project's managers (or staff) can import.")


def test_a_next_link_is_followed_on_the_clients_own_server_only():
    """A proxy may write another host or scheme into `next`: the token goes to the client's server."""
    from visionreward_client import Client

    with Client("http://127.0.0.1:1/vr", "vrp_x") as vr:
        assert vr._same_server("https://elsewhere.example/vr/api/tasks/?limit=2&offset=2") == (
            "/api/tasks/?limit=2&offset=2"
        )
    with Client("http://127.0.0.1:1", "vrp_x") as vr:
        assert vr._same_server("http://127.0.0.1:1/api/jobs/?offset=100") == "/api/jobs/?offset=100"
