"""Invitation links: staff invite anyone, a project's managers invite into their project; the
invitee chooses a username and password through the link, which works once, expires and can be
revoked. The mail is read from Django's locmem outbox."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from annotator.models import Invitation, Membership
from annotator.services.accounts import BAD_INVITATION
from tests.factories import api, browser_session, csrf_post, project, user

pytestmark = pytest.mark.django_db

URL = "/api/invitations/"
LINK = re.compile(r"https?://\S+/invitation#token=(?P<token>\S+)")


browser = browser_session
post = csrf_post


def accept(token, username="newbie", password="a-long-password-1"):
    return post(browser(), "/api/auth/invitation/accept/", {"token": token, "username": username, "password": password})


def token_of(link: str) -> str:
    return LINK.search(link)["token"]


@pytest.fixture
def setup():
    boss, ann = user("boss"), user("ann")
    p = project(members={boss: Membership.Role.MANAGER, ann: Membership.Role.ANNOTATOR})
    return p, boss, ann


def test_a_manager_invites_into_their_project_and_the_invitee_joins_with_the_role(setup, settings):
    settings.VR_PUBLIC_URL = "https://annotate.example.org"
    p, boss, _ = setup
    response = api(boss).post(URL, {"email": "new@example.org", "project": p.pk, "role": "reviewer"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "pending" and body["role"] == "reviewer" and body["invited_by"] == "boss"
    assert body["link"].startswith("https://annotate.example.org/invitation#token=")
    [message] = mail.outbox
    assert message.to == ["new@example.org"]
    assert body["link"] in message.body and p.name in message.body and "reviewer" in message.body

    # the link is shown once: not in the list
    listed = api(boss).get(URL, {"project": p.pk}).json()["results"]
    assert [i["email"] for i in listed] == ["new@example.org"] and "link" not in listed[0]

    token = token_of(body["link"])
    check = post(browser(), "/api/auth/invitation/", {"token": token})
    assert check.status_code == 200
    assert check.json()["project"] == p.name and check.json()["email"] == "new@example.org"

    joined = accept(token)
    assert joined.status_code == 201, joined.json()
    newbie = get_user_model().objects.get(username="newbie")
    assert newbie.email == "new@example.org" and newbie.check_password("a-long-password-1")
    assert Membership.objects.get(project=p, user=newbie).role == "reviewer"
    assert Invitation.objects.get().state(timezone.now()) == "accepted"

    # ... and it works once
    again = accept(token, username="someone-else")
    assert again.status_code == 400 and again.json()["errors"] == {"token": [BAD_INVITATION]}
    assert not get_user_model().objects.filter(username="someone-else").exists()
    # the new account logs in
    client = browser()
    login = post(client, "/api/auth/session/", {"username": "newbie", "password": "a-long-password-1"})
    assert login.status_code == 200


def test_staff_invite_without_a_project(setup):
    admin = user("root", staff=True)
    response = api(admin).post(URL, {"email": "solo@example.org"}, format="json")
    assert response.status_code == 201
    assert accept(token_of(response.json()["link"]), username="solo").status_code == 201
    assert not Membership.objects.filter(user__username="solo").exists()


def test_a_manager_must_name_their_project_and_only_theirs(setup):
    p, boss, ann = setup
    other = project(name="someone else's")
    no_project = api(boss).post(URL, {"email": "x@example.org"}, format="json")
    assert no_project.status_code == 400 and "project" in no_project.json()["errors"]
    foreign = api(boss).post(URL, {"email": "x@example.org", "project": other.pk}, format="json")
    ghost = api(boss).post(URL, {"email": "x@example.org", "project": 987654}, format="json")
    assert foreign.status_code == ghost.status_code == 400
    assert foreign.json()["errors"]["project"][0].replace(str(other.pk), "N") == ghost.json()["errors"]["project"][
        0
    ].replace("987654", "N")
    annotator = api(ann).post(URL, {"email": "x@example.org", "project": p.pk}, format="json")
    assert annotator.status_code == 400 and "project" in annotator.json()["errors"]
    assert not Invitation.objects.exists() and mail.outbox == []
    assert api(ann).get(URL).json()["results"] == []


def test_hostile_fields_are_400s_naming_them(setup):
    p, boss, _ = setup
    for body, field in [
        ({"email": "not-an-address", "project": p.pk}, "email"),
        ({"email": "a@example.org\x00", "project": p.pk}, "email"),
        ({"email": "a@example.org", "project": p.pk, "role": "admin"}, "role"),
        ({"email": "a@example.org", "project": "1 OR 1=1"}, "project"),
    ]:
        response = api(boss).post(URL, body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert field in response.json()["errors"], (body, response.json())
    assert not Invitation.objects.exists()


def test_an_expired_or_revoked_link_does_not_work(setup):
    p, boss, _ = setup
    first = api(boss).post(URL, {"email": "a@example.org", "project": p.pk}, format="json").json()
    second = api(boss).post(URL, {"email": "b@example.org", "project": p.pk}, format="json").json()
    Invitation.objects.filter(pk=first["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api(boss).delete(f"{URL}{second['id']}/").status_code == 204
    for link in (first["link"], second["link"]):
        response = accept(token_of(link))
        assert response.status_code == 400 and response.json()["errors"] == {"token": [BAD_INVITATION]}
    assert get_user_model().objects.filter(username="newbie").count() == 0


def test_a_forged_token_and_a_bad_choice_are_400s_naming_the_field(setup):
    p, boss, _ = setup
    link = api(boss).post(URL, {"email": "a@example.org", "project": p.pk}, format="json").json()["link"]
    token = token_of(link)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert accept(forged).json()["errors"] == {"token": [BAD_INVITATION]}
    assert accept("\x00").status_code == 400
    taken = accept(token, username="ANN")
    assert taken.status_code == 400 and "username" in taken.json()["errors"]
    weak = accept(token, password="short")
    assert weak.status_code == 400 and "password" in weak.json()["errors"]
    bad_name = accept(token, username="has spaces/and slashes")
    assert bad_name.status_code == 400 and "username" in bad_name.json()["errors"]
    # nothing was half-made: the link still works
    assert accept(token).status_code == 201


def test_invitation_admin_lists_and_revokes(setup, client):
    p, boss, _ = setup
    link = api(boss).post(URL, {"email": "a@example.org", "project": p.pk}, format="json").json()["link"]
    admin = get_user_model().objects.create_superuser("root", password="pw")
    client.force_login(admin)
    page = client.get("/admin/annotator/invitation/")
    assert page.status_code == 200 and b"a@example.org" in page.content
    response = client.post(
        "/admin/annotator/invitation/", {"action": "revoke", "_selected_action": [Invitation.objects.get().pk]}
    )
    assert response.status_code == 302
    assert accept(token_of(link)).status_code == 400
