"""The app's own Content-Security-Policy, against a live server and in Chromium.

Every page of the platform (the browser app, the admin, the API and its docs) sends a strict CSP:
scripts only from this origin, no inline script, no eval, no plugins, never framed. The app, the
API docs (Swagger UI and Redoc, served from this origin by drf-spectacular-sidecar) and the admin
(sign in, open a change page, save) all work in Chromium without a single CSP violation, while an
injected inline script is refused.
"""

from __future__ import annotations

import pytest
import requests

from annotator.models import Membership, Project
from tests.e2e.fixtures import PASSWORD, login, make_user
from tests.factories import builtin

pytestmark = pytest.mark.django_db(transaction=True)

REQUIRED = {
    "default-src": "'self'",
    "script-src": "'self'",
    "object-src": "'none'",
    "frame-ancestors": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
}

WATCH = """
document.addEventListener('securitypolicyviolation', (e) =>
  console.log('CSP-VIOLATION ' + e.violatedDirective + ' ' + e.blockedURI + ' at ' + e.sourceFile));
"""


def directives(header: str) -> dict[str, str]:
    out = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            out[name] = value.strip()
    return out


def test_every_page_sends_the_strict_policy(live_server):
    make_user("ann")
    session = requests.Session()
    for path in ("/", "/login", "/projects", "/admin/login/", "/api/docs/", "/api/redoc/", "/api/docs/?script="):
        response = session.get(live_server.url + path, timeout=30)
        assert response.status_code == 200, path
        policy = directives(response.headers["Content-Security-Policy"])
        for name, value in REQUIRED.items():
            assert policy.get(name) == value, (path, name, policy)
        assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    api = session.get(live_server.url + "/api/projects/", auth=("ann", PASSWORD), timeout=30)
    assert api.status_code == 200 and "Content-Security-Policy" in api.headers


def _watched_page(context):
    page = context.new_page()
    page.add_init_script(WATCH)
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"{page.url}: {m.text}")
            if ("CSP-VIOLATION" in m.text or "Content Security Policy" in m.text)
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(f"{page.url}: page error {exc}"))
    return page, problems


def test_app_docs_and_admin_work_without_violations(live_server, browser):
    from playwright.sync_api import expect

    admin = make_user("root", staff=True)
    admin.is_superuser = True
    admin.save()
    project = Project.objects.create(name="Night skies", media_type="image", checklist_version=builtin("image"))
    Membership.objects.create(project=project, user=admin, role=Membership.Role.MANAGER)

    context = browser.new_context(base_url=live_server.url)
    try:
        page, problems = _watched_page(context)
        # the browser app
        login(page, "root")
        expect(page.get_by_text("Night skies").first).to_be_visible()
        page.get_by_text("Night skies").first.click()
        page.wait_for_load_state("networkidle")

        # the API docs, from this origin
        page.goto("/api/docs/")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("VisionReward annotation platform API")
        expect(page.locator(".opblock").first).to_be_visible()
        page.goto("/api/redoc/")
        # Redoc renders the whole schema in the browser: seconds on a loaded 2-core machine
        heading = page.get_by_role("heading", name="VisionReward annotation platform API").first
        expect(heading).to_be_visible(timeout=30_000)
        page.wait_for_load_state("networkidle")

        # the admin: sign in with its own form, open a change page, save it
        page.context.clear_cookies()
        page.goto("/admin/login/")
        page.get_by_label("Username").fill("root")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
        page.goto(f"/admin/annotator/project/{project.pk}/change/")
        expect(page.locator("#id_name")).to_have_value("Night skies")
        page.locator("#id_name").fill("Night skies (renamed)")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator(".messagelist")).to_contain_text("changed successfully")
        page.goto(f"/admin/auth/user/{admin.pk}/change/")
        expect(page.locator("#id_username")).to_have_value("root")

        assert problems == [], problems

        # and the policy is enforced: an inline script injected into the app does not run
        page.goto("/projects")
        ran = page.evaluate(
            """() => new Promise((done) => {
                const seen = () => done(window.injected === true);
                document.addEventListener('securitypolicyviolation', seen, {once: true});
                const s = document.createElement('script');
                s.textContent = 'window.injected = true';
                document.body.append(s);
                setTimeout(() => done(window.injected === true), 3000);
            })"""
        )
        assert ran is False
        assert any("script-src" in p for p in problems), problems
    finally:
        context.close()
    project.refresh_from_db()
    assert project.name == "Night skies (renamed)"


