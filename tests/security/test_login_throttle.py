"""Brute force against the running platform (gunicorn, two worker processes, PostgreSQL): 61 wrong
passwords in a row through the session login, HTTP basic auth and the admin login, and 61 wrong
API tokens. Past the failure limit every attempt, and the 61st, gets a 429 that says why and
when to try again, even with the right password. A lock-out is per account and per address: a
locked account stays locked from a fresh address, a locked address stays locked for other
accounts, and another account from another address logs in. An admin lifts a lock-out through
the admin's pages and with ``manage.py axes_reset_username``.

Each attacker gets its own loopback address (127.0.0.x): the server sees them as distinct clients.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import subprocess
import uuid
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model

from tests.factories import api_token
from tests.guarantees.conftest import stack  # noqa: F401  (the real processes)
from tests.guarantees.processes import PYTHON, REPO

LIMIT = 10  # the default VR_LOGIN_FAILURE_LIMIT: the 10th failure locks
ATTEMPTS = 61
PASSWORD = "right-horse-battery-staple"


class Client:
    """A browser or script at one address: its own connection source and cookie jar."""

    def __init__(self, port: int, source: str):
        self.port, self.source, self.cookies = port, source, SimpleCookie()

    def request(self, method: str, path: str, *, body=None, headers=None, form=None):
        headers = dict(headers or {})
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            body = json.dumps(body)
            headers["Content-Type"] = "application/json"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={m.value}" for k, m in self.cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(self.source, 0))
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            for value in response.headers.get_all("Set-Cookie") or []:
                self.cookies.load(value)
            return response.status, response.headers, data
        finally:
            conn.close()

    def csrf(self) -> str:
        return self.cookies["csrftoken"].value

    # the app's session login, as the browser app does it
    def session_login(self, username: str, password: str):
        if "csrftoken" not in self.cookies:
            self.request("GET", "/api/auth/session/", headers={"Accept": "application/json"})
        return self.request(
            "POST",
            "/api/auth/session/",
            body={"username": username, "password": password},
            headers={"Accept": "application/json", "X-CSRFToken": self.csrf()},
        )

    def basic(self, username: str, password: str):
        secret = base64.b64encode(f"{username}:{password}".encode()).decode()
        return self.request(
            "GET", "/api/projects/", headers={"Authorization": f"Basic {secret}", "Accept": "application/json"}
        )

    def token(self, key: str):
        return self.request(
            "GET", "/api/projects/", headers={"Authorization": f"Token {key}", "Accept": "application/json"}
        )

    def admin_login(self, username: str, password: str):
        status, _, page = self.request("GET", "/admin/login/?next=/admin/", headers={"Accept": "text/html"})
        assert status in (200, 429), status
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        token = match.group(1).decode() if match else self.csrf()
        form = {"username": username, "password": password, "csrfmiddlewaretoken": token, "next": "/admin/"}
        return self.request("POST", "/admin/login/?next=/admin/", form=form, headers={"Accept": "text/html"})

    def admin_post(self, path: str, form: dict):
        return self.request(
            "POST", path, form={**form, "csrfmiddlewaretoken": self.csrf()}, headers={"Accept": "text/html"}
        )


@pytest.fixture
def server(stack, settings):  # noqa: F811
    stack.env.update(
        {
            "VR_CACHE_KEY_PREFIX": f"test-throttle-{uuid.uuid4().hex}",
        }
    )
    # the server checks passwords with its own (production) hashers
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    User = get_user_model()
    for name in ("victim", "basicvictim", "bystander", "adminvictim"):
        User.objects.create_user(name, password=PASSWORD)
    User.objects.create_superuser("root", password=PASSWORD)
    return stack.web(workers=2, threads=4)


def client(server, n: int) -> Client:
    return Client(server.port, f"127.0.0.{n}")


def assert_locked(status, headers, body, *, html=False):
    assert status == 429, (status, body[:300])
    assert int(headers["Retry-After"]) > 0
    text = body.decode()
    if html:
        assert "Too many failed logins" in text and "<html" in text.lower()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text, re.I)  # no inline script (strict CSP)
    else:
        text = json.loads(body)["detail"]
    assert "Too many failed logins" in text and "Try again after" in text and "admin" in text, text


def hammer(attempt, wrong_status: set[int]) -> list[int]:
    """61 attempts in a row: below the limit each is refused as wrong, from the limit on each is a 429."""
    statuses = []
    for n in range(1, ATTEMPTS + 1):
        status, headers, body = attempt(n)
        statuses.append(status)
        if n < LIMIT:
            assert status in wrong_status, (n, status, body[:300])
        else:
            assert_locked(status, headers, body, html=wrong_status == {200})
    return statuses


def test_session_login_locks_the_account_and_the_address_but_not_others(server):
    attacker = client(server, 11)
    statuses = hammer(lambda n: attacker.session_login("victim", f"guess-{n}"), {400})
    assert statuses[LIMIT - 1] == 429 and statuses[-1] == 429

    # the right password does not get in while locked, from the attacker's address or any other
    assert_locked(*attacker.session_login("victim", PASSWORD))
    assert_locked(*client(server, 12).session_login("victim", PASSWORD))
    # the attacker's address is locked for other accounts too
    assert_locked(*attacker.session_login("bystander", PASSWORD))
    # another account from another address is not affected
    status, _, body = client(server, 13).session_login("bystander", PASSWORD)
    assert status == 200 and json.loads(body)["user"]["username"] == "bystander"


def test_basic_auth_failures_lock_out_with_429(server):
    attacker = client(server, 21)
    hammer(lambda n: attacker.basic("basicvictim", f"guess-{n}"), {401, 403})
    assert_locked(*attacker.basic("basicvictim", PASSWORD))
    assert_locked(*client(server, 22).basic("basicvictim", PASSWORD))  # the account is locked
    status, _, _ = client(server, 23).basic("bystander", PASSWORD)
    assert status == 200


def test_wrong_tokens_lock_the_address(server):
    good = api_token(get_user_model().objects.get(username="bystander"))
    attacker = client(server, 31)
    hammer(lambda n: attacker.token(uuid.uuid4().hex[:40]), {401, 403})
    assert_locked(*attacker.token(good))  # a locked address is refused before its token is read
    status, _, _ = client(server, 32).token(good)
    assert status == 200  # token callers elsewhere are not affected


def test_admin_login_locks_out_with_a_readable_page(server):
    attacker = client(server, 41)
    hammer(lambda n: attacker.admin_login("adminvictim", f"guess-{n}"), {200})
    status, headers, page = attacker.admin_login("adminvictim", PASSWORD)
    assert_locked(status, headers, page, html=True)


def test_an_admin_lifts_a_lock_out(server):
    attacker = client(server, 51)
    hammer(lambda n: attacker.session_login("victim", f"guess-{n}"), {400})
    hammer(lambda n: client(server, 52).basic("basicvictim", f"guess-{n}"), {401, 403})

    # the admin sees the lock-outs in the Django admin ...
    admin = client(server, 53)
    status, headers, _ = admin.admin_login("root", PASSWORD)
    assert status == 302 and headers["Location"] == "/admin/", status
    status, _, page = admin.request("GET", "/admin/axes/accessattempt/", headers={"Accept": "text/html"})
    assert status == 200 and b"victim" in page and b"basicvictim" in page
    status, _, page = admin.request("GET", "/admin/", headers={"Accept": "text/html"})
    assert b"/admin/axes/accessattempt/" in page  # reachable from the admin's index

    # ... and deletes the basic-auth victim's attempts there (the lock-out is lifted) ...
    ids = [str(pk) for pk in AccessAttempt.objects.filter(username="basicvictim").values_list("pk", flat=True)]
    assert ids
    form = {"action": "delete_selected", "_selected_action": ids}
    status, _, page = admin.admin_post("/admin/axes/accessattempt/", form)
    assert status == 200 and b"Are you sure" in page
    status, _, _ = admin.admin_post("/admin/axes/accessattempt/", {**form, "post": "yes"})
    assert status == 302
    status, _, _ = client(server, 52).basic("basicvictim", PASSWORD)
    assert status == 200

    # ... or from the command line, by username
    done = subprocess.run(
        [PYTHON, "manage.py", "axes_reset_username", "victim"],
        cwd=REPO,
        env=dict(server.env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    status, _, body = client(server, 54).session_login("victim", PASSWORD)
    assert status == 200, body
