"""The client: one :class:`Client` per server and token, over one ``httpx.Client``.

Every request is retried with exponential back-off and full jitter when the server says "later":
429 and 503 always (the request was not processed), 502 and 504 and lost connections only for
idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS), and a refused connection always (nothing was
sent). ``Retry-After`` is honoured. A refusal becomes an exception of :mod:`.errors` carrying the
API's message and field errors. Lists are paged iterators following the API's ``next`` links.
"""

from __future__ import annotations

import email.utils
import hashlib
import random
import re
import shutil
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

from . import config, errors
from ._version import API_VERSION, __version__, compatible
from .models import DatasetVersion, Download, Job, PredictionIn, Project, User, WeightSet

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_ALWAYS = frozenset({429, 503})
RETRY_IDEMPOTENT = frozenset({502, 504})
PREDICTION_BATCH = 500  # the API takes at most 1000 per request
ProgressCallback = Callable[[Job], None]


class Client:
    """A session with one server.

    ``url`` and ``token`` default to ``VR_URL`` / ``VR_TOKEN``, then the file ``vr login`` wrote
    (see :mod:`.config`). ``retries``: how many times a retryable answer is tried again;
    ``backoff``: the first delay in seconds (doubling, at most ``max_backoff``, jittered)."""

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        timeout: float = 60.0,
        retries: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        config_file: Path | None = None,
    ):
        settings = config.resolve(url, token, config_file)
        self.url, self.token = settings.url, settings.token
        self.retries, self.backoff, self.max_backoff = retries, backoff, max_backoff
        headers = {"User-Agent": f"visionreward-client/{__version__}", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the transport ---------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        data: dict[str, Any] | None = None,
        files: Sequence[tuple[str, Path]] | None = None,
        stream: bool = False,
        ok: Iterable[int] = (),
    ) -> httpx.Response:
        """One API call with the retries; a non-2xx answer (outside ``ok``) raises an ApiError.
        ``files``: (field, path) pairs sent as multipart, reopened for each try."""
        method = method.upper()
        ok = set(ok)
        attempt = 0
        while True:
            handles = [(name, (p.name, p.open("rb"))) for name, p in files or ()]
            try:
                request = self._http.build_request(
                    method, path, params=params, json=json_body, data=data, files=handles or None
                )
                response = self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                sent = not isinstance(exc, httpx.ConnectError)
                if attempt >= self.retries or (sent and method not in IDEMPOTENT):
                    raise errors.TransportError(f"{method} {self.url}{path}: {exc!r}") from exc
                self._sleep(attempt, None)
                attempt += 1
                continue
            finally:
                for _, (_, fh) in handles:
                    fh.close()
            status = response.status_code
            if 200 <= status < 400 or status in ok:
                return response
            retryable = status in RETRY_ALWAYS or (status in RETRY_IDEMPOTENT and method in IDEMPOTENT)
            retry_after = _retry_after(response.headers.get("Retry-After"))
            if retryable and attempt < self.retries:
                response.close()
                self._sleep(attempt, retry_after)
                attempt += 1
                continue
            raise self._error(response, retry_after)

    def _sleep(self, attempt: int, retry_after: float | None) -> None:
        delay = random.uniform(0, min(self.max_backoff, self.backoff * 2**attempt))
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_backoff * 4))
        time.sleep(delay)

    def _error(self, response: httpx.Response, retry_after: float | None) -> errors.ApiError:
        response.read()
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        exc = errors.error_for(response.status_code, body, retry_after=retry_after)
        # SessionAuthentication comes first on the server, so a refused token reads 403, not 401:
        # known by its message (no second request, which would count as one more failed login),
        # else asked of the session endpoint
        if response.status_code == 403 and (_refused_login(exc.message) or self._token_refused()):
            return errors.AuthenticationError(exc.status, exc.message, exc.errors, exc.body)
        return exc

    def _token_refused(self) -> bool:
        """After a 403 of another message: whether the token is what was refused (none, or a bad one)."""
        if not self.token:
            return True
        try:
            answer = self._http.get("/api/auth/session/")
        except httpx.TransportError:
            return False
        if answer.status_code in (401, 403):
            return True
        try:
            return not (answer.json() or {}).get("user")
        except ValueError:
            return False

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=_clean(params)).json()

    def post(self, path: str, body: Any = None) -> Any:
        response = self.request("POST", path, json_body=body if body is not None else {})
        return response.json() if response.content else None

    def paged(self, path: str, *, page_size: int = 100, **params: Any) -> Iterator[dict[str, Any]]:
        """Every object of a list endpoint, page by page (the API's limit/offset ``next`` links)."""
        query: dict[str, Any] | None = {**_clean(params), "limit": page_size}
        url: str | None = path
        while url:
            page = self.request("GET", url, params=query).json()
            if isinstance(page, list):  # an endpoint without pagination
                yield from page
                return
            yield from page.get("results", [])
            url, query = page.get("next"), None  # the next link carries the whole query
            if url:
                url = self._same_server(url)

    def _same_server(self, link: str) -> str:
        """A link the API gave (``next``), as a path on this client's server: the token is never
        sent to a host a link names (a proxy may write another scheme or host into it)."""
        target = httpx.URL(link)
        path = target.raw_path.decode("ascii")
        prefix = httpx.URL(self.url).path.rstrip("/")
        if prefix and path.startswith(prefix + "/"):
            path = path[len(prefix) :]
        return path

    # -- who, and which server -------------------------------------------------------------------

    def whoami(self) -> User:
        """The token's account (AuthenticationError when the token is refused or missing)."""
        user = self.get("/api/auth/session/").get("user")
        if not user:
            raise errors.AuthenticationError(401, "Not logged in: give a token (vr login, VR_TOKEN or token=).")
        return User.from_api(user)

    def api_version(self) -> str:
        """The server's API version (its OpenAPI schema's ``info.version``)."""
        schema = self.request("GET", "/api/schema/", params={"format": "json"}).json()
        return str(schema.get("info", {}).get("version", ""))

    def check_compatible(self) -> str:
        """The server's API version; raises VRError when it is not this client's MAJOR.MINOR."""
        version = self.api_version()
        if not compatible(version):
            raise errors.VRError(
                f"The server speaks API {version}; this client ({__version__}) speaks {API_VERSION}.x:"
                " install the matching visionreward-client."
            )
        return version

    # -- projects and checklists -----------------------------------------------------------------

    def projects(self, *, archived: bool | None = None, media_type: str | None = None) -> Iterator[Project]:
        for row in self.paged("/api/projects/", archived=archived, media_type=media_type):
            yield Project.from_api(row)

    def _pid(self, ref: int | str | Project) -> int:
        """A project's id: an id or a Project as they are (no request), else resolved by name."""
        if isinstance(ref, Project):
            return ref.id
        if isinstance(ref, int) or str(ref).strip().isdigit():
            return int(ref)
        return self.project(ref).id

    def project(self, ref: int | str | Project) -> Project:
        """A project by id, slug or name: see :func:`resolve_project`."""
        if isinstance(ref, Project):
            return ref
        if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
            return Project.from_api(self.get(f"/api/projects/{int(ref)}/"))
        return resolve_project(str(ref), list(self.projects()))

    def create_project(self, name: str, checklist_version: int, media_type: str = "image", **fields: Any) -> Project:
        body = {"name": name, "checklist_version": checklist_version, "media_type": media_type, **fields}
        return Project.from_api(self.post("/api/projects/", body))

    def checklists(self) -> Iterator[dict[str, Any]]:
        yield from self.paged("/api/checklists/")

    def checklist(self, checklist_id: int) -> dict[str, Any]:
        return self.get(f"/api/checklists/{checklist_id}/")

    # -- imports ---------------------------------------------------------------------------------

    def import_files(
        self, project: int | str | Project, files: Iterable[Path | str], *, manifest: Path | str | None = None
    ) -> Job:
        """Upload media files (images, videos, zip archives) with an optional manifest (JSON lines
        or CSV of file → prompt): one import job."""
        pid = self._pid(project)
        parts: list[tuple[str, Path]] = []
        for f in map(Path, files):
            parts.append(("archive" if f.suffix.lower() == ".zip" else "files", f))
        if manifest is not None:
            parts.append(("manifest", Path(manifest)))
        return Job.from_api(self.request("POST", f"/api/projects/{pid}/imports/", files=parts).json())

    def import_folder(
        self, project: int | str | Project, folder: Path | str, *, manifest: Path | str | None = None
    ) -> Job:
        """Every file under ``folder`` (its relative paths kept, as the manifest names them);
        a ``manifest.jsonl`` / ``manifest.csv`` at its top is sent as the manifest."""
        folder = Path(folder)
        if not folder.is_dir():
            raise errors.VRError(f"{folder} is not a folder")
        found = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
        if manifest is None:
            manifest = next((p for p in found if p.parent == folder and p.name in MANIFEST_NAMES), None)
        media = [p for p in found if p != (Path(manifest) if manifest else None)]
        if not media:
            raise errors.VRError(f"{folder} holds no files to import")
        pid = self._pid(project)
        parts = [("files", p) for p in media] + ([("manifest", Path(manifest))] if manifest else [])
        paths = [p.relative_to(folder).as_posix() for p in media]
        response = self.request("POST", f"/api/projects/{pid}/imports/", files=parts, data={"paths": paths})
        return Job.from_api(response.json())

    def import_manifest(self, project: int | str | Project, manifest: Path | str) -> Job:
        """A manifest alone: its rows name media by URL (fetched by the server)."""
        return self.import_files(project, [], manifest=manifest)

    def preview_huggingface(self, project: int | str | Project, source: str, **options: Any) -> dict[str, Any]:
        """A Hub dataset id or a server-side path: its configs, columns, first rows and a suggested mapping."""
        pid = self._pid(project)
        return self.post(f"/api/projects/{pid}/imports/huggingface/preview/", {"source": source, **_clean(options)})

    def import_huggingface(
        self,
        project: int | str | Project,
        source: str,
        *,
        mapping: dict[str, Any] | None = None,
        split: str | None = None,
        config: str | None = None,
        revision: str | None = None,
        limit: int | None = None,
    ) -> Job:
        """Import a Hugging Face dataset's rows as assets (or rated pairs); without ``mapping`` the
        server's suggested mapping (the preview's) is used."""
        pid = self._pid(project)
        options = _clean({"split": split, "config": config, "revision": revision})
        if mapping is None:
            mapping = self.preview_huggingface(pid, source, **options).get("suggestion") or {}
        body = {"source": source, "mapping": mapping, **options, **_clean({"limit": limit})}
        return Job.from_api(self.post(f"/api/projects/{pid}/imports/huggingface/", body))

    # -- tasks, annotations, predictions ---------------------------------------------------------

    def assets(self, project: int | str | Project, **filters: Any) -> Iterator[dict[str, Any]]:
        yield from self.paged(f"/api/projects/{self._pid(project)}/assets/", **filters)

    def tasks(
        self, project: int | str | Project, *, status: str | None = None, kind: str | None = None, page_size: int = 100
    ) -> Iterator[dict[str, Any]]:
        yield from self.paged(
            f"/api/projects/{self._pid(project)}/tasks/", page_size=page_size, status=status, kind=kind
        )

    def annotations(
        self, project: int | str | Project, *, state: str | None = None, task: int | None = None, page_size: int = 100
    ) -> Iterator[dict[str, Any]]:
        yield from self.paged(
            "/api/annotations/", page_size=page_size, project=self._pid(project), state=state, task=task
        )

    def predictions(
        self, project: int | str | Project, *, asset: int | None = None, model_name: str | None = None
    ) -> Iterator[dict[str, Any]]:
        yield from self.paged(f"/api/projects/{self._pid(project)}/predictions/", asset=asset, model_name=model_name)

    def push_predictions(
        self,
        project: int | str | Project,
        predictions: Iterable[PredictionIn],
        *,
        batch_size: int = PREDICTION_BATCH,
        on_batch: Callable[[int], None] | None = None,
    ) -> int:
        """Push your own model's P(yes) in batches (each batch saved whole, or refused whole with
        the index of the bad row in ``errors``); returns how many were saved."""
        if not 1 <= batch_size <= 1000:
            raise ValueError("batch_size must be between 1 and 1000")
        path = f"/api/projects/{self._pid(project)}/predictions/"
        saved, batch = 0, []
        for item in predictions:
            batch.append(dict(item))
            if len(batch) == batch_size:
                saved += len(self.post(path, {"predictions": batch}))
                batch = []
                if on_batch:
                    on_batch(saved)
        if batch:
            saved += len(self.post(path, {"predictions": batch}))
            if on_batch:
                on_batch(saved)
        return saved

    # -- weights ---------------------------------------------------------------------------------

    def weight_sets(self, project: int | str | Project) -> list[WeightSet]:
        rows = self.get(f"/api/projects/{self._pid(project)}/weight-sets/")
        return [WeightSet.from_api(r) for r in (rows.get("results", []) if isinstance(rows, dict) else rows)]

    def refit(self, project: int | str | Project, **settings: Any) -> Job:
        """Start a refit job (settings: features, solver, l2, l1, encoding, test_fraction, seed,
        promote, min_pairs, label, ...)."""
        return Job.from_api(self.post(f"/api/projects/{self._pid(project)}/refit/", _clean(settings)))

    # -- jobs ------------------------------------------------------------------------------------

    def jobs(
        self, *, project: int | str | Project | None = None, state: str | None = None, kind: str | None = None
    ) -> Iterator[Job]:
        pid = self._pid(project) if project is not None else None
        for row in self.paged("/api/jobs/", project=pid, state=state, kind=kind):
            yield Job.from_api(row)

    def job(self, job_id: int | Job) -> Job:
        return Job.from_api(self.get(f"/api/jobs/{int(getattr(job_id, 'id', job_id))}/"))

    def cancel_job(self, job_id: int | Job) -> Job:
        return Job.from_api(self.post(f"/api/jobs/{int(getattr(job_id, 'id', job_id))}/cancel/"))

    def wait(
        self,
        job: int | Job,
        *,
        on_progress: ProgressCallback | None = None,
        poll: float = 1.0,
        timeout: float | None = None,
    ) -> Job:
        """Poll a job until it finishes; returns it when it succeeded, raises JobFailed when it
        failed or was cancelled, JobTimeout past ``timeout`` seconds."""
        started = time.monotonic()
        current = self.job(job)
        while True:
            if on_progress:
                on_progress(current)
            if current.finished:
                if not current.succeeded:
                    raise errors.JobFailed(current)
                return current
            if timeout is not None and time.monotonic() - started > timeout:
                raise errors.JobTimeout(current, timeout)
            time.sleep(poll)
            current = self.job(current.id)

    # -- dataset versions ------------------------------------------------------------------------

    def export(
        self,
        projects: int | str | Project | Sequence[int | str | Project],
        name: str | None = None,
        *,
        description: str = "",
        weight_set: int | None = None,
        settings: dict[str, Any] | None = None,
    ) -> tuple[DatasetVersion, Job]:
        """Start an export: a new dataset version (queued) and its job. ``name`` defaults to the
        first project's name in the dataset-name alphabet (lower-case, digits, ``. _ -``)."""
        if isinstance(projects, (int, str, Project)):
            projects = [projects]
        resolved = [self.project(p) for p in projects]
        if not resolved:
            raise ValueError("export at least one project")
        body = {
            "name": name or dataset_name(resolved[0].name),
            "description": description,
            "projects": [p.id for p in resolved],
            **_clean({"weight_set": weight_set, "settings": settings}),
        }
        answer = self.post("/api/exports/", body)
        return DatasetVersion.from_api(answer["dataset_version"]), Job.from_api(answer["job"])

    def dataset_versions(self, *, name: str | None = None, state: str | None = None) -> Iterator[DatasetVersion]:
        for row in self.paged("/api/dataset-versions/", name=name, state=state):
            yield DatasetVersion.from_api(row)

    def dataset_version(self, ref: int | str | DatasetVersion) -> DatasetVersion:
        """A version by id, or by label ``name-vN`` / ``name:N`` / ``name`` (its newest ready version)."""
        if isinstance(ref, DatasetVersion):
            ref = ref.id
        if isinstance(ref, int) or str(ref).isdigit():
            return DatasetVersion.from_api(self.get(f"/api/dataset-versions/{int(ref)}/"))
        name, number = _version_label(str(ref))
        rows = list(self.dataset_versions(name=name))
        if number is not None:
            rows = [r for r in rows if r.version == number]
        else:
            rows = [r for r in rows if r.ready]
        if not rows:
            raise errors.NotFound(404, f"No dataset version {ref!r} (give its id, or name-vN).")
        return max(rows, key=lambda r: r.version)

    def download(
        self,
        version: int | str | DatasetVersion,
        dest: Path | str = ".",
        *,
        on_bytes: Callable[[int, int | None], None] | None = None,
        poll: float = 1.0,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Download:
        """Download a ready version's files into ``dest/<name>-v<N>/`` (a folder that
        ``datasets.load_dataset`` reads) and verify them: the archive's size, every file the
        version lists present and nothing else, and media files matching the sha256 in their name.
        The server builds the archive first when needed (an archive job, waited for)."""
        row = self.dataset_version(version)
        if not row.ready:
            raise errors.VRError(f"{row.label} is {row.state}; only ready versions can be downloaded.")
        path = f"/api/dataset-versions/{row.id}/download/"
        while True:
            response = self.request("GET", path, params={"archive": "tar"}, stream=True)
            if response.status_code != 202:
                break
            response.read()
            started = response.json()
            self.wait(started["job"]["id"], poll=poll, timeout=timeout, on_progress=on_progress)
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=dest, prefix=".vr-download-") as scratch:
            archive = Path(scratch) / "archive.tar.gz"
            expected = None
            if response.status_code in (301, 302, 303, 307, 308):  # S3: a presigned URL, no token sent
                location = response.headers["Location"]
                response.close()
                with httpx.stream("GET", location, timeout=self._http.timeout) as remote:
                    if remote.status_code != 200:
                        raise errors.error_for(remote.status_code, remote.read().decode(errors="replace"))
                    expected = _length(remote)
                    written = _save(remote, archive, expected, on_bytes)
            else:
                try:
                    expected = _length(response)
                    written = _save(response, archive, expected, on_bytes)
                finally:
                    response.close()
            if expected is not None and written != expected:
                raise errors.VRError(
                    f"The download of {row.label} stopped at {written} of {expected} bytes: try again."
                )
            built = (row.raw.get("archives") or {}).get("tar") or {}
            if built.get("size") and written != built["size"] and expected is None:
                raise errors.VRError(f"The archive of {row.label} is {written} bytes, the server says {built['size']}.")
            unpacked = Path(scratch) / "unpacked"
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(unpacked, filter="data")
            root = unpacked / f"{row.name}-v{row.version}"
            if not root.is_dir():
                raise errors.VRError(f"The archive of {row.label} has no {root.name}/ folder.")
            count = verify_files(root, row.files)
            target = dest / root.name
            if target.exists():
                shutil.rmtree(target)
            root.rename(target)
        return Download(version=row, path=target, files=count, bytes=written)

    def push(
        self, version: int | str | DatasetVersion, repo_id: str, *, private: bool = True, token: str | None = None
    ) -> Job:
        """Push a ready version to the Hugging Face Hub (a job); ``token``: a Hub token for this push,
        else the server's own."""
        row = self.dataset_version(version)
        body = {"repo_id": repo_id, "private": private, **_clean({"token": token})}
        return Job.from_api(self.post(f"/api/dataset-versions/{row.id}/push/", body))


