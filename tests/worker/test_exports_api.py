"""Export requests: validation naming each field, nothing half-saved, who may export and see
which versions, version numbering."""

from __future__ import annotations

import pytest

from annotator.models import Membership
from datasets_app.models import DatasetVersion
from tests import factories as f
from worker.models import Job

pytestmark = pytest.mark.django_db


def request(client, body):
    return client.post("/api/exports/", body, format="json")


def test_bad_requests_name_the_field_and_write_nothing(image_project, video_project, people):
    client = f.api(people["manager"])
    cases = [
        ({"projects": [image_project.pk]}, "name"),
        ({"name": "Has Spaces", "projects": [image_project.pk]}, "name"),
        ({"name": "hpd"}, "projects"),
        ({"name": "hpd", "projects": [999999]}, "projects"),
        ({"name": "hpd", "projects": [image_project.pk, video_project.pk]}, "projects"),
        ({"name": "hpd", "projects": [image_project.pk], "colour": 1}, "colour"),
        ({"name": "hpd", "projects": [image_project.pk], "settings": {"combine": "mean"}}, "settings.combine"),
        (
            {"name": "hpd", "projects": [image_project.pk], "settings": {"split_ratios": {"train": 0.5}}},
            "settings.split_ratios",
        ),
        ({"name": "hpd", "projects": [image_project.pk], "settings": {"embed_media": "yes"}}, "settings.embed_media"),
        ({"name": "hpd", "projects": [image_project.pk], "settings": {"sead": 1}}, "settings.sead"),
        ({"name": "hpd", "projects": [image_project.pk], "weight_set": 12345}, "weight_set"),
    ]
    for body, field in cases:
        response = request(client, body)
        assert response.status_code == 400, body
        assert field in response.json()["errors"], (body, response.json())
        assert field in response.json()["detail"]
    assert "Did you mean `seed`?" in str(request(client, cases[9][0]).json())
    assert not DatasetVersion.objects.exists() and not Job.objects.exists()


def test_only_managers_and_researchers_export(image_project, people):
    body = {"name": "hpd", "projects": [image_project.pk]}
    response = request(f.api(people["annotator"]), body)
    assert response.status_code == 400 and "Only managers and researchers" in str(response.json())
    response = request(f.api(people["outsider"]), body)
    assert response.status_code == 400 and "not a member" in str(response.json())
    assert not DatasetVersion.objects.exists()


def test_an_export_writes_a_queued_version_and_its_job(image_project, people):
    client = f.api(people["researcher"])
    body = {"name": "hpd-image", "projects": [image_project.pk], "settings": {"combine": "all", "seed": 3}}
    first = request(client, body)
    assert first.status_code == 202, first.content
    version = first.json()["dataset_version"]
    assert (version["name"], version["version"], version["label"], version["state"]) == (
        "hpd-image",
        1,
        "hpd-image v1",
        "queued",
    )
    assert version["settings"]["combine"] == "all" and version["settings"]["split_ratios"]["train"] == 0.8
    assert version["download"] is None
    job = Job.objects.get(pk=first.json()["job"]["id"])
    assert job.kind == "export" and job.params == {"dataset_version": version["id"]}
    assert request(client, body).json()["dataset_version"]["version"] == 2

    listed = client.get("/api/dataset-versions/").json()
    assert [v["version"] for v in listed["results"]] == [2, 1]
    assert f.api(people["outsider"]).get(f"/api/dataset-versions/{version['id']}/").status_code == 404
    assert f.api(people["annotator"]).get("/api/dataset-versions/").json()["count"] == 0
    not_ready = client.get(f"/api/dataset-versions/{version['id']}/download/")
    assert not_ready.status_code == 400 and "queued" in str(not_ready.json())


def test_a_version_of_two_projects_is_visible_only_to_who_may_see_both(people):
    a = f.project(name="a", members={people["manager"]: Membership.Role.MANAGER})
    b = f.project(name="b", members={people["manager"]: Membership.Role.MANAGER, people["researcher"]: "researcher"})
    response = request(f.api(people["manager"]), {"name": "both", "projects": [a.pk, b.pk]})
    assert response.status_code == 202, response.content
    assert f.api(people["manager"]).get("/api/dataset-versions/").json()["count"] == 1
    assert f.api(people["researcher"]).get("/api/dataset-versions/").json()["count"] == 0
