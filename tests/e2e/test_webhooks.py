"""A manager in a real browser adds a webhook on the project's manage screen, copies its secret
(shown once), sends a test event that a real receiver on 127.0.0.1 gets signed with that secret,
sees the delivery in the log and sends it again (the same event id)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotator.models import Membership, Project, WebhookDelivery
from tests.e2e.fixtures import login, make_user, screenshot
from tests.factories import builtin
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_manager_adds_a_webhook_sees_a_delivery_and_sends_it_again(page, eager_jobs, settings):
    settings.VR_WEBHOOK_ALLOWED_NETWORKS = "127.0.0.1/32"  # the test's receiver, allowed by the admin
    manager = make_user("mia")
    project = Project.objects.create(name="Hooked", media_type="image", checklist_version=builtin("image"))
    Membership.objects.create(project=project, user=manager, role="manager")

    with Receiver() as receiver:
        login(page, "mia")
        page.goto(f"/projects/{project.pk}/manage")
        section = page.get_by_role("region", name="Webhooks")
        expect(section.get_by_text("No webhooks yet.")).to_be_visible()

        # a private address is refused, the field says why
        section.get_by_label("Payload URL").fill("http://10.0.0.1/hook")
        section.get_by_label("Task completed").check()
        section.get_by_role("button", name="Add webhook").click()
        expect(section.get_by_text("10.0.0.1 is a private address", exact=False)).to_be_visible()

        section.get_by_label("Payload URL").fill(receiver.url)
        section.get_by_label("Job failed").check()
        section.get_by_role("button", name="Add webhook").click()
        secret_box = section.get_by_role("textbox", name="Signing secret", exact=True)
        expect(secret_box).to_be_visible()
        secret = secret_box.input_value()
        assert secret.startswith("whsec_")
        receiver.secret = secret
        expect(section.get_by_test_id("webhook")).to_contain_text(receiver.url)

        section.get_by_role("button", name="Send test event").click()
        row = section.get_by_test_id("webhook-delivery")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("ping")
        expect(row).to_contain_text("delivered")
        expect(row).to_contain_text("200")
        screenshot(page, "webhooks-manage")

        row.get_by_role("button", name="Send delivery").click()
        expect(section.get_by_text("queued again (same event id)", exact=False)).to_be_visible()
        expect(row.locator("td.num").nth(2)).to_have_text("2")  # attempts

        section.get_by_role("button", name="I have copied it").click()
        expect(section.get_by_role("textbox", name="Signing secret", exact=True)).to_have_count(0)

    assert receiver.events() == ["ping", "ping"]
    assert all(r.verified for r in receiver.received)  # signed with the secret the page showed
    delivery = WebhookDelivery.objects.get()
    assert {r.headers["x-vr-delivery"] for r in receiver.received} == {str(delivery.event_id)}
    assert delivery.attempts == 2 and delivery.state == "delivered"
