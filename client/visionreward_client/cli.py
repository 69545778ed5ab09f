"""``vr``: the command line on the client (docs/client.md).

Exit codes (for scripts): 0 done; 1 the API refused the request (invalid, not allowed, conflict,
rate-limited) or another error; 2 usage (a bad option or argument); 3 authentication (no token, or
the token refused: run ``vr login``); 4 not found (project, version, job); 5 a waited-for job failed,
was cancelled or did not finish in ``--timeout``; 6 the server is unreachable or failing (5xx).
With ``--json`` every command prints one JSON document on stdout (an error: ``{"error": {...}}``).
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import config, errors
from ._version import __version__, compatible
from .client import Client
from .models import Job

OK, API_ERROR, USAGE, AUTH, NOT_FOUND, JOB_FAILED, UNAVAILABLE = 0, 1, 2, 3, 4, 5, 6


class Context:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.json = bool(args.json)
        self.out = Console(highlight=False, soft_wrap=True)
        self.err = Console(stderr=True, highlight=False, soft_wrap=True)
        self.progress_on = not self.json and not args.quiet and self.err.is_terminal
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = Client(self.args.url, self.args.token, retries=self.args.retries)
            if not self._client.token and self.args.func is not cmd_version:
                raise errors.ConfigError(
                    f"No token for {self._client.url}: run `vr login`, or set VR_TOKEN (and VR_URL)."
                )
        return self._client

    def emit(self, data: Any, human: Callable[[], None] | None = None) -> None:
        if self.json:
            print(json.dumps(_plain(data), indent=2, default=str))
        elif human:
            human()
        else:
            self.out.print(_plain(data))

    def note(self, text: str) -> None:
        if not self.json and not self.args.quiet:
            self.err.print(text)

    @contextmanager
    def job_progress(self, description: str) -> Iterator[Callable[[Job], None]]:
        """A progress bar reading the job's own progress (0–1) and message."""
        if not self.progress_on:
            yield lambda job: None
            return
        columns = [TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn()]
        columns.append(TextColumn("[dim]{task.fields[message]}"))
        with Progress(*columns, console=self.err, transient=False) as bar:
            task = bar.add_task(description, total=1.0, message="")

            def update(job: Job) -> None:
                bar.update(task, completed=job.progress, message=(job.message or job.state)[:60])

            yield update

    def wait(self, job: Job, description: str) -> Job:
        with self.job_progress(description) as update:
            return self.client.wait(job, on_progress=update, poll=self.args.poll, timeout=self.args.timeout)

    def show_job(self, job: Job, description: str) -> None:
        """The job, waited for first (with a progress bar) on --wait; printed, or as JSON."""
        if self.args.wait:
            job = self.wait(job, description)
        self.emit(job, lambda: _print_job(self, job))


def _plain(data: Any) -> Any:
    """Dataclasses as their API JSON (``raw``), recursively."""
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        raw = getattr(data, "raw", None)
        if raw:
            return raw
        return {f.name: _plain(getattr(data, f.name)) for f in dataclasses.fields(data)}
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_plain(v) for v in data]
    if isinstance(data, Path):
        return str(data)
    return data


