"""A local HTTP server speaking the few Hugging Face Hub endpoints a push uses (test helper).

There is no network in the tests: a push reaches this server through ``settings.HF_ENDPOINT``,
through huggingface_hub's real client (``HfApi.create_repo`` and ``upload_folder``), exactly as
it reaches huggingface.co. It answers:

- ``POST /api/validate-yaml``: the dataset card's metadata block (400 when it is not YAML);
- ``POST /api/repos/create``: a dataset repository (409 when it exists);
- ``GET /api/datasets/<owner>/<name>``: its info (huggingface_hub asks after a 401/403 on create);
- ``POST /api/datasets/<owner>/<name>/preupload/<revision>``: every file as a regular (inline)
  upload, so no LFS or Xet storage is involved;
- ``POST /api/datasets/<owner>/<name>/commit/<revision>``: the NDJSON commit, files kept in memory.

Requests without a known write token answer 401 as the Hub does ("Invalid credentials in
Authorization header"); ``read_only`` tokens answer 403 on writes. ``requests`` records every
request (method, path, the Authorization header), so tests can check which token was sent.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPO = r"(?P<repo>[^/]+/[^/]+)"


@dataclass
class Repo:
    private: bool
    files: dict[str, bytes] = field(default_factory=dict)
    commits: list[dict] = field(default_factory=list)


@dataclass
class FakeHub:
    tokens: set[str]
    read_only: set[str] = field(default_factory=set)
    repos: dict[str, Repo] = field(default_factory=dict)
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    url: str = ""

    def start(self) -> FakeHub:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, code: int, body: dict, headers: dict | None = None):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _auth(self, write: bool) -> bool:
                header = self.headers.get("Authorization", "")
                token = header.removeprefix("Bearer ").strip()
                if token not in hub.tokens and token not in hub.read_only:
                    message = "Invalid credentials in Authorization header"
                    self._send(401, {"error": message}, {"X-Error-Message": message})
                    return False
                if write and token in hub.read_only:
                    message = "You don't have the rights to create a dataset under the namespace"
                    self._send(403, {"error": message}, {"X-Error-Message": message})
                    return False
                return True

            def _validate_yaml(self, content: str):
                import yaml

                match = re.match(r"---\n(.*?)\n---\n", content, re.S)
                try:
                    meta = yaml.safe_load(match[1]) if match else {}
                except yaml.YAMLError as exc:
                    return self._send(400, {"errors": [{"message": f"invalid YAML: {exc}"}]})
                if not isinstance(meta, dict):
                    return self._send(400, {"errors": [{"message": "the metadata is not a mapping"}]})
                return self._send(200, {"errors": [], "warnings": []})

            def _record(self):
                hub.requests.append((self.command, self.path, self.headers.get("Authorization", "")))

            def do_GET(self):
                self._record()
                match = re.fullmatch(rf"/api/datasets/{REPO}(?:/revision/[^/]+)?", self.path.split("?")[0])
                if not match:
                    return self._send(404, {"error": "not found"})
                if not self._auth(write=False):
                    return None
                repo = hub.repos.get(match["repo"])
                if repo is None:
                    return self._send(404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})
                sha = repo.commits[-1]["oid"] if repo.commits else "0" * 40
                return self._send(200, {"id": match["repo"], "private": repo.private, "sha": sha, "siblings": []})

            def do_POST(self):
                self._record()
                path = self.path.split("?")[0]
                body = self._body()
                if path == "/api/validate-yaml":  # the dataset card's metadata block must be YAML
                    return self._validate_yaml(json.loads(body).get("content", ""))
                if path == "/api/repos/create":
                    if not self._auth(write=True):
                        return None
                    data = json.loads(body)
                    repo_id = f"{data.get('organization')}/{data['name']}"
                    if data.get("type") != "dataset":
                        return self._send(400, {"error": "only dataset repositories here"})
                    if repo_id in hub.repos:
                        return self._send(409, {"error": "You already created this dataset repo"})
                    hub.repos[repo_id] = Repo(private=data.get("visibility", "public") == "private")
                    return self._send(200, {"url": f"{hub.url}/datasets/{repo_id}", "name": repo_id})
                match = re.fullmatch(rf"/api/datasets/{REPO}/(?P<what>preupload|commit)/(?P<rev>[^/]+)", path)
                if not match:
                    return self._send(404, {"error": "not found"})
                if not self._auth(write=True):
                    return None
                repo = hub.repos.get(match["repo"])
                if repo is None:
                    return self._send(404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})
                if match["what"] == "preupload":
                    files = json.loads(body)["files"]
                    return self._send(
                        200,
                        {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files]},
                    )
                lines = [json.loads(line) for line in body.splitlines() if line.strip()]
                header = next(line["value"] for line in lines if line["key"] == "header")
                added = {}
                for line in lines:
                    if line["key"] == "file":
                        added[line["value"]["path"]] = base64.b64decode(line["value"]["content"])
                    elif line["key"] in ("lfsFile", "deletedFile", "deletedFolder", "copyFile"):
                        return self._send(400, {"error": f"{line['key']} is not supported by this test Hub"})
                oid = hashlib.sha1(json.dumps(sorted(added)).encode() + str(len(repo.commits)).encode()).hexdigest()
                repo.files.update(added)
                repo.commits.append({"oid": oid, "summary": header.get("summary", ""), "files": sorted(added)})
                return self._send(
                    200,
                    {
                        "commitUrl": f"{hub.url}/datasets/{match['repo']}/commit/{oid}",
                        "commitOid": oid,
                        "success": True,
                        "pullRequestUrl": None,
                    },
                )

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


WRITE_TOKEN = "hf_pushTokenForTheTestsOnly0123456789"
READ_TOKEN = "hf_readOnlyTokenForTheTests987654321"


def fake_hub_fixture(settings, monkeypatch):
    """Body of the ``fake_hub`` fixtures: a started :class:`FakeHub` that ``settings.HF_ENDPOINT``
    names, accepting :data:`WRITE_TOKEN` (and :data:`READ_TOKEN` for reads)."""
    import huggingface_hub.constants

    hub = FakeHub(tokens={WRITE_TOKEN}, read_only={READ_TOKEN}).start()
    settings.HF_ENDPOINT = hub.url
    # tests/datasets sets HF_HUB_OFFLINE for the whole run (datasets must not look for the Hub);
    # this Hub is local and meant to be reached
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    return hub
