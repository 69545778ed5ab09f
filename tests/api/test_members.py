"""A project's members: add by username, change a role, remove (their live leases go back to the
queue, their annotations stay), never without a manager; each member's last login, last activity
and counts, in a constant number of queries; shareable invitation links with a role and a number
of uses."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from annotator.models import Assignment, Invitation, Membership, Task
from tests.factories import api, browser_session, csrf_post, full_image_options, project, ready_asset, user

pytestmark = pytest.mark.django_db


def url(p, pk=None):
    return f"/api/projects/{p.pk}/members/" + (f"{pk}/" if pk else "")


def as_(someone):
    """A client of a freshly read user, as each request has (roles are cached per user object)."""
    return api(type(someone).objects.get(pk=someone.pk))


def annotate(client, p):
    assignment = client.post(f"/api/projects/{p.pk}/tasks/next/").json()
    checklist = p.checklist_version.checklist
    body = {"client_id": f"7b0a3c1e-0000-4000-8000-{assignment['id']:012d}", "options": full_image_options(checklist)}
    response = client.post(f"/api/assignments/{assignment['id']}/submit/", body, format="json")
    assert response.status_code in (200, 201), response.json()


def test_role_change_and_the_last_manager_is_protected():
    boss, ann = user("boss"), user("ann")
    p = project(members={boss: "manager", ann: "annotator"})
    ann_m = Membership.objects.get(user=ann)
    boss_m = Membership.objects.get(user=boss)
    changed = as_(boss).patch(url(p, ann_m.pk), {"role": "reviewer"}, format="json")
    assert changed.status_code == 200 and changed.json()["role"] == "reviewer"
    assert as_(ann).patch(url(p, boss_m.pk), {"role": "annotator"}, format="json").status_code == 403
    # the username never changes with a PATCH
    as_(boss).patch(url(p, ann_m.pk), {"username": "boss"}, format="json")
    assert Membership.objects.get(pk=ann_m.pk).user == ann

    demote = as_(boss).patch(url(p, boss_m.pk), {"role": "annotator"}, format="json")
    assert demote.status_code == 400
    assert "only manager" in demote.json()["errors"]["role"][0]
    removed = as_(boss).delete(url(p, boss_m.pk))
    assert removed.status_code == 400 and "only manager" in removed.json()["errors"]["username"][0]
    assert Membership.objects.get(pk=boss_m.pk).role == "manager"

    # with a second manager, the first may step down
    as_(boss).patch(url(p, ann_m.pk), {"role": "manager"}, format="json")
    assert as_(boss).patch(url(p, boss_m.pk), {"role": "researcher"}, format="json").status_code == 200
    assert as_(boss).patch(url(p, ann_m.pk), {"role": "annotator"}, format="json").status_code == 403
    last = as_(ann).patch(url(p, ann_m.pk), {"role": "annotator"}, format="json")
    assert last.status_code == 400


def test_removing_a_member_releases_their_leases_and_keeps_their_annotations():
    boss, ann = user("boss"), user("ann")
    p = project(members={boss: "manager", ann: "annotator"})
    for i in range(3):
        ready_asset(p, name=f"{i}.jpg")
    client = api(ann)
    annotate(client, p)
    held = client.post(f"/api/projects/{p.pk}/tasks/next/").json()
    row = [m for m in api(boss).get(url(p)).json()["results"] if m["username"] == "ann"][0]
    assert row["annotations_done"] == 1 and row["active_leases"] == 1

    assert api(boss).delete(url(p, row["id"])).status_code == 204
    assert not Membership.objects.filter(user=ann, project=p).exists()
    assert Assignment.objects.get(pk=held["id"]).state == "released"
    task = Task.objects.get(pk=held["task"]["id"] if isinstance(held["task"], dict) else held["task"])
    assert task.assigned_count == 0 and task.status == "open"  # back in the queue
    assert p.annotations.filter(user=ann).count() == 1
    assert client.get(f"/api/projects/{p.pk}/").status_code == 404  # no longer a member
    assert client.post(f"/api/projects/{p.pk}/tasks/next/").status_code == 404


def test_each_members_last_activity_and_counts():
    boss, ann, idle = user("boss"), user("ann"), user("idle")
    p = project(members={boss: "manager", ann: "annotator", idle: "reviewer"})
    for i in range(3):
        ready_asset(p, name=f"{i}.jpg")
    ann.last_login = timezone.now() - timedelta(hours=2)
    ann.save()
    client = api(ann)
    annotate(client, p)
    annotate(client, p)
    client.post(f"/api/projects/{p.pk}/tasks/next/")
    rows = {m["username"]: m for m in api(boss).get(url(p)).json()["results"]}
    a = rows["ann"]
    assert a["annotations_done"] == 2 and a["active_leases"] == 1
    assert a["last_login"] and a["last_annotation_at"] and a["last_assignment_at"]
    latest = Assignment.objects.filter(user=ann).order_by("-leased_at").first().leased_at
    assert a["last_activity_at"] == max(a["last_annotation_at"], a["last_assignment_at"])
    assert a["last_assignment_at"].replace("Z", "+00:00")[:19] == latest.isoformat()[:19]
    i = rows["idle"]
    assert i["last_login"] is None and i["last_activity_at"] is None
    assert i["annotations_done"] == 0 and i["active_leases"] == 0


def test_the_member_list_takes_the_same_queries_for_2_or_12_members():
    boss = user("boss")
    p = project(members={boss: "manager"})
    ready_asset(p)

    def queries():
        client = as_(boss)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(p)).status_code == 200
        return len(ctx.captured_queries)

    Membership.objects.create(project=p, user=user("m0"), role="annotator")
    few = queries()
    for n in range(1, 11):
        member = user(f"m{n}")
        Membership.objects.create(project=p, user=member, role="annotator")
        api(member).post(f"/api/projects/{p.pk}/tasks/next/")
    assert queries() == few
    assert few <= 4  # the project, its role check, the count and the page of members


def test_a_shareable_link_with_a_role_and_a_number_of_uses():
    boss = user("boss")
    p = project(members={boss: "manager"})
    made = api(boss).post("/api/invitations/", {"project": p.pk, "role": "reviewer", "max_uses": 2}, format="json")
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["email"] == "" and body["max_uses"] == 2 and body["uses"] == 0 and body["state"] == "pending"
    assert not mail.outbox  # nobody to e-mail
    token = re.search(r"#token=(\S+)", body["link"]).group(1)
    summary = csrf_post(browser_session(), "/api/auth/invitation/", {"token": token}).json()
    assert summary["email"] == "" and summary["project"] == p.name and summary["role"] == "reviewer"

    def accept(name, **extra):
        body = {"token": token, "username": name, "password": "a-long-password-1", **extra}
        return csrf_post(browser_session(), "/api/auth/invitation/accept/", body)

    assert accept("first", email="first@example.org").status_code == 201
    assert Invitation.objects.get().state(timezone.now()) == "pending"  # one use of two
    assert accept("second").status_code == 201
    third = accept("third")
    assert third.status_code == 400 and "token" in third.json()["errors"]
    roles = dict(Membership.objects.filter(project=p).values_list("user__username", "role"))
    assert roles == {"boss": "manager", "first": "reviewer", "second": "reviewer"}
    listed = api(boss).get("/api/invitations/", {"project": p.pk}).json()["results"][0]
    assert listed["uses"] == 2 and listed["state"] == "accepted" and "link" not in listed
    from django.contrib.auth import get_user_model

    assert get_user_model().objects.get(username="first").email == "first@example.org"


def test_shareable_links_are_checked_and_revocable():
    boss, ann = user("boss"), user("ann")
    p = project(members={boss: "manager", ann: "annotator"})
    invite = "/api/invitations/"
    nowhere = api(boss).post(invite, {"role": "annotator"}, format="json")
    assert nowhere.status_code == 400 and "project" in nowhere.json()["errors"]
    many = api(boss).post(invite, {"project": p.pk, "max_uses": 501}, format="json")
    assert many.status_code == 400 and "max_uses" in many.json()["errors"]
    mailed_many = api(boss).post(invite, {"project": p.pk, "email": "x@example.org", "max_uses": 3}, format="json")
    assert mailed_many.status_code == 400 and "max_uses" in mailed_many.json()["errors"]
    assert api(ann).post(invite, {"project": p.pk}, format="json").status_code == 400  # not their project to invite
    made = api(boss).post(invite, {"project": p.pk, "expires_in_days": 2}, format="json").json()
    expires = timezone.datetime.fromisoformat(made["expires_at"].replace("Z", "+00:00"))
    assert timedelta(days=1, hours=23) < expires - timezone.now() <= timedelta(days=2)
    assert made["role"] == "annotator" and made["max_uses"] == 1
    assert api(boss).delete(f"{invite}{made['id']}/").status_code == 204
    token = re.search(r"#token=(\S+)", made["link"]).group(1)
    body = {"token": token, "username": "late", "password": "a-long-password-1"}
    assert csrf_post(browser_session(), "/api/auth/invitation/accept/", body).status_code == 400


def test_a_signed_in_user_joins_with_their_own_account():
    boss, carl, dora = user("boss"), user("carl"), user("dora")
    dora.email = "dora@example.org"
    dora.save()
    p = project(members={boss: "manager"})
    link = api(boss).post("/api/invitations/", {"project": p.pk, "role": "researcher", "max_uses": 5}, format="json")
    token = re.search(r"#token=(\S+)", link.json()["link"]).group(1)

    def join(someone, token=token):
        client = browser_session()
        client.force_login(someone)
        client.get("/api/auth/session/")  # the csrftoken cookie, as the app reads it
        return csrf_post(client, "/api/auth/invitation/join/", {"token": token})

    joined = join(carl)
    assert joined.status_code == 200, joined.json()
    assert joined.json()["project"] == p.name and joined.json()["role"] == "researcher"
    assert Membership.objects.get(project=p, user=carl).role == "researcher"
    again = join(carl)
    assert again.status_code == 400 and "already a member" in again.json()["errors"]["token"][0]
    assert Invitation.objects.get().uses == 1

    # an e-mail invitation: only its address's owner joins with an existing account
    mailed = api(boss).post("/api/invitations/", {"project": p.pk, "email": "dora@example.org"}, format="json")
    mailed_token = re.search(r"#token=(\S+)", mailed.json()["link"]).group(1)
    wrong = join(user("eve"), mailed_token)
    assert wrong.status_code == 400 and "is for dora@example.org" in wrong.json()["errors"]["token"][0]
    assert join(dora, mailed_token).status_code == 200
    assert Invitation.objects.get(email="dora@example.org").state(timezone.now()) == "accepted"
    anonymous = csrf_post(browser_session(), "/api/auth/invitation/join/", {"token": token})
    assert anonymous.status_code in (401, 403)
