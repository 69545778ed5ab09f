"""Personal API tokens: a user makes a named token (the key answered once), lists and revokes
their own; the database holds only the key's SHA-256; ``Token`` and ``Bearer`` authenticate with
it; revoked and expired keys are refused with their reason; wrong keys count against the address's
lock-out; nobody sees or revokes another user's tokens, staff included."""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from annotator.models import PersonalToken
from tests.factories import api, api_token, project, user

pytestmark = pytest.mark.django_db

URL = "/api/tokens/"


def with_key(key: str, scheme: str = "Token", address: str = "10.1.2.3") -> APIClient:
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {key}")
    return client


def make(owner, name="laptop script", **body):
    response = api(owner).post(URL, {"name": name, **body}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_token_is_shown_once_stored_hashed_and_authenticates():
    ann = user("ann")
    p = project(members={ann: "annotator"})
    body = make(ann)
    key = body["key"]
    assert key.startswith("vrp_") and len(key) >= 40
    assert body["name"] == "laptop script" and body["state"] == "active" and body["prefix"] == key[:12]
    assert body["last_used_at"] is None and body["expires_at"] is None

    # the database holds the hash, never the key: no column of any row of the table contains it
    row = PersonalToken.objects.get(pk=body["id"])
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM annotator_personaltoken")
        stored = " ".join(str(v) for r in cursor.fetchall() for v in r)
    assert key not in stored and key[12:] not in stored

    # the list never shows a key again
    listed = api(ann).get(URL).json()["results"]
    assert [t["name"] for t in listed] == ["laptop script"] and "key" not in listed[0]

    for scheme in ("Token", "Bearer", "bearer"):
        response = with_key(key, scheme).get("/api/projects/")
        assert response.status_code == 200, response.content
        assert [x["id"] for x in response.json()["results"]] == [p.pk]
    assert api(ann).get(URL).json()["results"][0]["last_used_at"] is not None


def test_revoked_and_expired_tokens_are_refused_with_their_reason():
    ann = user("ann")
    key = make(ann)["key"]
    token_id = PersonalToken.objects.get().pk
    assert api(ann).delete(f"{URL}{token_id}/").status_code == 204
    refused = with_key(key).get("/api/projects/")
    assert refused.status_code in (401, 403) and "revoked" in refused.json()["detail"]
    assert api(ann).get(URL).json()["results"][0]["state"] == "revoked"

    soon = make(ann, "short-lived", expires_at=(timezone.now() + timedelta(days=1)).isoformat())
    assert soon["state"] == "active" and soon["expires_at"]
    PersonalToken.objects.filter(pk=soon["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    refused = with_key(soon["key"]).get("/api/projects/")
    assert refused.status_code in (401, 403) and "expired" in refused.json()["detail"]
    # a real (revoked or expired) key is no guess: nothing counted against the address
    assert not AccessAttempt.objects.exists()

    # a deactivated account's tokens stop working
    live = make(ann, "another")["key"]
    ann.is_active = False
    ann.save()
    assert with_key(live).get("/api/projects/").status_code in (401, 403)


def test_creation_is_checked():
    ann = user("ann")
    make(ann, "ci")
    taken = api(ann).post(URL, {"name": "ci"}, format="json")
    assert taken.status_code == 400 and "already have a token named" in taken.json()["errors"]["name"][0]
    blank = api(ann).post(URL, {"name": "  "}, format="json")
    assert blank.status_code == 400 and "name" in blank.json()["errors"]
    past = api(ann).post(URL, {"name": "old", "expires_at": "2001-01-01T00:00:00Z"}, format="json")
    assert past.status_code == 400 and "expires_at" in past.json()["errors"]
    too_long = api(ann).post(URL, {"name": "x" * 101}, format="json")
    assert too_long.status_code == 400 and "name" in too_long.json()["errors"]
    # a revoked token's name is free again
    api(ann).delete(f"{URL}{PersonalToken.objects.get(name='ci').pk}/")
    make(ann, "ci")
    # a token cannot mint tokens (a stolen key must not outlive its revocation)
    minted = with_key(make(ann, "script")["key"]).post(URL, {"name": "more"}, format="json")
    assert minted.status_code == 403 and "signed-in session" in minted.json()["detail"]
    assert not PersonalToken.objects.filter(name="more").exists()


def test_creation_is_throttled(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "token_create": "3/hour"},
    }
    ann = user("ann")
    for n in range(3):
        make(ann, f"t{n}")
    response = api(ann).post(URL, {"name": "t3"}, format="json")
    assert response.status_code == 429 and "Too many new tokens" in response.json()["detail"]
    assert PersonalToken.objects.count() == 3
    assert api(user("bob")).post(URL, {"name": "t0"}, format="json").status_code == 201  # per user


def test_nobody_sees_or_revokes_another_users_tokens_staff_included():
    ann, admin = user("ann"), user("admin", staff=True)
    mine = make(ann)
    assert api(admin).get(URL).json()["results"] == []
    assert api(admin).delete(f"{URL}{mine['id']}/").status_code == 404
    assert api(user("bob")).delete(f"{URL}{mine['id']}/").status_code == 404
    assert PersonalToken.objects.get(pk=mine["id"]).revoked_at is None
    assert api().get(URL).status_code in (401, 403)


def test_wrong_tokens_count_against_the_address_lock_out(settings):
    ann = user("ann")
    key = make(ann)["key"]
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        assert with_key(f"vrp_wrong{n}", address="10.9.9.9").get("/api/projects/").status_code in (401, 403)
    assert AccessAttempt.objects.get(ip_address="10.9.9.9").failures_since_start == settings.AXES_FAILURE_LIMIT - 1
    locked = with_key("vrp_last-guess", address="10.9.9.9").get("/api/projects/")
    assert locked.status_code == 429 and "Retry-After" in locked
    # the right key from the locked address is refused too; from another address it works
    assert with_key(key, address="10.9.9.9").get("/api/projects/").status_code == 429
    assert with_key(key, address="10.9.9.10").get("/api/projects/").status_code == 200


def test_the_test_helper_and_the_command_line_make_the_same_tokens():
    ann = user("ann")
    assert with_key(api_token(ann)).get("/api/projects/").status_code == 200
    out, err = StringIO(), StringIO()
    call_command("create_token", "ann", "--name", "cron", "--days", "30", stdout=out, stderr=err)
    key = out.getvalue().strip()
    assert "not shown again" in err.getvalue()
    token = PersonalToken.objects.get(name="cron")
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest() and token.expires_at is not None
    assert with_key(key).get("/api/projects/").status_code == 200
    call_command("create_token", "ann", "--revoke", "cron", stdout=StringIO())
    assert with_key(key).get("/api/projects/").status_code in (401, 403)


def test_the_migration_hashes_the_old_plaintext_keys_and_deletes_them():
    """A database from before personal tokens: DRF's authtoken table with a plaintext key."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("annotator.migrations.0009_personal_tokens_and_invitation_links")
    ann = user("ann")
    old_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz NOT NULL, user_id int)"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, %s)", [old_key, timezone.now(), ann.pk])
    with connection.schema_editor() as editor:
        migration.hash_drf_tokens(apps, editor)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0  # the plaintext is gone
    token = PersonalToken.objects.get(user=ann)
    assert token.key_hash == hashlib.sha256(old_key.encode()).hexdigest() and token.prefix == old_key[:12]
    assert with_key(old_key).get("/api/projects/").status_code == 200  # the script's old key still works
