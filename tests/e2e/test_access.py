"""Members, personal API tokens and role-aware screens in a real browser: a user makes a token on
their account page and a script (an HTTP client of this test) uses it against the live server
until it is revoked; a manager makes a shareable invitation link, the invitee joins in a second
browser and appears with the role, which the manager then changes, and removes them, and a
signed-in user joins with the link's last use; an
annotator sees no Datasets, review or manage links and gets a clear page on a direct URL."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from annotator.models import Assignment, Membership, PersonalToken, Project
from tests.e2e.fixtures import VIEWPORT, login, make_user, screenshot
from tests.e2e.test_review_manage import check_accessibility
from tests.factories import builtin

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_user_makes_a_token_and_a_script_uses_it_until_it_is_revoked(page, live_server):
    ann = make_user("ann")
    p = Project.objects.create(name="Token demo", media_type="image", checklist_version=builtin("image"))
    Membership.objects.create(project=p, user=ann, role="annotator")
    login(page, "ann")
    page.get_by_role("link", name="Your account: ann").click()
    page.get_by_role("heading", name="Your account: ann").wait_for()
    page.get_by_label("Token name").fill("nightly script")
    page.get_by_label("Expires").select_option("30")
    page.get_by_role("button", name="Create token").click()
    key_box = page.get_by_label("Token key")
    expect(key_box).to_have_value(re.compile(r"^vrp_"))
    key = key_box.input_value()
    expect(page.get_by_text("Copy the key now: it is shown only this once.")).to_be_visible()
    check_accessibility(page, "the account page")
    screenshot(page, "account-token-created")
    assert not PersonalToken.objects.filter(key_hash=key).exists()  # only the hash is stored

    script = requests.Session()
    script.headers["Authorization"] = f"Token {key}"
    answer = script.get(f"{live_server.url}/api/projects/", timeout=10)
    assert answer.status_code == 200, answer.text
    assert [x["name"] for x in answer.json()["results"]] == ["Token demo"]
    bearer = requests.get(f"{live_server.url}/api/tokens/", headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert bearer.status_code == 200 and "key" not in bearer.json()["results"][0]

    page.get_by_role("button", name="I have copied it").click()
    page.reload()
    row = page.get_by_role("row", name=re.compile("nightly script"))
    expect(row).to_contain_text(key[:12])
    expect(row).not_to_contain_text("never")  # last used: the script's call; expires in 30 days
    row.get_by_role("button", name="Revoke nightly script").click()
    dialog = page.get_by_role("dialog", name="Revoke nightly script?")
    expect(dialog).to_contain_text("stop working at once")
    screenshot(page, "account-token-revoke")
    dialog.get_by_role("button", name="Revoke token").click()
    expect(page.get_by_role("status").filter(has_text="its key no longer works")).to_be_visible()
    expect(row).to_contain_text("revoked")
    refused = script.get(f"{live_server.url}/api/projects/", timeout=10)
    assert refused.status_code in (401, 403) and "revoked" in refused.json()["detail"]


def test_a_manager_invites_by_link_and_the_invitee_joins_in_another_browser(page, browser, live_server, add_asset):
    boss = make_user("boss")
    p = Project.objects.create(name="Link demo", media_type="image", checklist_version=builtin("image"))
    Membership.objects.create(project=p, user=boss, role="manager")
    add_asset(p, "test1.jpg", "a fox in the snow")
    login(page, "boss")
    page.get_by_test_id(f"project-{p.pk}").get_by_role("link", name="Members").click()
    page.get_by_role("heading", name="Members: Link demo").wait_for()
    form = page.get_by_role("form", name="Invite by link")
    form.get_by_label("Role").select_option("reviewer")
    form.get_by_label("People who may use it").fill("2")
    form.get_by_label("Expires after (days)").fill("3")
    form.get_by_role("button", name="Create link").click()
    link_box = page.get_by_label("Invitation link", exact=True)
    expect(link_box).to_have_value(re.compile(r"/invitation#token="))
    expect(page.get_by_text("Invitation link for 2 people as reviewer")).to_be_visible()
    check_accessibility(page, "the members page")
    screenshot(page, "members-invitation-link")
    link = link_box.input_value()

    other = browser.new_context(viewport=VIEWPORT, base_url=live_server.url)
    try:
        invitee = other.new_page()
        invitee.goto(link)
        expect(invitee.get_by_text("Invitation to the project")).to_contain_text("Link demo")
        expect(invitee.get_by_text("Invitation to the project")).to_contain_text("reviewer")
        invitee.get_by_label("Choose a username").fill("newbie")
        invitee.get_by_label("Choose a password").fill("a-long-password-1")
        invitee.get_by_label("E-mail address (optional)").fill("newbie@example.org")
        screenshot(invitee, "accept-invitation-link")
        invitee.get_by_role("button", name="Create my account").click()
        expect(invitee.get_by_role("status")).to_contain_text("Your account newbie is ready")
        login(invitee, "newbie", "a-long-password-1")
        card = invitee.get_by_test_id(f"project-{p.pk}")
        expect(card).to_contain_text("reviewer")
        card.get_by_role("link", name="Start annotating").click()
        invitee.get_by_role("button", name=re.compile("Submit")).first.wait_for()
    finally:
        other.close()

    page.reload()
    row = page.get_by_test_id("member-newbie")
    expect(row.get_by_role("combobox", name="Role of newbie")).to_have_value("reviewer")
    expect(row).not_to_contain_text("never")  # a last login and an activity (the lease just taken)
    expect(page.get_by_role("table", name="Invitations to this project")).to_contain_text("Link (1 of 2 uses)")

    # change the role; the last manager cannot step down
    row.get_by_role("combobox", name="Role of newbie").select_option("annotator")
    expect(page.get_by_role("status").filter(has_text="newbie is now an annotator.")).to_be_visible()
    page.get_by_role("combobox", name="Role of boss").select_option("reviewer")
    expect(page.get_by_role("alert")).to_contain_text("only manager")
    expect(page.get_by_role("combobox", name="Role of boss")).to_have_value("manager")
    assert Membership.objects.get(project=p, user=boss).role == "manager"

    # remove, with what happens to the lease said first
    page.get_by_role("button", name="Remove newbie").click()
    dialog = page.get_by_role("dialog", name="Remove newbie from Link demo?")
    expect(dialog).to_contain_text("Their 1 leased task goes back to the queue")
    screenshot(page, "members-remove-confirm")
    dialog.get_by_role("button", name="Remove member").click()
    expect(page.get_by_role("status").filter(has_text="newbie is removed from the project.")).to_be_visible()
    expect(page.get_by_test_id("member-newbie")).to_have_count(0)
    assert not Assignment.objects.filter(user__username="newbie", state="active").exists()

    # someone with an account joins with the link's second use, signed in
    make_user("carl")
    third = browser.new_context(viewport=VIEWPORT, base_url=live_server.url)
    try:
        carl = third.new_page()
        login(carl, "carl")
        carl.goto(link)
        expect(carl.get_by_text("Invitation to the project")).to_contain_text("Link demo")
        carl.get_by_role("button", name="Join as carl").click()
        expect(carl.get_by_role("status")).to_contain_text("You are now a reviewer in Link demo.")
        check_accessibility(carl, "the join page")
        screenshot(carl, "join-invitation-signed-in")
    finally:
        third.close()
    assert Membership.objects.get(project=p, user__username="carl").role == "reviewer"
    page.reload()
    expect(page.get_by_role("table", name="Invitations to this project")).to_contain_text("used up")


def test_an_annotator_sees_only_their_screens(page):
    ann = make_user("ann")
    p = Project.objects.create(name="Role demo", media_type="image", checklist_version=builtin("image"))
    Membership.objects.create(project=p, user=ann, role="annotator")
    Membership.objects.create(project=p, user=make_user("boss"), role="manager")
    login(page, "ann")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link")).to_have_count(0)  # no Datasets
    card = page.get_by_test_id(f"project-{p.pk}")
    expect(card.get_by_role("link")).to_have_text(["Start annotating"])
    screenshot(page, "projects-annotator")

    for path, what in (
        (f"/projects/{p.pk}/review", "The review screen is for reviewers and managers"),
        (f"/projects/{p.pk}/manage", "The statistics screen is for reviewers, managers and researchers"),
        (f"/projects/{p.pk}/members", "The members screen is for managers"),
        (f"/projects/{p.pk}/weights", "The weights screen is for managers and researchers"),
        ("/datasets", "The datasets screen is for managers and researchers of a project"),
    ):
        page.goto(path)
        expect(page.get_by_role("heading", name="Not available for your role")).to_be_visible()
        expect(page.get_by_role("main")).to_contain_text(what)
        expect(page.get_by_role("main")).not_to_contain_text("403")
    expect(page.get_by_role("main")).to_contain_text("You have none of these roles in any project.")
    page.goto(f"/projects/{p.pk}/review")
    expect(page.get_by_role("main")).to_contain_text("You are an annotator there.")
    check_accessibility(page, "the not-for-your-role page")
    screenshot(page, "not-available-for-your-role")
    page.get_by_role("link", name="Your projects").click()
    page.get_by_role("heading", name="Your projects").wait_for()
