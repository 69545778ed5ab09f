"""Password reset by e-mail (/api/auth/password-reset/ and confirm/): Django's tokens, one answer
whether or not the address has an account, Django's password validators, throttled per address
and per e-mail address. The mail is read from Django's locmem outbox."""

import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core import mail
from rest_framework.test import APIClient

from annotator.services.accounts import BAD_RESET_LINK
from tests.factories import browser_session, csrf_post

pytestmark = pytest.mark.django_db

REQUEST = "/api/auth/password-reset/"
CONFIRM = "/api/auth/password-reset/confirm/"
LINK = re.compile(r"(https?://\S+)/reset-password#uid=(?P<uid>[^&\s]+)&token=(?P<token>\S+)")


browser = browser_session
post = csrf_post


@pytest.fixture
def ann():
    return get_user_model().objects.create_user("ann", email="ann@example.org", password="old-password-1")


def reset_link(message) -> re.Match:
    match = LINK.search(message.body)
    assert match, message.body
    return match


def test_a_known_address_gets_a_link_to_the_apps_reset_page(ann, settings):
    settings.VR_PUBLIC_URL = "https://annotate.example.org"
    response = post(browser(), REQUEST, {"email": "ANN@example.org"})
    assert response.status_code == 202
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ann@example.org"]
    assert "password" in message.subject.lower()
    link = reset_link(message)
    assert link.group(1) == "https://annotate.example.org"
    assert '"ann"' in message.body and "24 hours" in message.body


def test_without_a_public_url_the_link_uses_the_requests_host(ann, settings):
    settings.VR_PUBLIC_URL = ""
    post(browser(), REQUEST, {"email": "ann@example.org"})
    assert reset_link(mail.outbox[0]).group(1) == "http://testserver"


def test_an_unknown_or_inactive_address_gets_the_same_answer_and_no_mail(ann):
    known = post(browser(), REQUEST, {"email": "ann@example.org"})
    mail.outbox.clear()
    unknown = post(browser(), REQUEST, {"email": "nobody@example.org"})
    get_user_model().objects.create_user("sleeper", email="sleeper@example.org", password="x", is_active=False)
    inactive = post(browser(), REQUEST, {"email": "sleeper@example.org"})
    assert known.status_code == unknown.status_code == inactive.status_code == 202
    assert known.json() == unknown.json() == inactive.json()
    assert mail.outbox == []


def test_not_an_email_address_is_a_400_naming_the_field():
    response = post(browser(), REQUEST, {"email": "not an address"})
    assert response.status_code == 400
    assert "email" in response.json()["errors"]


def test_the_request_needs_the_csrf_token(ann):
    client = APIClient(enforce_csrf_checks=True)
    response = client.post(REQUEST, {"email": "ann@example.org"}, format="json")
    assert response.status_code == 403
    assert mail.outbox == []


def test_the_link_sets_a_new_password_once_and_lifts_a_lock_out(ann):
    AccessAttempt.objects.create(
        username="ann", ip_address="10.0.0.9", user_agent="x", failures_since_start=50, get_data="", post_data=""
    )
    post(browser(), REQUEST, {"email": "ann@example.org"})
    link = reset_link(mail.outbox[0])
    body = {"uid": link["uid"], "token": link["token"], "new_password": "a-new-long-password"}
    response = post(browser(), CONFIRM, body)
    assert response.status_code == 200, response.json()
    ann.refresh_from_db()
    assert ann.check_password("a-new-long-password")
    assert not AccessAttempt.objects.filter(username="ann").exists()

    again = post(browser(), CONFIRM, {**body, "new_password": "yet-another-password"})
    assert again.status_code == 400
    assert again.json()["errors"] == {"token": [BAD_RESET_LINK]}


def test_a_weak_password_is_a_400_naming_new_password_and_changes_nothing(ann):
    post(browser(), REQUEST, {"email": "ann@example.org"})
    link = reset_link(mail.outbox[0])
    response = post(browser(), CONFIRM, {"uid": link["uid"], "token": link["token"], "new_password": "short"})
    assert response.status_code == 400
    assert "new_password" in response.json()["errors"]
    assert "new_password" in response.json()["detail"]
    ann.refresh_from_db()
    assert ann.check_password("old-password-1")


@pytest.mark.parametrize(
    "uid, token",
    [("MQ", "nope"), ("!!!", "x"), ("", "x"), ("MTIzNDU2Nzg5", "abc-def"), ("\x00", "\x00")],
)
def test_a_forged_link_is_a_400_naming_the_token(ann, uid, token):
    response = post(browser(), CONFIRM, {"uid": uid, "token": token, "new_password": "a-new-long-password"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) <= {"token", "uid"}
    ann.refresh_from_db()
    assert ann.check_password("old-password-1")


def test_requests_are_throttled_per_address_and_per_email(ann, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "password_reset_address": "4/hour",
            "password_reset_email": "2/hour",
        },
    }
    client = browser()
    statuses = [post(client, REQUEST, {"email": "ann@example.org"}).status_code for _ in range(3)]
    assert statuses == [202, 202, 429]  # per e-mail address
    assert len(mail.outbox) == 2
    assert post(client, REQUEST, {"email": "other@example.org"}).status_code == 202
    response = post(client, REQUEST, {"email": "third@example.org"})
    assert response.status_code == 429  # per address: the 5th request within the hour
    assert "Too many requests" in response.json()["detail"]
    assert int(response["Retry-After"]) > 0
