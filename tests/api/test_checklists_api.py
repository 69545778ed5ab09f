import pytest

from annotator.models import ChecklistVersion
from tests.factories import api, user

pytestmark = pytest.mark.django_db

SMALL = """
key: tiny
title: Tiny checklist
media_type: image
dimensions:
  - key: quality
    title: Quality
    sub_dimensions:
      - key: clarity
        title: Clarity
        options:
          - {code: 1, label: clear}
          - {code: 0, label: ordinary}
          - {code: -1, label: blurry}
        questions:
          - {key: clear, text: "Is the image clear?", yes_if_at_least: 1}
          - {key: not_blurry, text: "Is the image not blurry?", yes_if_at_least: 0}
"""


def test_builtin_checklists_are_loaded_after_migrate():
    image = ChecklistVersion.objects.get(key="visionreward-image")
    video = ChecklistVersion.objects.get(key="visionreward-video")
    assert (image.question_count, image.sub_dimension_count, image.builtin) == (59, 17, True)
    assert (video.question_count, video.sub_dimension_count) == (64, 20)


def test_admin_loads_a_checklist_and_identical_content_is_not_duplicated():
    admin = user("root", staff=True)
    client = api(admin)
    first = client.post("/api/checklists/", {"content": SMALL, "filename": "tiny.yaml"}, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["version"] == 1
    assert [q["key"] for q in first.json()["questions"]] == ["clear", "not_blurry"]
    again = client.post("/api/checklists/", {"content": SMALL, "filename": "tiny.yaml"}, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert "identical" in again.json()["detail"]


def test_editing_a_checklist_makes_a_new_version_and_keeps_the_old():
    client = api(user("root", staff=True))
    v1 = client.post("/api/checklists/", {"content": SMALL}, format="json").json()
    edited = SMALL.replace("Is the image clear?", "Is the image sharp?")
    v2 = client.post("/api/checklists/", {"content": edited}, format="json")
    assert v2.status_code == 201
    assert v2.json()["version"] == 2 and v2.json()["content_hash"] != v1["content_hash"]
    assert client.get(f"/api/checklists/{v1['id']}/").json()["questions"][0]["text"] == "Is the image clear?"


def test_uploaded_file_with_problems_gets_every_problem_with_its_path():
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api(user("root", staff=True))
    bad = SMALL.replace("yes_if_at_least: 0}", "yes_if_at_least: 7}").replace("title: Clarity", "titel: Clarity")
    response = client.post(
        "/api/checklists/", {"file": SimpleUploadedFile("bad.yaml", bad.encode())}, format="multipart"
    )
    assert response.status_code == 400
    body = response.json()
    paths = [p["path"] for p in body["errors"]["file"]]
    assert any("questions[1].yes_if_at_least" in p for p in paths), paths
    assert any("titel" in p["path"] or "titel" in p["message"] for p in body["errors"]["file"])
    assert "bad.yaml" in body["detail"]
    assert not ChecklistVersion.objects.filter(key="tiny").exists()


def test_only_admins_load_checklists_but_everyone_reads_them():
    client = api(user("ann"))
    assert client.post("/api/checklists/", {"content": SMALL}, format="json").status_code == 403
    listed = client.get("/api/checklists/").json()["results"]
    assert {c["key"] for c in listed} >= {"visionreward-image", "visionreward-video"}


def test_missing_body_names_the_field():
    response = api(user("root", staff=True)).post("/api/checklists/", {}, format="json")
    assert response.status_code == 400
    assert "file" in response.json()["detail"]


def test_translations_travel_with_the_checklist_and_their_problems_have_lines():
    client = api(user("root", staff=True))
    translated = SMALL.replace(
        "        title: Clarity\n",
        "        title: Clarity\n        translations:\n          zh-CN: {title: 清晰度}\n",
    ).replace("{code: 1, label: clear}", "{code: 1, label: clear, translations: {zh-CN: {label: 清晰}}}")
    loaded = client.post("/api/checklists/", {"content": translated, "filename": "tiny.yaml"}, format="json")
    assert loaded.status_code == 201, loaded.content
    detail = client.get(f"/api/checklists/{loaded.json()['id']}/").json()
    sub = detail["definition"]["dimensions"][0]["sub_dimensions"][0]
    assert sub["translations"] == {"zh-CN": {"title": "清晰度"}}
    assert sub["options"][0]["translations"] == {"zh-CN": {"label": "清晰"}}

    bad = translated.replace("{title: 清晰度}", "{titel: 清晰度}")
    response = client.post("/api/checklists/validate/", {"content": bad, "filename": "tiny.yaml"}, format="json")
    assert response.status_code == 400
    problem = next(p for p in response.json()["errors"]["file"] if "titel" in p["path"])
    assert problem["path"] == "dimensions[0].sub_dimensions[0].translations.zh-CN.titel"
    assert "did you mean 'title'" in problem["message"] and problem["line"] == 12