def _table(ctx: Context, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(*columns, box=None, pad_edge=False)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    ctx.out.print(table)


# -- commands ---------------------------------------------------------------------------------------


def cmd_login(ctx: Context) -> int:
    args = ctx.args
    url = (args.url or os.environ.get("VR_URL") or config.DEFAULT_URL).rstrip("/")
    token = args.token or os.environ.get("VR_TOKEN")
    if not token:
        if sys.stdin.isatty():
            token = getpass.getpass(f"Personal API token for {url} (make one on your account page): ")
        else:
            token = sys.stdin.readline()
    token = (token or "").strip()
    if not token:
        raise errors.ConfigError("No token given: pass --token, set VR_TOKEN, or type it when asked.")
    client = Client(url, token, retries=args.retries)
    user = client.whoami()
    api = None
    try:
        api = client.api_version()
    except errors.ApiError:
        pass
    path = config.write_file(url, token)
    result = {"user": user.raw, "url": url, "config": str(path), "api_version": api, "client_version": __version__}
    if api and not compatible(api):
        ctx.note(f"[yellow]The server speaks API {api}; this client is {__version__}: some commands may fail.")
    ctx.emit(result, lambda: ctx.out.print(f"Logged in to {url} as {user.username} (saved in {path})."))
    return OK


def cmd_logout(ctx: Context) -> int:
    removed = config.remove_file()
    ctx.emit(
        {"removed": removed, "config": str(config.config_path())},
        lambda: ctx.out.print(
            "Logged out (the saved token was removed; revoke it on your account page)." if removed else "Not logged in."
        ),
    )
    return OK


def cmd_whoami(ctx: Context) -> int:
    user = ctx.client.whoami()
    ctx.emit({"user": user.raw, "url": ctx.client.url}, lambda: ctx.out.print(f"{user.username} on {ctx.client.url}"))
    return OK


def cmd_version(ctx: Context) -> int:
    api = ctx.client.api_version()
    ok = compatible(api)
    ctx.emit(
        {"client_version": __version__, "api_version": api, "compatible": ok},
        lambda: ctx.out.print(f"client {__version__}, server API {api}: {'compatible' if ok else 'NOT compatible'}"),
    )
    return OK if ok else API_ERROR


def cmd_projects(ctx: Context) -> int:
    projects = list(ctx.client.projects(archived=True if ctx.args.archived else None))
    ctx.emit(
        projects,
        lambda: _table(
            ctx,
            ["id", "slug", "name", "media", "role"],
            [(p.id, p.slug, p.name, p.media_type, p.my_role) for p in projects],
        ),
    )
    return OK


def cmd_import(ctx: Context) -> int:
    args, client = ctx.args, ctx.client
    project = client.project(args.project)
    if args.hf:
        mapping = json.loads(args.mapping) if args.mapping else None
        job = client.import_huggingface(
            project, args.hf, mapping=mapping, split=args.split, config=args.config, limit=args.limit
        )
    elif len(args.paths) == 1 and Path(args.paths[0]).is_dir():
        job = client.import_folder(project, args.paths[0], manifest=args.manifest)
    elif args.paths:
        missing = [p for p in args.paths if not Path(p).is_file()]
        if missing:
            raise UsageError(f"not a file: {', '.join(missing)} (give files, or one folder)")
        job = client.import_files(project, args.paths, manifest=args.manifest)
    elif args.manifest:
        job = client.import_manifest(project, args.manifest)
    else:
        raise UsageError("give files, a folder, --manifest or --hf")
    ctx.note(f"Import job #{job.id} started in {project.name!r}.")
    ctx.show_job(job, f"import #{job.id}")
    return OK


def cmd_export(ctx: Context) -> int:
    args, client = ctx.args, ctx.client
    settings = json.loads(args.settings) if args.settings else None
    version, job = client.export(
        args.project, args.name, description=args.description or "", weight_set=args.weight_set, settings=settings
    )
    ctx.note(f"Exporting {version.label} (job #{job.id}).")
    download = None
    if args.wait or args.download:
        job = ctx.wait(job, f"export {version.label}")
        version = client.dataset_version(version.id)
        if args.download:
            download = _download(ctx, version, args.download)
    result: dict[str, Any] = {"dataset_version": version, "job": job}
    if download:
        result["download"] = {"path": str(download.path), "files": download.files, "bytes": download.bytes}

    def human() -> None:
        rows = f", {_rows(version)} rows" if version.ready else ""
        ctx.out.print(f"{version.label} (id {version.id}): {version.state}{rows}")
        if download:
            ctx.out.print(f"Downloaded to {download.path} ({download.files} files, verified).")

    ctx.emit(result, human)
    return OK


def _download(ctx: Context, version, dest: str):
    if not ctx.progress_on:
        return ctx.client.download(version, dest, poll=ctx.args.poll, timeout=ctx.args.timeout)
    columns = [TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=ctx.err) as bar:
        task = bar.add_task(f"download {version.label}", total=None)
        return ctx.client.download(
            version,
            dest,
            poll=ctx.args.poll,
            timeout=ctx.args.timeout,
            on_bytes=lambda done, total: bar.update(task, completed=done, total=total),
        )


def cmd_datasets(ctx: Context) -> int:
    versions = list(ctx.client.dataset_versions(name=ctx.args.name, state=ctx.args.state))
    ctx.emit(
        versions,
        lambda: _table(
            ctx,
            ["id", "label", "state", "projects", "rows", "hash"],
            [(v.id, v.label, v.state, ",".join(map(str, v.projects)), _rows(v), v.content_hash[:12]) for v in versions],
        ),
    )
    return OK


def _rows(version) -> int:
    return sum(version.row_counts.get("default", {}).values()) if version.row_counts else 0


def cmd_download(ctx: Context) -> int:
    done = _download(ctx, ctx.client.dataset_version(ctx.args.version), ctx.args.dest)
    ctx.emit(
        {"dataset_version": done.version, "path": str(done.path), "files": done.files, "bytes": done.bytes},
        lambda: ctx.out.print(f"{done.version.label} → {done.path} ({done.files} files, {done.bytes} bytes, verified)"),
    )
    return OK


def cmd_push(ctx: Context) -> int:
    args = ctx.args
    token = args.hub_token or os.environ.get("VR_HUB_TOKEN") or None
    job = ctx.client.push(args.version, args.repo, private=not args.public, token=token)
    ctx.show_job(job, f"push to {args.repo}")
    return OK


def cmd_refit(ctx: Context) -> int:
    args = ctx.args
    settings = json.loads(args.settings) if args.settings else {}
    for key in ("min_pairs", "promote", "label"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    job = ctx.client.refit(args.project, **settings)
    ctx.note(f"Refit job #{job.id} started.")
    ctx.show_job(job, f"refit #{job.id}")
    return OK


def cmd_jobs(ctx: Context) -> int:
    args, client = ctx.args, ctx.client
    if args.id is not None:
        job = client.job(args.id)
        ctx.show_job(job, f"{job.kind} #{job.id}")
        return OK
    if args.wait:
        raise UsageError("--wait needs a job id")
    jobs = []
    for job in client.jobs(project=args.project, state=args.state, kind=args.kind):
        jobs.append(job)
        if len(jobs) >= args.limit:
            break
    ctx.emit(
        jobs,
        lambda: _table(
            ctx,
            ["id", "kind", "state", "progress", "project", "message"],
            [(j.id, j.kind, j.state, f"{j.progress:.0%}", j.project, j.message[:60]) for j in jobs],
        ),
    )
    return OK


def cmd_predictions(ctx: Context) -> int:
    args = ctx.args
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"not a file: {path}")

    def rows():
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        row = json.loads(line)
                    except ValueError as exc:
                        raise UsageError(f"{path}:{number}: not JSON ({exc})") from None
                    if args.model_name and "model_name" not in row:
                        row["model_name"] = args.model_name
                    yield row

    saved = ctx.client.push_predictions(
        args.project, rows(), batch_size=args.batch_size, on_batch=lambda n: ctx.note(f"{n} saved")
    )
    ctx.emit({"saved": saved}, lambda: ctx.out.print(f"{saved} predictions saved."))
    return OK


def _print_job(ctx: Context, job: Job) -> None:
    ctx.out.print(f"Job #{job.id} ({job.kind}): {job.state} {job.progress:.0%} {job.message}".rstrip())
    if isinstance(job.result, dict) and job.result:
        ctx.out.print(json.dumps(job.result, default=str)[:500])


# -- the parser -------------------------------------------------------------------------------------


class UsageError(Exception):
    pass


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    g = common.add_argument_group("connection and output")
    g.add_argument("--url", default=argparse.SUPPRESS, help="the server (default: VR_URL, then vr login's file)")
    g.add_argument(
        "--token", default=argparse.SUPPRESS, help="a personal API token (default: VR_TOKEN, then vr login's)"
    )
    g.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print one JSON document on stdout")
    g.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress or notes")
    g.add_argument("--retries", type=int, default=argparse.SUPPRESS, help="retries of 429/5xx answers (5)")
    g.add_argument("--timeout", type=float, default=argparse.SUPPRESS, help="--wait at most this many seconds")
    g.add_argument("--poll", type=float, default=argparse.SUPPRESS, help="seconds between job polls (1)")

    parser = argparse.ArgumentParser(
        prog="vr",
        description="The VisionReward annotation platform from the command line (docs/client.md).",
        epilog="Exit codes: 0 ok, 1 API refusal, 2 usage, 3 authentication, 4 not found, 5 job failed, "
        "6 server unreachable/failing.",
        parents=[common],
    )
    parser.add_argument("-V", "--version", action="version", version=f"visionreward-client {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, func, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help, parents=[common])
        p.set_defaults(func=func)
        return p

    def project_arg(p, *, many: bool = False, required: bool = True) -> None:
        p.add_argument(
            "--project",
            "-p",
            required=required,
            action="append" if many else "store",
            help="an id, a slug, or a name or its unique beginning/part (case-insensitive); `demo`: the image demo",
        )

    def wait_arg(p) -> None:
        p.add_argument("--wait", action="store_true", help="wait for the job, with a progress bar; exit 5 if it fails")

    command("login", cmd_login, "check a personal API token and save it (with the URL) for later commands")
    command("logout", cmd_logout, "forget the saved token")
    command("whoami", cmd_whoami, "the account the token belongs to")
    command("version", cmd_version, "this client's version and the server's API version")
    p = command("projects", cmd_projects, "your projects")
    p.add_argument("--archived", action="store_true", help="only archived projects")

    p = command("import", cmd_import, "import media files, a folder, a manifest, or a Hugging Face dataset")
    p.add_argument("paths", nargs="*", help="media files and zip archives, or one folder")
    project_arg(p)
    p.add_argument("--manifest", help="a manifest (JSON lines or CSV: file or url, prompt, metadata)")
    p.add_argument("--hf", metavar="DATASET", help="a Hugging Face dataset id (or a path on the server)")
    p.add_argument("--mapping", help="--hf: the column mapping as JSON (default: the server's suggestion)")
    p.add_argument("--split", help="--hf: the split")
    p.add_argument("--config", help="--hf: the config")
    p.add_argument("--limit", type=int, help="--hf: at most this many rows")
    wait_arg(p)

    p = command("export", cmd_export, "export projects as a new dataset version")
    project_arg(p, many=True)
    p.add_argument("--name", help="the dataset's name (default: the first project's name, lower-case with dashes)")
    p.add_argument("--description")
    p.add_argument("--weight-set", type=int, help="the weight set whose scores it holds (default: the active one)")
    p.add_argument("--settings", help="export settings as JSON (docs/datasets.md)")
    p.add_argument("--download", metavar="DIR", help="then download it into DIR (implies --wait)")
    wait_arg(p)

    p = command("datasets", cmd_datasets, "dataset versions")
    p.add_argument("--name")
    p.add_argument("--state", choices=["queued", "building", "ready", "failed"])

    p = command("download", cmd_download, "download a ready dataset version's files into a folder, verified")
    p.add_argument("version", help="its id, or name-vN (name alone: its newest ready version)")
    p.add_argument("--dest", "-o", default=".", help="the folder to put <name>-v<N>/ in (default: here)")

    p = command("push", cmd_push, "push a ready dataset version to the Hugging Face Hub")
    p.add_argument("version", help="its id, or name-vN")
    p.add_argument("--repo", required=True, help="the Hub repository, owner/name")
    p.add_argument("--public", action="store_true", help="a public repository (default: private)")
    p.add_argument("--hub-token", help="a Hub token for this push (default: VR_HUB_TOKEN, else the server's own)")
    wait_arg(p)

    p = command("refit", cmd_refit, "refit the project's weights from its rated pairs")
    project_arg(p)
    p.add_argument("--min-pairs", type=int)
    p.add_argument("--promote", choices=["never", "if_better", "always"])
    p.add_argument("--label")
    p.add_argument("--settings", help="more refit settings as JSON (features, solver, l2, ...)")
    wait_arg(p)

    p = command("jobs", cmd_jobs, "recent jobs, or one job (and --wait for it)")
    p.add_argument("id", nargs="?", type=int, help="a job id")
    project_arg(p, required=False)
    p.add_argument("--state")
    p.add_argument("--kind")
    p.add_argument("--limit", type=int, default=50)
    wait_arg(p)

    p = command("predictions", cmd_predictions, "push your model's P(yes) from a JSON-lines file, in batches")
    p.add_argument("file", help="one JSON object a line: asset, model_name, model_version, p_yes")
    project_arg(p)
    p.add_argument("--model-name", help="for lines without model_name")
    p.add_argument("--batch-size", type=int, default=500)
    return parser


DEFAULTS = {"url": None, "token": None, "json": False, "quiet": False, "retries": 5, "timeout": None, "poll": 1.0}


def exit_code(exc: BaseException) -> int:
    if isinstance(exc, (errors.AuthenticationError, errors.ConfigError)):
        return AUTH
    if isinstance(exc, errors.NotFound):
        return NOT_FOUND
    if isinstance(exc, (errors.JobFailed, errors.JobTimeout)):
        return JOB_FAILED
    if isinstance(exc, (errors.TransportError, errors.ServerError)):
        return UNAVAILABLE
    if isinstance(exc, UsageError):
        return USAGE
    return API_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 0 for --help, 2 for usage
        return int(exc.code or 0)
    for key, value in DEFAULTS.items():
        if not hasattr(args, key):
            setattr(args, key, value)
    if getattr(args, "project", None) is not None and isinstance(args.project, list) and args.func is not cmd_export:
        args.project = args.project[-1]
    ctx = Context(args)
    try:
        return args.func(ctx)
    except json.JSONDecodeError as exc:  # a JSON option (--mapping, --settings) that is not JSON
        _report(ctx, UsageError(f"not JSON: {exc}"), USAGE)
        return USAGE
    except (errors.VRError, UsageError) as exc:
        code = exit_code(exc)
        _report(ctx, exc, code)
        return code
    except KeyboardInterrupt:
        ctx.err.print("Interrupted.")
        return 130
    finally:
        if ctx._client is not None:
            ctx._client.close()


def _report(ctx: Context, exc: BaseException, code: int) -> None:
    error: dict[str, Any] = {"type": type(exc).__name__, "message": getattr(exc, "message", None) or str(exc)}
    if isinstance(exc, errors.ApiError):
        error.update(status=exc.status, errors=exc.errors)
    if isinstance(exc, (errors.JobFailed, errors.JobTimeout)):
        error["job"] = exc.job.raw
    error["exit_code"] = code
    if ctx.json:
        print(json.dumps({"error": error}, indent=2, default=str))
    else:
        hint = " (run `vr login`)" if code == AUTH else ""
        ctx.err.print(f"[red]error:[/red] {error['message']}{hint}", markup=True)
        for field, messages in (error.get("errors") or {}).items():
            ctx.err.print(f"  {field}: {messages}", markup=False)


if __name__ == "__main__":
    sys.exit(main())
