"""Setting a project up in the browser: the checklist dry run (problems by path and line, or a
preview), changing a project's checklist with its consequences stated first, pair tasks on."""

from __future__ import annotations

import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotator.checklist import parse_checklist
from annotator.models import Annotation, Assignment, ChecklistVersion, GoldCheck, Project, Task
from tests.factories import LAB_CHECKLIST, api, checklist_version, project, ready_asset, user

pytestmark = pytest.mark.django_db

V1 = LAB_CHECKLIST

# v2: clarity carries over, color gets another option (changed), noise is new.
V2 = (
    V1.replace(
        "          - {code: 0, label: dull}\n",
        "          - {code: 0, label: dull}\n          - {code: -1, label: grey}\n",
    )
    + """\
      - key: noise
        title: Noise
        options:
          - {code: 1, label: clean}
          - {code: 0, label: noisy}
        questions:
          - {key: clean, text: "Is the image free of noise?", yes_if_at_least: 1}
"""
)


def admin_client():
    return api(user("root", staff=True))


def line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


def validate(client, text: str, name: str = "lab.yaml"):
    return client.post(
        "/api/checklists/validate/", {"file": SimpleUploadedFile(name, text.encode())}, format="multipart"
    )


# --- the dry run ---------------------------------------------------------------------------


def test_a_valid_file_answers_its_preview_and_saves_nothing():
    client = admin_client()
    before = ChecklistVersion.objects.count()
    response = validate(client, V1)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["key"], body["media_type"], body["question_count"], body["sub_dimension_count"]) == (
        "lab",
        "image",
        3,
        2,
    )
    assert [q["key"] for q in body["questions"]] == ["clear", "not_blurry", "vivid"]
    subs = body["definition"]["dimensions"][0]["sub_dimensions"]
    assert [o["label"] for o in subs[0]["options"]] == ["clear", "ordinary", "blurry"]
    assert body["existing"] is None and body["version"] == 1
    assert ChecklistVersion.objects.count() == before
    # once loaded, the same file is named as that version
    loaded = client.post("/api/checklists/", {"content": V1, "filename": "lab.yaml"}, format="json").json()
    again = validate(client, V1).json()
    assert again["existing"]["id"] == loaded["id"] and again["version"] == 1
    assert validate(client, V2).json()["version"] == 2


def test_problems_come_with_path_and_line():
    client = admin_client()
    bad = V1.replace("yes_if_at_least: 0}", "yes_if_at_least: seven}").replace("title: Color", "titel: Color")
    response = validate(client, bad)
    assert response.status_code == 400
    problems = response.json()["errors"]["file"]
    by_path = {p["path"]: p for p in problems}
    threshold = by_path["dimensions[0].sub_dimensions[0].questions[1].yes_if_at_least"]
    assert threshold["line"] == line_of(bad, "yes_if_at_least: seven")
    assert isinstance(threshold["column"], int)
    unknown = next(p for p in problems if "titel" in p["path"])
    assert unknown["line"] == line_of(bad, "titel: Color")
    assert f"(line {threshold['line']})" in response.json()["detail"]
    assert not ChecklistVersion.objects.filter(key="lab").exists()


def test_bad_yaml_syntax_names_its_line():
    bad = V1.replace("title: Clarity", "title: [Clarity")
    problems = validate(admin_client(), bad).json()["errors"]["file"]
    assert problems[0]["path"] == "" and problems[0]["line"] >= line_of(bad, "title: [Clarity")
    assert "syntax" in problems[0]["message"]


def test_wrong_types_in_json_have_their_lines():
    data = parse_checklist(V1).to_dict()
    data["dimensions"][0]["sub_dimensions"][1]["options"] = "vivid, dull"
    data["title"] = 12
    text = json.dumps(data, indent=2)
    problems = validate(admin_client(), text, "lab.json").json()["errors"]["file"]
    by_path = {p["path"]: p for p in problems}
    assert by_path["dimensions[0].sub_dimensions[1].options"]["line"] == line_of(text, '"options": "vivid, dull"')
    assert by_path["title"]["line"] == line_of(text, '"title": 12')


