import pytest
from django.contrib.auth.models import Permission

from annotator.models import Membership, Project
from tests.factories import api, builtin, project, ready_asset, user

pytestmark = pytest.mark.django_db


def test_manager_creates_a_project_and_becomes_its_manager():
    creator = user("lead")
    creator.user_permissions.add(Permission.objects.get(codename="add_project"))
    response = api(creator).post(
        "/api/projects/",
        {
            "name": "HPD images",
            "media_type": "image",
            "checklist_version": builtin("image").pk,
            "overlap": 3,
            "instructions": "Judge the image, not the prompt.",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["overlap"] == 3 and body["my_role"] == "manager"
    assert Membership.objects.get(project_id=body["id"], user=creator).role == "manager"


def test_project_creation_errors_name_the_field_and_save_nothing():
    admin = user("root", staff=True)
    client = api(admin)
    wrong_type = client.post(
        "/api/projects/",
        {"name": "x", "media_type": "video", "checklist_version": builtin("image").pk},
        format="json",
    )
    assert wrong_type.status_code == 400
    assert "checklist_version" in wrong_type.json()["errors"]
    assert "checklist_version" in wrong_type.json()["detail"]
    bad_k = client.post(
        "/api/projects/",
        {"name": "x", "media_type": "image", "checklist_version": builtin("image").pk, "overlap": 0},
        format="json",
    )
    assert bad_k.status_code == 400 and "overlap" in bad_k.json()["errors"]
    assert not Project.objects.exists()


def test_users_without_permission_cannot_create_projects():
    response = api(user("ann")).post(
        "/api/projects/", {"name": "x", "media_type": "image", "checklist_version": builtin("image").pk}, format="json"
    )
    assert response.status_code == 403


def test_annotators_see_only_their_projects():
    ann = user("ann")
    mine = project(name="mine", members={ann: "annotator"})
    project(name="other")
    client = api(ann)
    listed = client.get("/api/projects/").json()["results"]
    assert [p["name"] for p in listed] == ["mine"]
    assert listed[0]["my_role"] == "annotator"
    assert client.get(f"/api/projects/{mine.pk}/").status_code == 200
    other = Project.objects.get(name="other")
    assert client.get(f"/api/projects/{other.pk}/").status_code == 404


def test_the_list_carries_my_progress_in_one_query(django_assert_num_queries):
    from annotator.services.claims import claim_next

    ann = user("ann")
    first = project(name="first", members={ann: "annotator"})
    for i in range(3):
        ready_asset(first, prompt=f"p{i}", name=f"{i}.jpg")
    claim_next(ann, first)  # one assigned, two remaining
    project(name="second", members={ann: "researcher"})
    ready_asset(Project.objects.get(name="second"))
    client = api(ann)
    with django_assert_num_queries(2):  # the count and the page (session auth is forced here)
        listed = {p["name"]: p["my_progress"] for p in client.get("/api/projects/").json()["results"]}
    assert listed["first"] == {"done": 0, "assigned": 1, "remaining": 2}
    assert listed["second"] == {"done": 0, "assigned": 0, "remaining": 0}  # researchers do not annotate
    progress = client.get(f"/api/projects/{first.pk}/progress/").json()["mine"]
    assert {k: progress[k] for k in ("done", "assigned", "remaining")} == listed["first"]


def test_only_managers_edit_projects_and_overlap_applies_to_open_tasks():
    ann, boss = user("ann"), user("boss")
    p = project(members={ann: "annotator", boss: "manager"})
    asset = ready_asset(p)
    assert api(ann).patch(f"/api/projects/{p.pk}/", {"overlap": 2}, format="json").status_code == 403
    response = api(boss).patch(f"/api/projects/{p.pk}/", {"overlap": 2}, format="json")
    assert response.status_code == 200
    assert asset.tasks.get().required == 2


def test_members_are_managed_by_managers():
    boss, ann, newbie = user("boss"), user("ann"), user("newbie")
    p = project(members={boss: "manager", ann: "annotator"})
    url = f"/api/projects/{p.pk}/members/"
    assert api(ann).post(url, {"username": "newbie", "role": "annotator"}, format="json").status_code == 403
    created = api(boss).post(url, {"username": "newbie", "role": "reviewer"}, format="json")
    assert created.status_code == 201
    assert Membership.objects.get(project=p, user=newbie).role == "reviewer"
    duplicate = api(boss).post(url, {"username": "newbie", "role": "annotator"}, format="json")
    assert duplicate.status_code == 400 and "username" in duplicate.json()["errors"]
    unknown = api(boss).post(url, {"username": "ghost", "role": "annotator"}, format="json")
    assert unknown.status_code == 400 and "username" in unknown.json()["errors"]
    bad_role = api(boss).post(url, {"username": "ann", "role": "wizard"}, format="json")
    assert bad_role.status_code == 400 and "role" in bad_role.json()["errors"]
    own = Membership.objects.get(project=p, user=boss)
    assert api(boss).delete(f"{url}{own.pk}/").status_code == 400  # the last manager stays


def test_progress_counts_for_me():
    ann = user("ann")
    p = project(members={ann: "annotator"})
    for i in range(3):
        ready_asset(p, name=f"{i}.jpg")
    client = api(ann)
    client.post(f"/api/projects/{p.pk}/tasks/next/")
    progress = client.get(f"/api/projects/{p.pk}/progress/").json()
    assert progress["tasks"]["total"] == 3
    assert progress["mine"] == {"done": 0, "assigned": 1, "skipped": 0, "remaining": 2}


def test_a_project_slug_is_an_optional_unique_handle_naming_the_field_when_refused():
    admin = user("root", staff=True)
    client = api(admin)
    first, second = project(name="Cats"), project(name="Dogs")
    assert client.patch(f"/api/projects/{first.pk}/", {"slug": "cats"}, format="json").json()["slug"] == "cats"
    taken = client.patch(f"/api/projects/{second.pk}/", {"slug": "cats"}, format="json")
    assert taken.status_code == 400 and "slug" in taken.json()["errors"] and "slug" in taken.json()["detail"]
    bad = client.patch(f"/api/projects/{second.pk}/", {"slug": "no spaces!"}, format="json")
    assert bad.status_code == 400 and "slug" in bad.json()["errors"]
    for blank in ("", None):  # no handle: any number of projects may have none
        cleared = client.patch(f"/api/projects/{first.pk}/", {"slug": blank}, format="json")
        assert cleared.status_code == 200 and cleared.json()["slug"] is None
    second.refresh_from_db()
    assert second.slug is None and Project.objects.filter(slug__isnull=True).count() == 2
