"""The webhooks API: managers only, hostile input answered 4xx naming the field, the secret shown
once (at creation and rotation), the delivery log and "send again"."""

from __future__ import annotations

import pytest

from annotator.models import Webhook, WebhookDelivery
from tests import factories as f

from .conftest import hooks_url

pytestmark = pytest.mark.django_db


def test_only_managers_see_and_change_webhooks(people, project, webhook_settings):
    body = {"url": "http://127.0.0.1:9/hook", "events": ["task.completed"]}
    for who, code in (("annotator", 403), ("researcher", 403), ("outsider", 404)):
        client = f.api(people[who])
        assert client.get(hooks_url(project)).status_code == code, who
        assert client.post(hooks_url(project), body, format="json").status_code == code, who
    assert f.api().get(hooks_url(project)).status_code in (401, 403)
    assert f.api(people["manager"]).post(hooks_url(project), body, format="json").status_code == 201
    assert f.api(people["staff"]).get(hooks_url(project)).status_code == 200
    hook = Webhook.objects.get()
    deliveries = f"{hooks_url(project)}{hook.pk}/deliveries/"
    assert f.api(people["annotator"]).get(deliveries).status_code == 403
    other = f.project(name="other", members={people["outsider"]: "manager"})
    # a manager of another project reaches nothing of this one's webhooks
    assert f.api(people["outsider"]).get(f"{hooks_url(other)}{hook.pk}/").status_code == 404
    assert f.api(people["outsider"]).get(f"{hooks_url(other)}{hook.pk}/deliveries/").status_code == 404


def test_the_secret_is_shown_at_creation_and_rotation_only(people, project, webhook_settings):
    client = f.api(people["manager"])
    made = client.post(
        hooks_url(project), {"url": "http://127.0.0.1:9/hook", "events": ["task.completed"]}, format="json"
    )
    assert made.status_code == 201, made.content
    secret = made.json()["secret"]
    assert secret == Webhook.objects.get().secret
    listed = client.get(hooks_url(project)).json()
    assert secret not in str(listed) and listed["results"][0]["secret_hint"] == secret[:10] + "…"
    assert secret not in str(client.get(f"{hooks_url(project)}{made.json()['id']}/").json())
    rotated = client.post(f"{hooks_url(project)}{made.json()['id']}/rotate/").json()["secret"]
    assert rotated != secret and rotated == Webhook.objects.get().secret


@pytest.mark.parametrize(
    ("body", "field", "said"),
    [
        ({"url": "ftp://example.com/x", "events": ["task.completed"]}, "url", "only http and https"),
        ({"url": "file:///etc/passwd", "events": ["task.completed"]}, "url", "only http and https"),
        ({"url": "http://10.0.0.1/x", "events": ["task.completed"]}, "url", "a private address"),
        ({"url": "http://169.254.169.254/", "events": ["task.completed"]}, "url", "a link-local address"),
        ({"url": "http://127.0.0.2/", "events": ["task.completed"]}, "url", "a loopback address"),
        ({"url": "http://[::1]/", "events": ["task.completed"]}, "url", "a loopback address"),
        ({"url": "https://u:p@example.com/", "events": ["task.completed"]}, "url", "user name or password"),
        ({"url": "https://example.com/" + "a" * 2100, "events": ["task.completed"]}, "url", "2000"),
        ({"url": 12, "events": ["task.completed"]}, "url", ""),
        ({"events": ["task.completed"]}, "url", "required"),
        ({"url": "http://127.0.0.1/", "events": []}, "events", ""),
        ({"url": "http://127.0.0.1/", "events": ["task.done"]}, "events", "unknown event 'task.done'"),
        ({"url": "http://127.0.0.1/", "events": ["ping"]}, "events", "unknown event 'ping'"),
        ({"url": "http://127.0.0.1/", "events": "task.completed"}, "events", ""),
        ({"url": "http://127.0.0.1/", "events": [{"a": 1}]}, "events", ""),
        ({"url": "http://127.0.0.1/", "events": ["task.completed"], "description": "x" * 300}, "description", ""),
    ],
)
def test_hostile_input_is_a_400_naming_the_field_and_saves_nothing(
    people, project, webhook_settings, body, field, said
):
    response = f.api(people["manager"]).post(hooks_url(project), body, format="json")
    assert response.status_code == 400, response.content
    errors = response.json().get("errors", response.json())
    assert field in errors, response.json()
    assert said in str(errors[field])
    assert not Webhook.objects.exists()


def test_a_private_address_is_refused_unless_an_admin_allows_its_network(people, project, settings):
    client = f.api(people["manager"])
    body = {"url": "http://127.0.0.1:9/hook", "events": ["job.failed"]}
    settings.VR_WEBHOOK_ALLOWED_NETWORKS = ""
    refused = client.post(hooks_url(project), body, format="json")
    assert refused.status_code == 400 and "VR_WEBHOOK_ALLOWED_NETWORKS" in str(refused.json())
    settings.VR_WEBHOOK_ALLOWED_NETWORKS = "127.0.0.0/8"
    assert client.post(hooks_url(project), body, format="json").status_code == 201


def test_patch_turns_off_and_validates_and_delete_removes(people, project, webhook_settings):
    client = f.api(people["manager"])
    hook = client.post(
        hooks_url(project), {"url": "http://127.0.0.1:9/hook", "events": ["job.failed"]}, format="json"
    ).json()
    url = f"{hooks_url(project)}{hook['id']}/"
    assert client.patch(url, {"active": False}, format="json").json()["active"] is False
    bad = client.patch(url, {"url": "http://192.168.1.1/"}, format="json")
    assert bad.status_code == 400 and "url" in bad.json().get("errors", bad.json())
    assert Webhook.objects.get().url == "http://127.0.0.1:9/hook"
    changed = client.patch(url, {"events": ["job.failed", "task.completed", "job.failed"]}, format="json").json()
    assert changed["events"] == ["job.failed", "task.completed"]
    assert client.delete(url).status_code == 204 and not Webhook.objects.exists()


def test_redeliver_of_a_pending_delivery_is_a_409_and_the_log_is_paged(people, project, webhook_settings):
    hook = Webhook.objects.create(project=project, url="http://127.0.0.1:9/", events=["job.failed"], secret="s")
    rows = [WebhookDelivery.objects.create(webhook=hook, event="job.failed", payload={}) for _ in range(3)]
    client = f.api(people["manager"])
    base = f"{hooks_url(project)}{hook.pk}/deliveries/"
    page = client.get(base + "?limit=2").json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    conflict = client.post(f"{base}{rows[0].pk}/redeliver/")
    assert conflict.status_code == 409, conflict.content
    assert client.post(f"{base}999999/redeliver/").status_code == 404


def test_the_admin_lists_webhooks_and_deliveries_without_the_secret(people, project, client):
    hook = Webhook.objects.create(
        project=project, url="https://example.org/h", events=["job.failed"], secret="whsec_NOT-IN-THE-ADMIN"
    )
    delivery = WebhookDelivery.objects.create(webhook=hook, event="job.failed", payload={"a": 1})
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("root", password="pw"))
    for url in (
        "/admin/annotator/webhook/",
        f"/admin/annotator/webhook/{hook.pk}/change/",
        "/admin/annotator/webhookdelivery/",
        f"/admin/annotator/webhookdelivery/{delivery.pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"whsec_NOT-IN-THE-ADMIN" not in response.content, url
