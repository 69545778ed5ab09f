"""Benchmark: 50 concurrent viewers seeking in videos, the app streaming the bytes itself against
nginx sending them on the app's X-Accel-Redirect and against an S3 server sending them on the
app's presigned redirect, in one run.

    .venv/bin/python bench/video_serving.py       # 50 viewers, 20 s per mode and link, 4 workers
    .venv/bin/python bench/video_serving.py --viewers 50 --seconds 30 --workers 4 --viewer-mbit 0 20 100
    .venv/bin/python bench/video_serving.py --smoke    # seconds: does it still run (the test suite's run)

Data (its own PostgreSQL database, ``--database``, ``vr_bench_serving`` by default, dropped and
made again at the start and left in place at the end; media in a temporary folder, removed at
the end): one video project with the two demo samples (``annotator/demo/samples/test1.mp4`` and
``test2.mp4``) processed by the real media pipeline (``worker.media.process_media``: the browser
copy, poster, thumbnail, frames) and stored as the import job stores them, and ``--viewers``
annotators, members of the project, each logged in (a session cookie, as the browser has).

Compared, one after the other in the same run, each for ``--seconds``:

* **app streams (baseline)**: ``gunicorn config.wsgi --workers N`` (sync workers, 120 s
  timeout, as docker-compose.yml runs it) with ``VR_ACCEL_REDIRECT`` off; the viewers talk to
  gunicorn directly, and a worker reads and sends every byte (``annotator/files.py``).
* **nginx, X-Accel-Redirect**: the same gunicorn with ``VR_ACCEL_REDIRECT=true`` behind nginx
  running the shipped ``deploy/nginx.conf`` (only its upstream, port and roots put to this run's,
  ``tests/deploy/nginx.py``); the app checks the session and membership and answers an empty
  response, nginx sends the range from the file.
* **S3, presigned redirect**: the same gunicorn with ``VR_STORAGE=s3`` on a bucket of a real S3
  server process (moto in server mode, started as the tests start it: ``tests/s3.py``) holding
  the same files (``MEDIA_ROOT`` points at a folder that does not exist); the app checks the
  session and membership and answers ``302`` to a presigned URL, the viewer follows it (two
  connections each, one to the app and one to the bucket, as a browser keeps) and the S3 server
  sends the range. moto is a Python stand-in for S3, not a measure of what S3 or MinIO serve: its
  row is about what the web tier spends, its bytes per second say little about a real bucket.

Each viewer (an ``httpx.AsyncClient`` of its own, one connection, spread over
``--client-processes`` processes) loops until the time is up: pick one of the videos, a length
between ``--min-kib`` and ``--max-kib`` and a random offset, and GET its ``display`` file with
``Range: bytes=a-b`` (what a ``<video>`` element asks for when the user seeks). A request counts
as failed unless it is a 206 with exactly the bytes asked for, and as timed out after
``--request-timeout`` seconds. Before the clock starts each viewer makes one request (not
counted) whose bytes are compared with the file on disk.

``--viewer-mbit`` (``0 50`` by default) gives each pair of rows its viewers' link: 0 reads as
fast as the loopback (the servers' own cost per byte), 50 reads each body no faster than
50 Mbit/s with a 64 KiB receive buffer, so a server's send waits on its viewer as it does across
a real network (what holds a sync worker while a video streams).

Measured per mode over the same window (from the moment every viewer is ready to the end of the
last request): bytes served per second, request latency p50/p95, and the CPU seconds (user +
system) of the gunicorn processes (master and workers, ``psutil``) and, separately, of the file
server (nginx's master and workers, or the S3 server) and of the client processes. The ratio columns compare against the
baseline measured in this run. The clients run on the same machine and their CPU is reported:
on a small machine they compete with the servers for the cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
DB_NAME = "vr_bench_serving"
SAMPLES = REPO / "annotator" / "demo" / "samples"
SMOKE = {"viewers": 3, "seconds": 1.0, "workers": 2, "client_processes": 1, "viewer_mbit": [0, 50]}
MODES = (
    ("app", "app streams (gunicorn, baseline)"),
    ("accel", "nginx, X-Accel-Redirect"),
    ("presigned", "S3 (moto), presigned redirect"),
)
RESULT_TIMEOUT_S = 600


def _setup_django(server: str, database: str, media_root: Path):
    os.environ["DATABASE_URL"] = f"{server}/{database}"
    os.environ["MEDIA_ROOT"] = str(media_root)
    os.environ["VR_DATASETS_ROOT"] = str(media_root.parent / "datasets")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # production mode (DEBUG would keep a log of every query), with a key and hosts of its own
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
    os.environ.setdefault("DJANGO_HTTPS", "false")
    os.environ.pop("DJANGO_DEBUG", None)
    import django

    django.setup()


def _recreate_database(server: str, database: str):
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def build_project(viewers: int, scratch: Path) -> tuple[list[tuple[int, int, str]], list[str]]:
    """The video project: the demo samples through the media pipeline, ``viewers`` annotator
    members. Returns the videos as (asset id, size of its display file, its path) and each
    viewer's session cookie value."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from annotator.models import Asset, ChecklistVersion, Membership, Project, asset_media_dir
    from annotator.services.tasks import create_task_for_asset
    from worker.imports.job import _relocate
    from worker.media import MediaLimits, process_media

    call_command("migrate", verbosity=0)
    checklist = ChecklistVersion.objects.get(key="visionreward-video")
    project = Project.objects.create(name="bench video serving", media_type="video", checklist_version=checklist)
    limits = MediaLimits(
        max_bytes=settings.VR_MAX_ASSET_BYTES,
        max_pixels=settings.VR_MAX_IMAGE_PIXELS,
        max_video_seconds=settings.VR_MAX_VIDEO_SECONDS,
    )
    videos = []
    for name in ("test1.mp4", "test2.mp4"):
        processed = process_media(
            SAMPLES / name, scratch / name.replace(".", "_"), limits=limits, expected_kind="video"
        )
        info = processed.info
        asset = Asset.objects.create(
            project=project,
            kind=info.kind,
            status=Asset.Status.READY,
            original_name=name,
            prompt=f"the demo sample {name}",
            mime_type=info.mime_type,
            width=info.width,
            height=info.height,
            duration_seconds=info.duration,
            fps=info.fps,
            frame_count=info.frame_count,
            size_bytes=info.size_bytes,
        )
        rel = asset_media_dir(project.pk, asset.pk)
        shutil.copytree(scratch / name.replace(".", "_"), Path(settings.MEDIA_ROOT) / rel)
        asset.files = _relocate(processed.files, rel)  # as the import job records them
        asset.save(update_fields=["files"])
        create_task_for_asset(asset)
        path = Path(settings.MEDIA_ROOT) / asset.files["display"]
        videos.append((asset.pk, path.stat().st_size, str(path)))
    User = get_user_model()
    users = User.objects.bulk_create([User(username=f"viewer{i}") for i in range(viewers)])
    Membership.objects.bulk_create([Membership(project=project, user=u, role="annotator") for u in users])
    cookies = []
    for user in users:
        client = Client()
        client.force_login(user)  # a session in the database, as logging in makes one
        cookies.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    return videos, cookies


