"""Small builders for API tests: users, projects, checklist versions, ready assets (with real files in the
media storage), tasks, claimed assignments."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from annotator.models import Asset, ChecklistVersion, Membership, Project, asset_media_dir
from annotator.services.tasks import create_task_for_asset
from annotator.storage import media_storage, put_bytes

User = get_user_model()


def user(username: str, *, staff: bool = False) -> User:
    return User.objects.create_user(username=username, password="pw", is_staff=staff)


def people() -> dict[str, User]:
    """The usual cast: a manager, a researcher, an annotator, an outsider and a staff user (by role)."""
    return {
        "manager": user("manager"),
        "researcher": user("researcher"),
        "annotator": user("annotator1"),
        "outsider": user("outsider"),
        "staff": user("staffer", staff=True),
    }


def api_token(user) -> str:
    """A new personal API token's key for ``user`` (``Authorization: Token <key>``)."""
    import uuid

    from annotator.services.tokens import issue

    return issue(user, f"test {uuid.uuid4().hex[:8]}").key


def api(as_user=None) -> APIClient:
    client = APIClient()
    if as_user is not None:
        client.force_authenticate(as_user)
    return client


def browser_session() -> APIClient:
    """An anonymous client that checks CSRF like the browser app, with its csrftoken cookie set."""
    client = APIClient(enforce_csrf_checks=True)
    client.get("/api/auth/session/")
    return client


def csrf_post(client: APIClient, url: str, body: dict):
    """POST JSON with the client's CSRF token, as the browser app does."""
    return client.post(url, body, format="json", HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)


def builtin(media_type: str = "image") -> ChecklistVersion:
    return ChecklistVersion.objects.filter(key=f"visionreward-{media_type}").order_by("-version").first()


# A small image checklist: one dimension (quality: clarity with two questions, color with one).
LAB_CHECKLIST = """\
key: lab
title: Lab checklist
media_type: image
dimensions:
  - key: quality
    title: Quality
    sub_dimensions:
      - key: clarity
        title: Clarity
        options:
          - {code: 1, label: clear}
          - {code: 0, label: ordinary}
          - {code: -1, label: blurry}
        questions:
          - {key: clear, text: "Is the image clear?", yes_if_at_least: 1}
          - {key: not_blurry, text: "Is the image not blurry?", yes_if_at_least: 0}
      - key: color
        title: Color
        options:
          - {code: 1, label: vivid}
          - {code: 0, label: dull}
        questions:
          - {key: vivid, text: "Are the colors vivid?", yes_if_at_least: 1}
"""


def checklist_version(text: str) -> ChecklistVersion:
    """The checklist version of a checklist file's text (loaded now, or the one with that content)."""
    from annotator.checklist import parse_checklist
    from annotator.services.checklists import load_checklist_version

    return load_checklist_version(parse_checklist(text))[0]


def project(*, media_type: str = "image", overlap: int = 1, members: dict | None = None, **kw) -> Project:
    p = Project.objects.create(
        name=kw.pop("name", f"{media_type} project"),
        media_type=media_type,
        checklist_version=kw.pop("checklist_version", None) or builtin(media_type),
        overlap=overlap,
        **kw,
    )
    for u, role in (members or {}).items():
        Membership.objects.create(project=p, user=u, role=role)
    return p


def ready_asset(p: Project, *, prompt: str = "a cat", name: str = "a.jpg", content: bytes = b"\xff\xd8fake") -> Asset:
    asset = Asset.objects.create(
        project=p, kind=p.media_type, original_name=name, prompt=prompt, width=64, height=48, size_bytes=len(content)
    )
    folder = asset_media_dir(p.pk, asset.pk)
    media = media_storage()  # MEDIA_ROOT, or the bucket on VR_STORAGE=s3
    put_bytes(media, f"{folder}/original.jpg", content)
    put_bytes(media, f"{folder}/thumbnail.jpg", content[:4])
    put_bytes(media, f"{folder}/frames/000.jpg", b"frame0")
    asset.files = {
        "original": f"{folder}/original.jpg",
        "display": f"{folder}/original.jpg",
        "thumbnail": f"{folder}/thumbnail.jpg",
        "poster": None,
        "frames": [{"file": f"{folder}/frames/000.jpg", "index": 0, "time": 0.0}],
    }
    asset.save(update_fields=["files"])
    create_task_for_asset(asset)
    return asset


def full_image_options(checklist, *, best: bool = True) -> dict:
    """One option per applicable sub-dimension: the best (or the worst present) option."""
    out = {}
    for sub in checklist.sub_dimensions:
        present = [o for o in sub.options if not o.not_present]
        out[sub.key] = (present[0] if best else present[-1]).code
    return out


def claim(who, p):
    """The next assignment of ``who`` in ``p`` (a dict), or None on 204."""
    response = api(who).post(f"/api/projects/{p.pk}/tasks/next/")
    assert response.status_code in (200, 204), response.content
    return response.json() if response.status_code == 200 else None


def keys_of(value):
    """The key structure of a JSON value (dict keys, recursively), for comparing payload shapes."""
    if isinstance(value, dict):
        return {key: keys_of(item) for key, item in value.items()}
    if isinstance(value, list):
        return [keys_of(item) for item in value[:1]]
    return None