def test_operators_extend_the_policy_and_can_try_it_report_only():
    """VR_CSP_<DIRECTIVE> adds sources, VR_CSP_REPORT_URI adds a report-uri, VR_CSP_REPORT_ONLY
    sends the same policy as Content-Security-Policy-Report-Only (settings are read at start-up,
    so a fresh process reads them)."""
    import json
    import os
    import subprocess
    import sys

    from tests.e2e.fixtures import REPO

    script = (
        "import json, django; django.setup(); from django.conf import settings;"
        "print(json.dumps([getattr(settings, name, None) for name in"
        " ('CONTENT_SECURITY_POLICY', 'CONTENT_SECURITY_POLICY_REPORT_ONLY')], default=str))"
    )
    base = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}

    def policies(**env):
        out = subprocess.run(
            [sys.executable, "-c", script], cwd=REPO, env={**base, **env}, capture_output=True, text=True, check=True
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    enforced, report_only = policies(VR_CSP_IMG_SRC="https://cdn.example.org", VR_CSP_REPORT_URI="/csp-report")
    assert report_only is None
    assert enforced["DIRECTIVES"]["img-src"] == ["'self'", "data:", "https://cdn.example.org"]
    assert enforced["DIRECTIVES"]["report-uri"] == ["/csp-report"]
    assert enforced["DIRECTIVES"]["script-src"] == ["'self'"]
    enforced, report_only = policies(VR_CSP_REPORT_ONLY="1")
    assert enforced is None and report_only["DIRECTIVES"]["default-src"] == ["'self'"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"VR_S3_ENDPOINT_URL": "http://minio:9000", "VR_S3_PUBLIC_ENDPOINT_URL": "https://media.example.org"},
            ["https://media.example.org"],
        ),
        (
            {"VR_S3_ENDPOINT_URL": "http://s3.internal.test:9000", "VR_S3_ADDRESSING_STYLE": "virtual"},
            ["http://vr-media.s3.internal.test:9000", "http://vr-sets.s3.internal.test:9000"],
        ),
        (
            {"VR_S3_REGION": "eu-west-1"},
            ["https://vr-media.s3.eu-west-1.amazonaws.com", "https://vr-sets.s3.eu-west-1.amazonaws.com"],
        ),
    ],
    ids=["minio-public-endpoint", "virtual-host-endpoint", "aws"],
)
def test_on_s3_the_buckets_origin_may_serve_media_and_take_upload_parts(env, expected):
    """VR_STORAGE=s3: the page's policy lets <img>/<video> load presigned URLs from the bucket and
    fetch() PUT upload parts to it, and nothing else is opened up; the origin is the one the
    presigned URLs are really signed for (boto3's own URL, taken by public_origin())."""
    import json
    import os
    import subprocess
    import sys

    from tests.e2e.fixtures import REPO

    script = (
        "import json, django; django.setup(); from django.test import Client;"
        "from annotator.storage import media_storage, datasets_storage; from annotator.storage.s3 import public_origin;"
        "r = Client().get('/login');"
        "print(json.dumps([r.status_code, r.headers['Content-Security-Policy'],"
        " [public_origin(media_storage()), public_origin(datasets_storage())]]))"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("VR_S3_", "VR_CSP_"))}
    base |= {"DJANGO_SETTINGS_MODULE": "config.settings", "VR_STORAGE": "s3", "VR_S3_BUCKET": "vr-media"}
    base |= {"VR_S3_DATASETS_BUCKET": "vr-sets", "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"}
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env={**base, **env}, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-3000:]
    status, header, signed = json.loads(out.stdout.strip().splitlines()[-1])
    policy = directives(header)
    assert status == 200
    for name, first in (("img-src", "'self' data:"), ("media-src", "'self'"), ("connect-src", "'self'")):
        assert policy[name] == " ".join([first, *expected]), (name, policy)
    assert set(signed) <= set(expected), signed
    for name, value in REQUIRED.items():
        assert policy[name] == value
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'"


def test_on_the_filesystem_no_other_origin_is_allowed():
    from django.conf import settings

    if settings.VR_STORAGE != "filesystem":
        pytest.skip("the suite runs on VR_STORAGE=s3")
    directives_ = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    assert settings.VR_S3_PUBLIC_ORIGINS == []
    assert directives_["media-src"] == ["'self'"] and directives_["connect-src"] == ["'self'"]
