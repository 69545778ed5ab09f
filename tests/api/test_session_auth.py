"""Browser session login for the SPA: /api/auth/session/ with CSRF enforced."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tests.factories import project, user

pytestmark = pytest.mark.django_db

URL = "/api/auth/session/"


def browser() -> APIClient:
    """A client that checks CSRF like a browser session does."""
    return APIClient(enforce_csrf_checks=True)


def csrf(client: APIClient) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.cookies["csrftoken"].value


def login(client: APIClient, username="ann", password="pw"):
    token = csrf(client)
    return client.post(URL, {"username": username, "password": password}, format="json", HTTP_X_CSRFTOKEN=token)


def test_anonymous_get_answers_null_and_sets_the_csrf_cookie():
    client = browser()
    response = client.get(URL)
    assert response.status_code == 200
    assert response.json() == {"user": None}
    assert response.cookies["csrftoken"].value


def test_login_opens_a_session_usable_by_the_api():
    ann = user("ann")
    p = project(members={ann: "annotator"})
    client = browser()
    response = login(client)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "user": {
            "id": ann.pk,
            "username": "ann",
            "is_staff": False,
            "can_create_projects": False,
            "can_load_checklists": False,
        }
    }
    assert response.cookies["sessionid"].value
    assert client.get(URL).json()["user"]["username"] == "ann"
    assert client.get(f"/api/projects/{p.pk}/").status_code == 200
    assert get_user_model().objects.get(pk=ann.pk).last_login is not None


def test_staff_flag_is_reported():
    user("boss", staff=True)
    response = login(browser(), "boss")
    assert response.json()["user"]["is_staff"] is True
    assert response.json()["user"]["can_create_projects"] is True


def test_project_creators_are_told_they_may_create_projects():
    from django.contrib.auth.models import Permission

    lead = user("lead")
    lead.user_permissions.add(Permission.objects.get(codename="add_project"))
    body = login(browser(), "lead").json()["user"]
    assert body["can_create_projects"] is True and body["can_load_checklists"] is False


def test_login_rotates_the_csrf_token():
    user("ann")
    client = browser()
    before = csrf(client)
    response = client.post(URL, {"username": "ann", "password": "pw"}, format="json", HTTP_X_CSRFTOKEN=before)
    assert response.status_code == 200
    after = response.cookies["csrftoken"].value
    assert after and after != before


def test_login_without_the_csrf_token_is_refused():
    user("ann")
    client = browser()
    client.get(URL)  # has the cookie, but does not send the header
    response = client.post(URL, {"username": "ann", "password": "pw"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert client.get(URL).json() == {"user": None}


def test_login_with_a_wrong_csrf_token_is_refused():
    user("ann")
    client = browser()
    client.get(URL)
    response = client.post(URL, {"username": "ann", "password": "pw"}, format="json", HTTP_X_CSRFTOKEN="x" * 32)
    assert response.status_code == 403


def test_wrong_password_is_a_400_without_a_session():
    user("ann")
    client = browser()
    response = login(client, password="nope")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Wrong username or password."
    assert body["errors"] == {"non_field_errors": ["Wrong username or password."]}
    assert "sessionid" not in response.cookies
    assert client.get(URL).json() == {"user": None}


def test_unknown_user_gets_the_same_answer_as_a_wrong_password():
    response = login(browser(), username="ghost")
    assert response.status_code == 400 and response.json()["detail"] == "Wrong username or password."


def test_inactive_users_cannot_log_in():
    ann = user("ann")
    ann.is_active = False
    ann.save()
    response = login(browser())
    assert response.status_code == 400 and response.json()["detail"] == "Wrong username or password."


@pytest.mark.parametrize("missing", ["username", "password"])
def test_a_missing_field_is_named(missing):
    user("ann")
    client = browser()
    token = csrf(client)
    payload = {"username": "ann", "password": "pw"}
    del payload[missing]
    response = client.post(URL, payload, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400
    body = response.json()
    assert missing in body["errors"] and body["detail"].startswith(f"{missing}:")


def test_logout_ends_the_session():
    user("ann")
    client = browser()
    login(client)
    token = client.cookies["csrftoken"].value  # the token rotated at login
    response = client.delete(URL, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 204
    assert client.get(URL).json() == {"user": None}
    assert client.get("/api/projects/").status_code in (401, 403)


def test_logout_needs_the_csrf_token():
    user("ann")
    client = browser()
    login(client)
    response = client.delete(URL)
    assert response.status_code == 403
    assert client.get(URL).json()["user"]["username"] == "ann"


def test_session_clients_need_the_csrf_token_on_other_unsafe_requests():
    ann = user("ann")
    p = project(members={ann: "annotator"})
    client = browser()
    login(client)
    assert client.post(f"/api/projects/{p.pk}/tasks/next/").status_code == 403
    token = client.cookies["csrftoken"].value
    assert client.post(f"/api/projects/{p.pk}/tasks/next/", HTTP_X_CSRFTOKEN=token).status_code == 204


def test_the_session_endpoint_is_in_the_schema():
    admin = user("admin", staff=True)
    client = APIClient()
    client.force_authenticate(admin)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    operations = response.json()["paths"]["/api/auth/session/"]
    assert set(operations) >= {"get", "post", "delete"}
    assert operations["post"]["operationId"] == "auth_session_login"