MANIFEST_NAMES = frozenset({"manifest.jsonl", "manifest.csv", "manifest.json"})


def resolve_project(ref: str, projects: list[Project]) -> Project:
    """The project ``ref`` names, by this rule (case-insensitive, first rule that matches wins):
    its slug; its whole name; a unique name starting with ``ref``; a unique name containing
    ``ref``. More than one match raises ValidationError listing them; none, NotFound."""
    wanted = ref.strip().casefold()
    rules: list[Callable[[Project], bool]] = [
        lambda p: (p.slug or "").casefold() == wanted,
        lambda p: p.name.casefold() == wanted,
        lambda p: p.name.casefold().startswith(wanted),
        lambda p: wanted in p.name.casefold(),
    ]
    for rule in rules:
        found = [p for p in projects if rule(p)]
        if len(found) == 1:
            return found[0]
        if found:
            names = ", ".join(f"#{p.id} {p.name!r}" for p in found[:10])
            raise errors.ValidationError(
                400, f"--project {ref!r} matches {len(found)} projects ({names}): give its id or whole name."
            )
    raise errors.NotFound(404, f"No project {ref!r} among yours: see `vr projects`.")


def dataset_name(text: str) -> str:
    """A project name in the dataset-name alphabet: ``VisionReward image demo`` → ``visionreward-image-demo``."""
    out, dash = [], False
    for ch in text.casefold():
        if ch.isascii() and (ch.isalnum() or ch in "._"):
            out.append(ch)
            dash = False
        elif not dash and out:
            out.append("-")
            dash = True
    return "".join(out).strip("-._")[:80].rstrip("-._") or "dataset"  # the API's rule: up to 80


