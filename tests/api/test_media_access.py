import pytest

from tests.factories import api, project, ready_asset, user

pytestmark = pytest.mark.django_db


def test_members_get_the_files_with_range_requests_and_others_get_404():
    ann, stranger = user("ann"), user("stranger")
    p = project(members={ann: "annotator"})
    asset = ready_asset(p, content=b"0123456789" * 10)
    urls = api(ann).get(f"/api/assets/{asset.pk}/").json()["urls"]
    assert set(urls) >= {"original", "display", "thumbnail", "frames"}
    whole = api(ann).get(urls["original"])
    assert whole.status_code == 200 and b"".join(whole.streaming_content) == b"0123456789" * 10
    part = api(ann).get(urls["original"], HTTP_RANGE="bytes=10-19")
    assert part.status_code == 206
    assert part["Content-Range"] == "bytes 10-19/100"
    assert b"".join(part.streaming_content) == b"0123456789"
    assert api(ann).get(urls["original"], HTTP_RANGE="bytes=500-").status_code == 416
    assert api(ann).get(urls["frames"][0]["url"]).status_code == 200
    assert api(stranger).get(urls["original"]).status_code == 404
    assert api(stranger).get(f"/api/assets/{asset.pk}/").status_code == 404
    assert api().get(urls["original"]).status_code in (401, 403)
    assert api(ann).get(f"/api/assets/{asset.pk}/files/../../../etc/passwd").status_code == 404
    assert api(ann).get(f"/api/assets/{asset.pk}/files/frames/7").status_code == 404


def test_project_asset_listing_filters_by_status():
    boss = user("boss")
    p = project(members={boss: "manager"})
    ready_asset(p)
    from annotator.models import Asset

    Asset.objects.create(project=p, kind="image", status="failed", original_name="bad.jpg", failure_reason="empty")
    failed = api(boss).get(f"/api/projects/{p.pk}/assets/?status=failed").json()["results"]
    assert [(a["original_name"], a["failure_reason"]) for a in failed] == [("bad.jpg", "empty")]