def test_duplicate_keys_point_at_the_repeated_key():
    bad = V1.replace("        title: Clarity\n", "        title: Clarity\n        title: Sharpness\n")
    problems = validate(admin_client(), bad).json()["errors"]["file"]
    duplicate = next(p for p in problems if "duplicate" in p["message"])
    assert duplicate["line"] == line_of(bad, "title: Sharpness")


def test_oversize_and_not_text_are_refused_with_the_field():
    client = admin_client()
    big = validate(client, "# " + "x" * (2 * 1024 * 1024 + 10))
    assert big.status_code == 400 and "2 MB" in big.json()["errors"]["file"]
    text = client.post("/api/checklists/validate/", {"content": "#" * (2 * 1024 * 1024 + 1)}, format="json")
    assert text.status_code == 400 and "content" in text.json()["errors"]
    binary = client.post(
        "/api/checklists/validate/",
        {"file": SimpleUploadedFile("lab.yaml", b"\xff\xfe\x00bad")},
        format="multipart",
    )
    assert binary.status_code == 400 and "UTF-8" in binary.json()["errors"]["file"][0]["message"]
    aliases = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)
    )
    bomb = validate(client, aliases)
    assert bomb.status_code == 400 and "nodes" in bomb.json()["errors"]["file"][0]["message"]


def test_only_checklist_loaders_run_the_dry_run():
    assert validate(api(user("ann")), V1).status_code == 403


def test_the_create_endpoint_reports_lines_too():
    bad = V1.replace("yes_if_at_least: 0}", "yes_if_at_least: seven}")
    response = admin_client().post("/api/checklists/", {"content": bad, "filename": "lab.yaml"}, format="json")
    assert response.status_code == 400
    problem = response.json()["errors"]["file"][0]
    assert problem["line"] == line_of(bad, "yes_if_at_least: seven")


# --- changing a project's checklist --------------------------------------------------------


@pytest.fixture
def answered():
    """A project on V1 with one annotation, one live draft and one open task."""
    v1 = checklist_version(V1)
    v2 = checklist_version(V2)
    boss, ann, bea = user("boss"), user("ann"), user("bea")
    p = project(checklist_version=v1, members={boss: "manager", ann: "annotator", bea: "annotator"})
    for index in range(3):
        ready_asset(p, name=f"{index}.jpg")
    annotator = api(ann)
    first = annotator.post(f"/api/projects/{p.pk}/tasks/next/").json()
    done = annotator.post(
        f"/api/assignments/{first['id']}/submit/",
        {"client_id": str(uuid.uuid4()), "options": {"clarity": 1, "color": 0}},
        format="json",
    )
    assert done.status_code == 201, done.content
    live = api(bea).post(f"/api/projects/{p.pk}/tasks/next/").json()
    drafted = api(bea).put(
        f"/api/assignments/{live['id']}/draft/", {"options": {"clarity": 0, "color": 1}}, format="json"
    )
    assert drafted.status_code == 200, drafted.content
    return p, v1, v2, api(boss), annotator, done.json(), live


