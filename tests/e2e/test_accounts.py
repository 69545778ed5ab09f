"""Accounts in a real browser: forgot password -> the e-mailed link -> a new password -> sign in;
a manager invites someone from the project's members page -> the invitee opens the link, picks a
username and password and signs in to the project; ten wrong passwords show the lock-out.
The e-mails are read from Django's outbox (the live server runs in this process)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from annotator.models import Membership, Project
from tests.e2e.fixtures import login, make_user, screenshot
from tests.factories import builtin

pytestmark = pytest.mark.django_db(transaction=True)


def test_forgot_password_then_sign_in_with_the_new_one(page):
    ann = make_user("ann")
    ann.email = "ann@example.org"
    ann.save()
    page.goto("/login")
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_label("E-mail address").fill("ann@example.org")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("status")).to_contain_text("If an account has this e-mail address")
    screenshot(page, "forgot-password")

    [message] = mail.outbox
    link = re.search(r"https?://\S+/reset-password#\S+", message.body).group(0)
    page.goto(link)
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("Repeat the new password").fill("short")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.locator("#new-password-error")).to_contain_text("too short")
    page.get_by_label("New password", exact=True).fill("a-brand-new-password")
    page.get_by_label("Repeat the new password").fill("a-brand-new-password")
    screenshot(page, "reset-password")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is changed")
    screenshot(page, "reset-password-done")
    login(page, "ann", "a-brand-new-password")

    # the link worked once
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    page.goto(link)
    page.get_by_label("New password", exact=True).fill("another-new-password")
    page.get_by_label("Repeat the new password").fill("another-new-password")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_role("alert")).to_contain_text("invalid or has expired")


def test_ten_wrong_passwords_show_the_lock_out(page):
    make_user("bob")
    page.goto("/login")
    for n in range(10):
        page.get_by_label("Username").fill("bob")
        page.get_by_label("Password").fill(f"wrong-{n}")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("alert").wait_for()
        expect(page.get_by_role("button", name="Sign in")).to_be_enabled()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Sign-in is locked for now.")
    expect(alert).to_contain_text("Too many failed logins")
    expect(alert).to_contain_text("Try again after")
    screenshot(page, "login-locked-out")


def test_a_manager_invites_and_the_invitee_joins_the_project(page):
    boss = make_user("boss")
    p = Project.objects.create(name="Invite demo", media_type="image", checklist_version=builtin("image"))
    Membership.objects.create(project=p, user=boss, role="manager")
    login(page, "boss")
    page.goto(f"/projects/{p.pk}/manage")
    page.get_by_role("link", name="Members").click()
    page.get_by_role("heading", name="Members: Invite demo").wait_for()
    form = page.get_by_role("form", name="Invite by e-mail")
    form.get_by_label("E-mail address").fill("newcomer@example.org")
    form.get_by_label("Role").select_option("reviewer")
    form.get_by_role("button", name="Send invitation").click()
    link_box = page.get_by_label("Invitation link", exact=True)
    expect(link_box).to_have_value(re.compile(r"/invitation#token="))
    expect(page.get_by_role("table", name="Invitations to this project")).to_contain_text("newcomer@example.org")
    screenshot(page, "members-invite")
    link = link_box.input_value()
    [message] = mail.outbox
    assert link in message.body

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    page.goto(link)
    expect(page.get_by_text("Invitation for")).to_contain_text("newcomer@example.org")
    expect(page.get_by_text("Invitation for")).to_contain_text("Invite demo")
    page.get_by_label("Choose a username").fill("boss")  # taken
    page.get_by_label("Choose a password").fill("a-long-password-1")
    page.get_by_role("button", name="Create my account").click()
    expect(page.locator("#new-username-error")).to_contain_text("taken")
    page.get_by_label("Choose a username").fill("newcomer")
    screenshot(page, "accept-invitation")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("status")).to_contain_text("Your account newcomer is ready")
    login(page, "newcomer", "a-long-password-1")
    expect(page.get_by_text("Invite demo")).to_be_visible()
    assert Membership.objects.get(project=p, user__username="newcomer").role == "reviewer"
