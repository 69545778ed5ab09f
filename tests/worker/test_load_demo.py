"""`python manage.py load_demo` creates the demo and is idempotent."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from annotator.models import Asset, Membership, Project, Task
from worker.models import Job, WeightSet

from .conftest import assert_disk_matches_rows

pytestmark = pytest.mark.django_db


def snapshot():
    return {
        "users": sorted(get_user_model().objects.values_list("username", "is_staff", "is_superuser", "password")),
        "projects": sorted(
            Project.objects.values_list("id", "name", "media_type", "checklist_version__key", "overlap")
        ),
        "members": sorted(Membership.objects.values_list("project_id", "user__username", "role")),
        "assets": sorted(Asset.objects.values_list("id", "project_id", "original_name", "status", "sha256")),
        "tasks": Task.objects.count(),
        "jobs": sorted(Job.objects.values_list("id", "state")),
        "weight_sets": sorted(WeightSet.objects.values_list("id", "project_id", "status", "source")),
    }


def test_load_demo_twice_is_idempotent(monkeypatch, _media_root):
    monkeypatch.setenv("HOST", "0.0.0.0")
    monkeypatch.setenv("PORT", "9123")
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    text = out.getvalue()
    assert "http://0.0.0.0:9123/" in text and "admin / admin" in text and "annotator / annotator" in text

    User = get_user_model()
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser and admin.check_password("admin")
    assert User.objects.get(username="annotator").check_password("annotator")
    image = Project.objects.get(name="VisionReward image demo")
    video = Project.objects.get(name="VisionReward video demo")
    assert image.media_type == "image" and image.checklist_version.key == "visionreward-image"
    assert video.media_type == "video" and video.checklist_version.key == "visionreward-video"
    assert image.overlap == 1 and image.instructions
    for project, names in ((image, {"test1.jpg", "test2.jpg"}), (video, {"test1.mp4", "test2.mp4"})):
        roles = dict(Membership.objects.filter(project=project).values_list("user__username", "role"))
        assert roles == {"admin": "manager", "annotator": "annotator"}
        assets = Asset.objects.filter(project=project)
        assert set(assets.values_list("original_name", flat=True)) == names
        assert all(a.status == Asset.Status.READY for a in assets)
        assert Task.objects.filter(project=project).count() == 2
        assert_disk_matches_rows(_media_root, project)
    assert set(Job.objects.values_list("state", flat=True)) == {Job.State.SUCCEEDED}
    # the published weights are the demo's active weight sets (nobody answered yet: no scores)
    for project in (image, video):
        ws = WeightSet.objects.get(project=project)
        assert (ws.status, ws.source) == ("active", "public")

    before = snapshot()
    call_command("load_demo", stdout=io.StringIO())
    assert snapshot() == before
