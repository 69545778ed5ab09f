"""Reading other projects' files (and local files, and URLs) through a playlist named .mp4.

A manager of project A uploads, through the API of a live server whose imports run on a real
Celery worker, text files that ffmpeg would read as playlists: HLS listing project B's real media
file by its (guessable) path under MEDIA_ROOT, HLS listing a local file outside the media folder,
HLS listing a URL of a tiny HTTP server this test runs on 127.0.0.1, and an ffconcat file
listing B's file by a relative path. Next to them, one real video.

Each playlist fails with its reason and the rest of the import goes on; the HTTP server saw no
request; nothing of B's file or the local file appears in A's media folder or in any answer.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from annotator.models import Asset, Membership
from tests import factories as f
from tests.security import live_media
from tests.security.live_media import Api, files_under

real_worker, recorder = live_media.real_worker, live_media.recorder  # the fixtures this module uses

pytestmark = pytest.mark.django_db(transaction=True)

HLS_REASON = "the file is a playlist (hls) that refers to other files; upload the media itself"
CONCAT_REASON = "the file is a playlist (concat) that refers to other files; upload the media itself"


def make_clip(path: Path, *, seed: int, fmt: str | None = None) -> Path:
    """A tiny real video (1 s, 32x32) of random noise (so its bytes are its own), mp4 or MPEG-TS."""
    noise = f"color=gray:s=32x32:r=10:d=1,noise=alls=100:allf=t+u:all_seed={seed}"
    args = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", noise]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if fmt:
        args += ["-f", fmt]
    subprocess.run([*args, str(path)], check=True, timeout=60)
    return path


def hls(*segments: str) -> bytes:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:2", "#EXT-X-MEDIA-SEQUENCE:0"]
    for segment in segments:
        lines += ["#EXTINF:1.0,", segment]
    return ("\n".join([*lines, "#EXT-X-ENDLIST"]) + "\n").encode()


def test_playlists_never_reach_outside_the_uploaded_file(live_server, real_worker, recorder, tmp_path):
    media = Path(settings.MEDIA_ROOT)
    manager_a, manager_b = f.user("mallory"), f.user("bob")
    project_a = f.project(media_type="video", name="attacker", members={manager_a: Membership.Role.MANAGER})
    project_b = f.project(media_type="video", name="victim", members={manager_b: Membership.Role.MANAGER})

    # B's real media file, where B's assets live (projects/<id>/assets/<id>/original.ts)
    victim_asset = Asset.objects.create(project=project_b, kind="video", status="ready", original_name="b.ts")
    victim_dir = media / "projects" / str(project_b.pk) / "assets" / str(victim_asset.pk)
    victim_dir.mkdir(parents=True)
    victim_ts = make_clip(victim_dir / "original.ts", seed=1, fmt="mpegts")
    victim_mp4 = make_clip(victim_dir / "display.mp4", seed=2)
    # a local media file outside the media folder
    local_secret = make_clip(tmp_path / "secret.ts", seed=3, fmt="mpegts")
    before_b = files_under(victim_dir)

    # uploads are staged as MEDIA_ROOT/staging/<hex>/entries/NNNNNN.mp4: a relative path climbs out
    relative_victim = os.path.relpath(victim_mp4, media / "staging" / "0123abcd" / "entries")
    uploads = [
        ("other-project.mp4", hls(str(victim_ts))),
        ("local-file.mp4", hls(str(local_secret))),
        ("remote-url.mp4", hls(f"{recorder.url}/segment0.ts")),
        ("concat.mp4", f"ffconcat version 1.0\nfile '{relative_victim}'\nfile '{victim_mp4}'\n".encode()),
        ("real.mp4", make_clip(tmp_path / "real.mp4", seed=4).read_bytes()),
    ]

    api = Api(live_server.url, manager_a)
    job = api.import_files(project_a, uploads)

    assert job["state"] == "succeeded", job
    assert (job["result"]["imported"], job["result"]["failed"]) == (1, 4), job["result"]
    by_name = {a["original_name"]: a for a in api.assets(project_a)}
    assert {name: (a["status"], a["failure_reason"]) for name, a in by_name.items()} == {
        "other-project.mp4": ("failed", HLS_REASON),
        "local-file.mp4": ("failed", HLS_REASON),
        "remote-url.mp4": ("failed", HLS_REASON),
        "concat.mp4": ("failed", CONCAT_REASON),
        "real.mp4": ("ready", ""),
    }
    # the failed assets have no files at all; the real one is served
    for name, asset in by_name.items():
        original = api.get(f"/api/assets/{asset['id']}/files/original")
        assert original.status_code == (200 if name == "real.mp4" else 404), (name, original.status_code)

    assert recorder.requests == [], "ffmpeg called out to the network"

    # nothing of B's file or of the local file appears in A's media folder, in any answer or in the log
    secrets = [victim_ts.read_bytes(), victim_mp4.read_bytes(), local_secret.read_bytes()]
    samples = [data[len(data) // 2 : len(data) // 2 + 64] for data in secrets]
    a_files = files_under(media / "projects" / str(project_a.pk))
    assert a_files, "the real video was stored"
    for rel, data in a_files.items():
        assert not any(sample in data for sample in samples), f"{rel} holds bytes of another file"
    answers = [api.get(f"/api/jobs/{job['id']}/").content, api.get(f"/api/projects/{project_a.pk}/assets/").content]
    for answer in answers:
        assert not any(sample in answer for sample in samples)
        assert str(victim_dir).encode() not in answer and str(local_secret).encode() not in answer
    # B's files are untouched, and the import left no staging behind
    assert files_under(victim_dir) == before_b
    assert not any((media / "staging").rglob("*.mp4"))