def test_the_consequences_are_stated_before_anything_changes(answered):
    p, v1, v2, manager, _, _, _ = answered
    response = manager.post(f"/api/projects/{p.pk}/checklist/", {"checklist_version": v2.pk}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["applied"] is False
    assert (body["from"]["version"], body["to"]["version"]) == (1, 2)
    assert body["annotations"] == {"total": 1, "under_current": 1}
    assert body["sub_dimensions"] == {"kept": ["clarity"], "changed": ["color"], "new": ["noise"], "dropped": []}
    assert body["questions"]["new"] == ["clean"] and body["questions"]["kept"] == ["clear", "not_blurry", "vivid"]
    assert body["tasks"] == {"done": 1, "unfinished": 2, "drafts": 1, "drafts_losing_answers": 1}
    said = " ".join(body["consequences"])
    assert "1 annotation made with lab v1 keeps that version" in said
    assert "1 finished task stays finished" in said and "Weight sets" in said
    assert Project.objects.get(pk=p.pk).checklist_version_id == v1.pk


def test_confirming_applies_it_and_old_answers_keep_their_version(answered):
    p, v1, v2, manager, annotator, annotation, live = answered
    response = manager.post(
        f"/api/projects/{p.pk}/checklist/", {"checklist_version": v2.pk, "confirm": True}, format="json"
    )
    assert response.status_code == 200 and response.json()["applied"] is True
    assert Project.objects.get(pk=p.pk).checklist_version_id == v2.pk
    assert Annotation.objects.get(pk=annotation["id"]).checklist_version_id == v1.pk
    # the draft keeps the answer that means the same (clarity) and drops the changed one (color)
    assert Assignment.objects.get(pk=live["id"]).draft["options"] == {"clarity": 0}
    # the finished task stays finished; revising the old annotation is refused, with why
    assert Task.objects.filter(project=p, status="done").count() == 1
    revised = annotator.put(
        f"/api/annotations/{annotation['id']}/",
        {"client_id": str(uuid.uuid4()), "options": {"clarity": 1, "color": 0, "noise": 1}},
        format="json",
    )
    assert revised.status_code == 409 and "lab v1" in revised.json()["detail"]
    # the next submit uses the new questions
    new_answer = annotator.post(f"/api/projects/{p.pk}/tasks/next/").json()
    submitted = annotator.post(
        f"/api/assignments/{new_answer['id']}/submit/",
        {"client_id": str(uuid.uuid4()), "options": {"clarity": 1, "color": -1, "noise": 0}},
        format="json",
    )
    assert submitted.status_code == 201, submitted.content
    assert Annotation.objects.get(pk=submitted.json()["id"]).checklist_version_id == v2.pk
    again = manager.post(f"/api/projects/{p.pk}/checklist/", {"checklist_version": v2.pk}, format="json")
    assert again.status_code == 400 and "already uses" in again.json()["errors"]["checklist_version"][0]


def test_gold_checks_carry_over_only_when_their_answers_mean_the_same(answered):
    p, v1, _, manager, _, _, _ = answered
    task = Task.objects.filter(project=p, status="open").first()
    made = manager.post(
        f"/api/projects/{p.pk}/tasks/{task.pk}/gold-check/", {"options": {"clarity": 1, "color": 1}}, format="json"
    )
    assert made.status_code in (200, 201), made.content
    # a copy of v1 with a new question text only: every sub-dimension carries over
    retitled = checklist_version(V1.replace("Is the image clear?", "Is it sharp?"))
    plan = manager.post(f"/api/projects/{p.pk}/checklist/", {"checklist_version": retitled.pk}, format="json").json()
    assert plan["gold_checks"] == {"total": 1, "carried_over": 1, "paused": 0, "pairs_carried_over": 0}
    assert plan["questions"]["changed"] == ["clear"]
    manager.post(f"/api/projects/{p.pk}/checklist/", {"checklist_version": retitled.pk, "confirm": True}, format="json")
    assert GoldCheck.objects.get(task=task).checklist_version_id == retitled.pk


def test_checklist_changes_are_for_managers_and_the_right_media_type(answered):
    p, _, v2, _, annotator, _, _ = answered
    assert (
        annotator.post(f"/api/projects/{p.pk}/checklist/", {"checklist_version": v2.pk}, format="json").status_code
        == 403
    )
    video = ChecklistVersion.objects.filter(media_type="video").first()
    manager = api(p.memberships.get(role="manager").user)
    wrong = manager.post(f"/api/projects/{p.pk}/checklist/", {"checklist_version": video.pk}, format="json")
    assert wrong.status_code == 400 and "videos" in wrong.json()["errors"]["checklist_version"][0]
    missing = manager.post(f"/api/projects/{p.pk}/checklist/", {"checklist_version": 999999}, format="json")
    assert missing.status_code == 400
    patched = manager.patch(f"/api/projects/{p.pk}/", {"checklist_version": v2.pk}, format="json")
    assert patched.status_code == 400 and "/checklist/" in patched.json()["errors"]["checklist_version"][0]


# --- pair tasks ------------------------------------------------------------------------------


def test_turning_pair_tasks_on_pairs_the_assets_of_one_prompt():
    boss = user("boss")
    p = project(members={boss: "manager"})
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        ready_asset(p, name=name, prompt="a red fox")
    ready_asset(p, name="d.jpg", prompt="a lone owl")
    response = api(boss).patch(f"/api/projects/{p.pk}/", {"pair_tasks": True}, format="json")
    assert response.status_code == 200 and response.json()["pair_tasks"] is True
    assert Task.objects.filter(project=p, kind="pair").count() == 3
