"""The Django admin shows assets read-only: they are made only by imports. No "Add asset" (an
asset added by hand would have no file and no task yet count as ready), no delete; the prompt and
metadata stay editable under the import rules (tests/security/test_manifest_hostile.py)."""

from __future__ import annotations

import pytest

from annotator.models import Asset
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    root = f.user("root", staff=True)
    root.is_superuser = True
    root.save()
    client.force_login(root)
    return client


def test_the_admin_offers_no_add_asset(admin_client):
    changelist = admin_client.get("/admin/annotator/asset/")
    assert changelist.status_code == 200
    assert "/admin/annotator/asset/add/" not in changelist.content.decode()
    index = admin_client.get("/admin/").content.decode()
    assert "/admin/annotator/asset/" in index and "/admin/annotator/asset/add/" not in index
    assert admin_client.get("/admin/annotator/asset/add/").status_code == 403
    project = f.project()
    response = admin_client.post(
        "/admin/annotator/asset/add/",
        {"project": project.pk, "kind": "image", "status": "ready", "original_name": "x.jpg", "metadata": "{}"},
    )
    assert response.status_code == 403 and not Asset.objects.exists()


def test_an_asset_is_shown_read_only_but_its_prompt_and_metadata(admin_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    asset = f.ready_asset(f.project(), name="a.jpg", prompt="a cat on a mat")
    url = f"/admin/annotator/asset/{asset.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert set(form.fields) == {"prompt", "metadata"}
    html = page.content.decode()
    assert "a.jpg" in html and "Delete" not in html.split('<div class="submit-row">', 1)[-1].split("</div>", 1)[0]
    response = admin_client.post(
        url,
        {
            "prompt": "a cat on a red mat",
            "metadata": '{"seed": 7}',
            # a read-only field sent anyway is not applied
            "status": "failed",
            "original_name": "renamed.jpg",
            "project": asset.project_id,
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    asset.refresh_from_db()
    assert (asset.prompt, asset.metadata) == ("a cat on a red mat", {"seed": 7})
    assert (asset.status, asset.original_name) == ("ready", "a.jpg")
    assert admin_client.get(f"/admin/annotator/asset/{asset.pk}/delete/").status_code == 403
    response = admin_client.post(
        "/admin/annotator/asset/", {"action": "delete_selected", "_selected_action": [asset.pk], "post": "yes"}
    )
    assert Asset.objects.filter(pk=asset.pk).exists()


def test_the_project_assets_api_lists_newest_first_on_request(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    manager = f.user("mgr")
    project = f.project(members={manager: "manager"})
    first, second = f.ready_asset(project, name="1.jpg"), f.ready_asset(project, name="2.jpg")
    client = f.api(manager)

    def names(query: str) -> list[str]:
        page = client.get(f"/api/projects/{project.pk}/assets/{query}").json()
        return [a["original_name"] for a in page["results"]]

    assert names("") == ["1.jpg", "2.jpg"]
    assert names("?ordering=-id") == ["2.jpg", "1.jpg"]
    assert names("?ordering=-id&status=failed") == []
    assert first.pk < second.pk
