"""Hostile import manifests, sent over HTTP to a live server: every one is a 400 whose body names
the line and the key (JSONL) or column (CSV), and nothing is saved (no job, no staging folder).

A NUL byte in a CSV prompt used to be a 500 (PostgreSQL text cannot hold ``\\x00``); so were a
lone surrogate (``"\\ud800"``), NaN in metadata, a 5,000-digit number and deep nesting; a 5 MB
prompt was accepted. The rules are ``annotator.asset_fields`` (prompts, metadata) and
``worker.imports.manifests`` (lines, quoting, columns), with the limits of config/settings.py.
"""

from __future__ import annotations

import json

import pytest
import requests

from annotator.models import Asset, Membership
from tests import factories as f
from tests.factories import api_token
from tests.worker.conftest import jpeg_bytes, staging_dirs
from worker.models import Job

pytestmark = pytest.mark.django_db(transaction=True)

MB = 1024 * 1024


def jsonl(*objects) -> bytes:
    return b"".join((o if isinstance(o, bytes) else json.dumps(o).encode()) + b"\n" for o in objects)


def nested(depth: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


OK = {"file": "b.jpg", "prompt": "fine"}

# (id, manifest name, content, needles that must appear in the 400's manifest errors)
HOSTILE = [
    # --- JSONL: NUL characters everywhere a string goes
    ("jsonl-nul-prompt", "m.jsonl", jsonl(OK, {"file": "a.jpg", "prompt": "x\0y"}), ["line 2, key `prompt`", "NUL"]),
    ("jsonl-raw-nul", "m.jsonl", b'{"file": "a.jpg", "prompt": "x\x00y"}\n', ["line 1: bad JSON", "control character"]),
    ("jsonl-nul-file", "m.jsonl", jsonl({"file": "a.jpg\0"}), ["line 1, key `file`", "NUL"]),
    (
        "jsonl-nul-metadata-key",
        "m.jsonl",
        jsonl({"file": "a.jpg", "metadata": {"k\0": 1}}),
        ["line 1, key `metadata.k\\u0000`", "NUL"],
    ),
    (
        "jsonl-nul-metadata-deep-value",
        "m.jsonl",
        jsonl({"file": "a.jpg", "metadata": {"a": {"b": ["ok", "x\0"]}}}),
        ["line 1, key `metadata.a.b[1]`", "NUL"],
    ),
    # --- JSONL: text that is not text
    (
        "jsonl-surrogate-prompt",
        "m.jsonl",
        b'{"file": "a.jpg", "prompt": "\\ud800"}\n',
        ["line 1, key `prompt`", "unpaired surrogate"],
    ),
    ("jsonl-surrogate-key", "m.jsonl", b'{"file": "a.jpg", "\\udfff": 1}\n', ["line 1: unknown key(s) `\\udfff`"]),
    (
        "jsonl-surrogate-metadata",
        "m.jsonl",
        b'{"file": "a.jpg", "metadata": {"m": "\\udc00x"}}\n',
        ["line 1, key `metadata.m`", "surrogate"],
    ),
    (
        "jsonl-invalid-utf8-in-string",
        "m.jsonl",
        b'{"file": "b.jpg"}\n{"file": "a.jpg", "prompt": "caf\xe9"}\n',
        ["line 2, key `prompt`", "not UTF-8"],
    ),
    ("jsonl-invalid-utf8-outside", "m.jsonl", b'{"file": "a.jpg"} \xff\xfe\n', ["line 1: bad JSON"]),
    ("jsonl-utf16", "m.jsonl", '{"file": "a.jpg"}\n'.encode("utf-16"), ["line 1", "UTF-16"]),
    ("jsonl-bom-mid-file", "m.jsonl", jsonl(OK) + b"\xef\xbb\xbf" + jsonl({"file": "a.jpg"}), ["line 2: bad JSON"]),
    # --- JSONL: numbers JSON or PostgreSQL cannot hold
    ("jsonl-nan", "m.jsonl", b'{"file": "a.jpg", "metadata": {"s": NaN}}\n', ["line 1, key `metadata.s`", "NaN"]),
    (
        "jsonl-infinity",
        "m.jsonl",
        b'{"file": "a.jpg", "metadata": {"x": [1e999]}}\n',
        ["line 1, key `metadata.x[0]`", "inf"],
    ),
    (
        "jsonl-huge-int",
        "m.jsonl",
        jsonl({"file": "a.jpg", "metadata": {"seed": 2**70}}),
        ["line 1, key `metadata.seed`", "64 bits"],
    ),
    (
        "jsonl-5000-digits",
        "m.jsonl",
        b'{"file": "a.jpg", "metadata": {"n": ' + b"9" * 5000 + b"}}\n",
        ["line 1: bad JSON", "4300 digits"],
    ),
    # --- JSONL: sizes and shapes
    (
        "jsonl-deep-nesting",
        "m.jsonl",
        b'{"file": "a.jpg", "metadata": ' + b"[" * 200_000 + b"]" * 200_000 + b"}\n",
        ["line 1: bad JSON (nested too deeply)"],
    ),
    (
        "jsonl-nested-past-the-depth",
        "m.jsonl",
        jsonl({"file": "a.jpg", "metadata": nested(12)}),
        ["line 1, key `metadata.a.a.a.a.a.a.a.a.a.a`: is nested more than 10 levels", "VR_MAX_METADATA_DEPTH"],
    ),
    (
        "jsonl-huge-metadata",
        "m.jsonl",
        jsonl({"file": "a.jpg", "metadata": {f"k{i}": "v" * 100 for i in range(1000)}}),
        ["line 1, key `metadata`", "VR_MAX_METADATA_BYTES"],
    ),
    (
        "jsonl-5mb-prompt",
        "m.jsonl",
        jsonl(OK, {"file": "a.jpg", "prompt": "p" * (5 * MB)}),
        ["line 2: longer than the limit of 1.0 MB (VR_MAX_MANIFEST_LINE_BYTES)"],
    ),
    (
        "jsonl-long-prompt",
        "m.jsonl",
        jsonl({"file": "a.jpg", "prompt": "p" * 20_000}),
        ["line 1, key `prompt`", "20,000 characters", "VR_MAX_PROMPT_CHARS"],
    ),
    ("jsonl-prompt-not-string", "m.jsonl", jsonl({"file": "a.jpg", "prompt": ["x"]}), ["line 1, key `prompt`"]),
    ("jsonl-metadata-string", "m.jsonl", jsonl({"file": "a.jpg", "metadata": "{}"}), ["key `metadata`: must be"]),
    ("jsonl-not-an-object", "m.jsonl", jsonl(OK, [1, 2]), ["line 2: expected a JSON object, got an array"]),
    # --- CSV: NUL bytes (the issue's 500) and bytes that are not UTF-8
    ("csv-nul-prompt", "m.csv", b"file,prompt\nb.jpg,ok\na.jpg,x\x00y\n", ["line 3, column `prompt`", "NUL"]),
    ("csv-nul-file", "m.csv", b"file,prompt\na.jpg\x00,x\n", ["line 2, column `file`", "NUL"]),
    ("csv-nul-extra-column", "m.csv", b"file,model\na.jpg,sd\x00xl\n", ["line 2, column `model`", "NUL"]),
    ("csv-nul-header", "m.csv", b"file,mo\x00del\na.jpg,x\n", ["line 1, column 2: the column name", "NUL"]),
    ("csv-invalid-utf8", "m.csv", b"file,prompt\na.jpg,caf\xe9\n", ["line 2, column `prompt`", "not UTF-8"]),
    ("csv-utf16", "m.csv", "file,prompt\na.jpg,x\n".encode("utf-16"), ["line 1", "UTF-16"]),
    # --- CSV: quoting and shape
    ("csv-text-after-quote", "m.csv", b'file,prompt\na.jpg,"x"y\n', ["line 2, column `prompt`", "expected after"]),
    (
        "csv-unterminated-quote",
        "m.csv",
        b'file,prompt,model\na.jpg,"never closed,x\nb.jpg,y,z\n',
        ["line 2, column `prompt`", "unexpected end of data"],
    ),
    ("csv-bare-cr", "m.csv", b"file,prompt,model\na.jpg,x\ry,z\n", ["line 2, column `prompt`"]),
    ("csv-too-many-fields", "m.csv", b"file,prompt\na.jpg,x,y\n", ["line 2: 3 fields, but the header has 2"]),
    (
        "csv-too-many-columns",
        "m.csv",
        ("file," + ",".join(f"c{i}" for i in range(150)) + "\n").encode(),
        ["line 1: the header has 151 columns; the limit is 100"],
    ),
    # --- CSV: the metadata column's JSON
    (
        "csv-metadata-nan",
        "m.csv",
        b'file,metadata\na.jpg,"{""x"": NaN}"\n',
        ["line 2, column `metadata`, key `x`", "NaN"],
    ),
    (
        "csv-metadata-surrogate",
        "m.csv",
        b'file,metadata\na.jpg,"{""k"": ""\\ud800""}"\n',
        ["line 2, column `metadata`, key `k`", "surrogate"],
    ),
    ("csv-metadata-array", "m.csv", b'file,metadata\na.jpg,"[1]"\n', ["line 2, column `metadata`: must be a JSON"]),
    (
        "csv-metadata-deep",
        "m.csv",
        b"file,metadata\na.jpg," + b"[" * 50_000 + b"\n",
        ["line 2, column `metadata`: not valid JSON (nested too deeply)"],
    ),
    # --- CSV: sizes
    (
        "csv-5mb-prompt",
        "m.csv",
        b"file,prompt\na.jpg," + b"p" * (5 * MB) + b"\n",
        ["line 2: longer than the limit of 1.0 MB (VR_MAX_MANIFEST_LINE_BYTES)"],
    ),
    (
        "csv-5mb-prompt-on-many-lines",
        "m.csv",
        b'file,prompt\nb.jpg,ok\na.jpg,"' + b"line of a prompt\n" * 300_000 + b'"\n',
        ["line 3, column `prompt`: longer than the limit of 131,072 characters for one field"],
    ),
    (
        "csv-long-prompt",
        "m.csv",
        b"file,prompt\na.jpg," + b"p" * 20_000 + b"\n",
        ["line 2, column `prompt`", "VR_MAX_PROMPT_CHARS"],
    ),
    (
        "csv-huge-field",
        "m.csv",
        b'file,prompt,metadata\na.jpg,x,"' + b"m" * 200_000 + b'"\n',
        ["line 2, column `metadata`: longer than the limit of 131,072 characters for one field"],
    ),
    (
        "csv-metadata-from-extra-columns",
        "m.csv",
        b"file,notes\na.jpg," + b"n" * 70_000 + b"\n",
        ["line 2, column `notes`: the metadata is", "VR_MAX_METADATA_BYTES"],
    ),
]


@pytest.fixture
def importer(live_server):
    manager = f.user("manifest-manager")
    project = f.project(media_type="image", members={manager: Membership.Role.MANAGER})
    session = requests.Session()
    session.headers["Authorization"] = f"Token {api_token(manager)}"
    return session, f"{live_server.url}/api/projects/{project.pk}/imports/"


def post(importer, manifest_name: str, manifest: bytes) -> requests.Response:
    session, url = importer
    files = [
        ("files", ("a.jpg", jpeg_bytes(), "image/jpeg")),
        ("files", ("b.jpg", jpeg_bytes(color=(0, 0, 0)), "image/jpeg")),
        ("manifest", (manifest_name, manifest, "application/octet-stream")),
    ]
    return session.post(url, files=files, timeout=60)


def test_every_hostile_manifest_is_a_400_naming_its_line_and_nothing_is_saved(importer, _media_root):
    wrong = []
    for case, name, content, needles in HOSTILE:
        response = post(importer, name, content)
        if response.status_code != 400:
            wrong.append(f"{case}: {response.status_code} {response.text[:300]}")
            continue
        body = response.json()  # valid JSON, whatever the manifest held
        text = " ".join(body["errors"].get("manifest", []))
        missing = [n for n in needles if n not in text]
        if missing or not text.startswith("manifest line "):
            wrong.append(f"{case}: {missing} not in {text[:400]!r}")
        if needles[0] not in body["detail"]:
            wrong.append(f"{case}: the detail does not name it: {body['detail'][:300]!r}")
        if Job.objects.exists() or Asset.objects.exists() or staging_dirs(_media_root):
            wrong.append(f"{case}: something was saved")
    assert not wrong, "\n".join(wrong)


def test_bom_crlf_and_unicode_are_fine_and_stored_as_sent(importer, _media_root, settings):
    """The control: what a spreadsheet writes (BOM, CRLF, quoted commas and newlines, any script)."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CELERY_TASK_EAGER_PROPAGATES = True
    manifest = (
        "file,prompt,metadata,model\r\n"
        'a.jpg,"猫, sitting\r\nin snow ❄","{""seed"": 18446744073709551615, ""cfg"": 7.5}",sdxl\r\n'
        'b.jpg,"x" ,,flux\r\n'.replace('"x" ', "plain")
    ).encode("utf-8-sig")
    response = post(importer, "rows.csv", manifest)
    assert response.status_code == 202, response.text
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == Job.State.SUCCEEDED, job.log
    assets = {a.original_name: a for a in Asset.objects.filter(import_job_id=job.pk)}
    assert assets["a.jpg"].prompt == "猫, sitting\r\nin snow ❄"
    assert assets["a.jpg"].metadata == {"seed": 2**64 - 1, "cfg": 7.5, "model": "sdxl"}
    assert assets["b.jpg"].prompt == "plain" and assets["b.jpg"].metadata == {"model": "flux"}
    assert staging_dirs(_media_root) == []


@pytest.mark.parametrize(
    "prompt, metadata, needle",
    [
        ("x\x00y", "{}", "Null characters are not allowed"),  # Django's own check comes first
        ("p" * 10_001, "{}", "VR_MAX_PROMPT_CHARS"),
        ("fine", '{"k": "\\u0000"}', "`k` contains a NUL character"),
        ("fine", '{"k": "\\ud800"}', "`k` contains an unpaired surrogate"),
        ("fine", '{"s": NaN}', "`s` is nan"),
    ],
)
def test_the_admin_edits_a_prompt_and_metadata_under_the_same_rules(client, prompt, metadata, needle):
    """The Django admin is the other way a prompt or metadata enters: the same rules, a form error."""
    admin = f.user("root", staff=True)
    admin.is_superuser = True
    admin.save()
    asset = f.ready_asset(f.project(), name="a.jpg", prompt="before")
    client.force_login(admin)
    url = f"/admin/annotator/asset/{asset.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data.update({"prompt": prompt, "metadata": metadata, "project": asset.project_id})
    data = {k: (json.dumps(v) if isinstance(v, dict | list) else v) for k, v in data.items()}
    response = client.post(url, data)
    assert response.status_code == 200, response.status_code  # the form again, with its error
    assert needle in response.content.decode(), response.content.decode()[-3000:]
    asset.refresh_from_db()
    assert asset.prompt == "before"