# --- the servers ------------------------------------------------------------------------------------


def _wait_http(url: str, process: subprocess.Popen, log: Path, timeout_s: float = 60):
    import httpx

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer: {log.read_text()[-3000:] if log.exists() else ''}")
        time.sleep(0.2)


def put_in_bucket(s3, bucket: str, media_root: Path) -> None:
    """The same files in a bucket of the S3 server, under the media storage's names."""
    s3.client().create_bucket(Bucket=bucket)
    for path in sorted(p for p in media_root.rglob("*") if p.is_file()):
        s3.client().upload_file(str(path), bucket, f"media/{path.relative_to(media_root).as_posix()}")


def start_gunicorn(port: int, workers: int, log: Path, env: dict) -> subprocess.Popen:
    env = os.environ | env
    argv = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    argv += ["--workers", str(workers), "--timeout", "120"]
    with open(log, "ab") as out:
        process = subprocess.Popen(
            argv, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    _wait_http(f"http://127.0.0.1:{port}/healthz", process, log)
    return process


def stop(process: subprocess.Popen | None, *, group: bool = False):
    """Stop a server: gunicorn's whole process group with SIGINT (its quick shutdown), nginx with
    SIGTERM (its fast shutdown); SIGKILL after 15 s."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGINT) if group else process.terminate()
        process.wait(timeout=15)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL) if group else process.kill()
        process.wait()


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its live children."""
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def tree_pids(pid: int) -> set[int]:
    import psutil

    root = psutil.Process(pid)
    return {root.pid, *(p.pid for p in root.children(recursive=True))}


# --- the viewers ------------------------------------------------------------------------------------


async def _viewers(base: str, cookies: list[str], cookie_name: str, videos, args: dict, barrier, seed: int):
    import httpx

    rng = random.Random(seed)
    lo, hi = args["min_kib"] * 1024, args["max_kib"] * 1024
    timeout = httpx.Timeout(args["request_timeout"])
    presigned = args["mode"] == "presigned"
    # one connection to the app; on a presigned redirect a second one to the bucket, as a browser keeps
    limits = httpx.Limits(max_connections=2 if presigned else 1, max_keepalive_connections=2 if presigned else 1)
    mbit = args["viewer_mbit"]
    # A viewer on a link of ``mbit``: a small receive buffer, so the server's send waits on the
    # viewer as it would across a network, and the body read no faster than the link.
    sockopts = [(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)] if mbit else []

    def make(cookie):
        transport = httpx.AsyncHTTPTransport(limits=limits, socket_options=sockopts)
        return httpx.AsyncClient(
            base_url=base,
            cookies={cookie_name: cookie},
            timeout=timeout,
            transport=transport,
            follow_redirects=presigned,
        )

    clients = [make(c) for c in cookies]

    def pick():
        asset, size, path = rng.choice(videos)
        length = min(size, rng.randint(lo, hi))
        start = rng.randint(0, size - length)
        return asset, path, start, length

    async def fetch(client, asset, start, length) -> tuple[int, dict, bytes]:
        url = f"/api/assets/{asset}/files/display"
        headers = {"Range": f"bytes={start}-{start + length - 1}"}
        async with client.stream("GET", url, headers=headers) as response:
            if presigned and [r.status_code for r in response.history] != [302]:
                raise RuntimeError(f"expected one presigned redirect, got {response.history} {response.status_code}")
            t0, body = time.perf_counter(), bytearray()
            async for chunk in response.aiter_raw():
                body += chunk
                if mbit:
                    ahead = len(body) * 8 / (mbit * 1e6) - (time.perf_counter() - t0)
                    if ahead > 0:
                        await asyncio.sleep(ahead)
            return response.status_code, response.headers, bytes(body)

    # one request each, not counted: connections made, every worker's imports done, bytes checked
    for client in clients:
        asset, path, start, length = pick()
        status, headers, body = await fetch(client, asset, start, length)
        with open(path, "rb") as fh:
            fh.seek(start)
            expected = fh.read(length)
        if status != 206 or body != expected or "X-Accel-Redirect" in headers:
            raise RuntimeError(f"warm-up request: {status} {headers} {len(body)} B")

    await asyncio.get_running_loop().run_in_executor(None, barrier.wait)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    deadline = time.monotonic() + args["seconds"]
    latencies: list[float] = []
    counts = {"requests": 0, "bytes": 0, "failed": 0, "timed_out": 0}

    async def viewer(client):
        while time.monotonic() < deadline:
            asset, _path, start, length = pick()
            t0 = time.perf_counter()
            try:
                status, _headers, body = await fetch(client, asset, start, length)
            except httpx.TimeoutException:
                counts["timed_out"] += 1
                continue
            except httpx.HTTPError:
                counts["failed"] += 1
                continue
            latencies.append(time.perf_counter() - t0)
            counts["requests"] += 1
            if status == 206 and len(body) == length:
                counts["bytes"] += length
            else:
                counts["failed"] += 1

    await asyncio.gather(*(viewer(c) for c in clients))
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    for client in clients:
        await client.aclose()
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return {**counts, "latencies": latencies, "cpu_s": cpu}


def _client_process(job):
    base, cookies, cookie_name, videos, args, barrier, seed = job
    return asyncio.run(_viewers(base, cookies, cookie_name, videos, args, barrier, seed))


def run_mode(mode: str, base: str, cookies, cookie_name, videos, args, servers: dict) -> dict:
    """Every viewer against ``base`` for ``args['seconds']``; the CPU of ``servers`` (name → pid)
    over the same window."""
    args = {**args, "mode": mode}
    k = max(1, min(args["client_processes"], len(cookies)))
    groups = [cookies[i::k] for i in range(k)]
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(k) as pool:
        barrier = manager.Barrier(k + 1)
        jobs = [(base, g, cookie_name, videos, args, barrier, args["seed"] * 1000 + i) for i, g in enumerate(groups)]
        pending = pool.map_async(_client_process, jobs, chunksize=1)
        barrier.wait(timeout=RESULT_TIMEOUT_S)
        cpu0 = {name: tree_cpu(pid) for name, pid in servers.items()}
        t0 = time.perf_counter()
        results = pending.get(timeout=RESULT_TIMEOUT_S)
        wall = time.perf_counter() - t0
        cpu1 = {name: tree_cpu(pid) for name, pid in servers.items()}
    latencies = sorted(x for r in results for x in r["latencies"])

    def pct(q):
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 1) if latencies else None

    total = sum(r["bytes"] for r in results)
    web_cpu = cpu1["gunicorn"] - cpu0["gunicorn"]
    return {
        "mode": mode,
        "viewers": len(cookies),
        "seconds": round(wall, 2),
        "requests": sum(r["requests"] for r in results),
        "failed": sum(r["failed"] for r in results),
        "timed_out": sum(r["timed_out"] for r in results),
        "bytes": total,
        "mib_per_s": round(total / wall / 2**20, 2),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "web_cpu_s": round(web_cpu, 2),
        "nginx_cpu_s": round(cpu1["nginx"] - cpu0["nginx"], 2) if "nginx" in servers else None,
        "s3_server_cpu_s": round(cpu1["s3"] - cpu0["s3"], 2) if "s3" in servers else None,
        "client_cpu_s": round(sum(r["cpu_s"] for r in results), 2),
        "web_cpu_ms_per_mib": round(web_cpu * 1000 / (total / 2**20), 2) if total else None,
        "web_cpu_ms_per_request": round(web_cpu * 1000 / len(latencies), 2) if latencies else None,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0, help="measured time per mode")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (docker-compose.yml: 4)")
    parser.add_argument("--client-processes", type=int, default=2, help="processes the viewers are spread over")
    parser.add_argument("--min-kib", type=int, default=256)
    parser.add_argument("--max-kib", type=int, default=1024)
    parser.add_argument(
        "--viewer-mbit",
        type=float,
        nargs="+",
        default=[0, 50],
        help="each viewer's link speed in Mbit/s, one pair of rows per value (0: as fast as loopback)",
    )
    parser.add_argument("--request-timeout", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--server", default=os.environ.get("BENCH_PG_SERVER", DEFAULT_SERVER))
    parser.add_argument("--database", default=DB_NAME, help="the database made (again) for the run")
    parser.add_argument("--smoke", action="store_true", help="the smallest run: " + json.dumps(SMOKE))
    parser.add_argument("--json", type=Path, default=REPO / "bench" / "results" / "video_serving.json")
    args = parser.parse_args(argv)
    if args.smoke:
        vars(args).update(SMOKE)
    from tests.deploy.nginx import NGINX, start_nginx
    from tests.guarantees.processes import free_port
    from tests.s3 import start_s3_server

    if not Path(NGINX).exists():
        parser.error(f"nginx is needed for the X-Accel-Redirect mode ({NGINX} is missing)")
    work = Path(tempfile.mkdtemp(prefix="vr_bench_serving_"))
    media = work / "media"
    media.mkdir()
    s3 = None
    try:
        _recreate_database(args.server, args.database)
        _setup_django(args.server, args.database, media)
        from django.conf import settings
        from django.db import connection

        started = time.perf_counter()
        videos, cookies = build_project(args.viewers, work / "processed")
        s3, bucket = start_s3_server(), "vr-bench-serving"
        put_in_bucket(s3, bucket, media)
        connection.close()
        print(
            f"set up in {time.perf_counter() - started:.1f} s (not counted): videos "
            + ", ".join(f"{size / 2**20:.2f} MiB" for _, size, _ in videos)
            + f"; {args.viewers} viewers, {args.seconds:g} s per mode, {args.workers} gunicorn workers, "
            f"ranges of {args.min_kib}-{args.max_kib} KiB",
            flush=True,
        )
        load_before = os.getloadavg()
        options = {k: vars(args)[k] for k in ("seconds", "min_kib", "max_kib", "request_timeout", "seed")}
        options["client_processes"] = args.client_processes
        rows = []
        for (mode, label), mbit in ((m, link) for link in args.viewer_mbit for m in MODES):
            options["viewer_mbit"] = mbit
            gunicorn = nginx = None
            try:
                port = free_port()
                env = {"VR_ACCEL_REDIRECT": "true" if mode == "accel" else "false"}
                if mode == "presigned":  # every file from the bucket: no media folder at all
                    env |= s3.env(bucket) | {"MEDIA_ROOT": str(work / "no-media"), "VR_S3_URL_SECONDS": "300"}
                gunicorn = start_gunicorn(port, args.workers, work / f"gunicorn-{mode}.log", env)
                servers, base = {"gunicorn": gunicorn.pid}, f"http://127.0.0.1:{port}"
                if mode == "presigned":
                    servers["s3"] = s3.process.pid
                if mode == "accel":
                    front = free_port()
                    nginx = start_nginx(
                        upstream=f"127.0.0.1:{port}",
                        port=front,
                        media_root=media,
                        datasets_root=Path(settings.VR_DATASETS_ROOT),
                        scratch=work / "nginx",
                    )
                    servers["nginx"], base = nginx.pid, f"http://127.0.0.1:{front}"
                row = run_mode(mode, base, cookies, settings.SESSION_COOKIE_NAME, videos, options, servers)
                row["label"], row["viewer_mbit"] = label, mbit
                row["web_processes"] = len(tree_pids(gunicorn.pid))
                rows.append(row)
                print("  " + json.dumps(row), flush=True)
            finally:
                stop(nginx)
                stop(gunicorn, group=True)
        load_after = os.getloadavg()
        if (work / "no-media").exists():
            raise RuntimeError("the presigned mode wrote a media folder")
    finally:
        if s3 is not None:
            stop(s3.process)
        shutil.rmtree(work, ignore_errors=True)

    for row in rows:  # against the app's row of the same viewer link
        base = next(r for r in rows if r["mode"] == "app" and r["viewer_mbit"] == row["viewer_mbit"])
        row["mib_per_s_vs_app"] = round(row["mib_per_s"] / base["mib_per_s"], 2) if base["mib_per_s"] else None
        per = row["web_cpu_ms_per_mib"]
        row["web_cpu_per_mib_vs_app"] = round(per / base["web_cpu_ms_per_mib"], 3) if per is not None else None
    figures = {
        "viewers": args.viewers,
        "seconds": args.seconds,
        "workers": args.workers,
        "client_processes": args.client_processes,
        "range_kib": [args.min_kib, args.max_kib],
        "videos_bytes": [size for _, size, _ in videos],
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "rows": rows,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(figures, indent=2))
    print(
        f"\nload average (1, 5, 15 min) before {', '.join(f'{x:.2f}' for x in load_before)}, "
        f"after {', '.join(f'{x:.2f}' for x in load_after)}; {os.cpu_count()} CPUs"
    )
    print(
        "\n| mode | viewer link | viewers | requests | failed / timed out | MiB/s | latency p50 / p95 (ms) | web CPU s "
        "| file server CPU s | client CPU s | web CPU ms / request | web CPU ms / MiB | MiB/s vs app "
        "| web CPU per MiB vs app |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        link = f"{r['viewer_mbit']:g} Mbit/s" if r["viewer_mbit"] else "loopback"
        print(
            f"| {r['label']} | {link} | {r['viewers']} | {r['requests']:,} | {r['failed']} / {r['timed_out']} "
            f"| {r['mib_per_s']} | {r['p50_ms']} / {r['p95_ms']} | {r['web_cpu_s']} "
            f"| {_server_cpu(r)} | {r['client_cpu_s']} "
            f"| {r['web_cpu_ms_per_request']} | {r['web_cpu_ms_per_mib']} | {r['mib_per_s_vs_app']}× "
            f"| {r['web_cpu_per_mib_vs_app']}× |"
        )


def _server_cpu(row: dict) -> str:
    value = row["nginx_cpu_s"] if row["nginx_cpu_s"] is not None else row["s3_server_cpu_s"]
    return "" if value is None else str(value)


if __name__ == "__main__":
    main()