def verify_files(root: Path, listed: Sequence[str]) -> int:
    """Check an unpacked version against its file list; media files (``media/xx/<sha256>.ext``)
    against their content. Returns the number of files."""
    found = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    wanted = set(listed)
    if wanted and found != wanted:
        missing, extra = sorted(wanted - found)[:5], sorted(found - wanted)[:5]
        raise errors.VRError(f"The download does not match the version's files: missing {missing}, unexpected {extra}")
    for rel in sorted(found):
        parts = rel.split("/")
        if parts[0] == "media" and len(parts) == 3:
            stem = parts[2].split(".", 1)[0]
            if len(stem) == 64:
                digest = hashlib.sha256()
                with open(root / rel, "rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        digest.update(chunk)
                if digest.hexdigest() != stem:
                    raise errors.VRError(f"{rel} is damaged: its content does not match its sha256 name")
    return len(found)


# The API's sentences for a refused login (DRF's NotAuthenticated, the token authentication's)
REFUSED_LOGIN = re.compile(
    r"^(Authentication credentials were not provided|Invalid token|Incorrect authentication credentials"
    r"|This token \(.*\) (was revoked|expired)|This token's account is)"
)


def _refused_login(message: str) -> bool:
    return bool(REFUSED_LOGIN.match(message or ""))


def _version_label(ref: str) -> tuple[str, int | None]:
    for sep in (":", "-v", "@v"):
        name, found, number = ref.rpartition(sep)
        if found and name and number.isdigit():
            return name, int(number)
    return ref, None


def _length(response: httpx.Response) -> int | None:
    value = response.headers.get("Content-Length")
    return int(value) if value and value.isdigit() else None


def _save(response: httpx.Response, target: Path, total: int | None, on_bytes) -> int:
    written = 0
    with open(target, "wb") as fh:
        for chunk in response.iter_bytes(1 << 20):
            fh.write(chunk)
            written += len(chunk)
            if on_bytes:
                on_bytes(written, total)
    return written


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """Leave out the options not given (None)."""
    return {k: v for k, v in values.items() if v is not None}
