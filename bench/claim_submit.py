"""Benchmark: claim + submit under concurrency on PostgreSQL, small project vs huge project.

    .venv/bin/python bench/claim_submit.py --sizes 10000 1000000 --annotators 50 --cycles 20

For each project size it builds a fresh database (``vr_bench``) with that many ready assets
and single-asset tasks (loaded with COPY), then starts ``--annotators`` processes that each
repeat ``claim_next`` → ``submit`` (the same service code the API calls, with a complete
VisionReward image checklist answer) and records every latency. It reports p50/p95 per
operation, throughput, and the count of duplicate claims (tasks assigned beyond k, or a task
given twice to one annotator), which must be 0. The claim cost must not grow with project
size: the last column is the ratio of the p50 claim latency to the smallest project's.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
DB_NAME = "vr_bench"


def _setup_django(server: str):
    os.environ["DATABASE_URL"] = f"{server}/{DB_NAME}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # production mode (DEBUG would keep a log of every query), with a key and hosts of its own
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
    os.environ.setdefault("DJANGO_HTTPS", "false")
    import django

    django.setup()


def _recreate_database(server: str):
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def build_project(size: int, annotators: int) -> int:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from annotator.models import ChecklistVersion, Membership, Project

    call_command("migrate", verbosity=0)
    checklist = ChecklistVersion.objects.get(key="visionreward-image")
    project = Project.objects.create(name=f"bench {size}", media_type="image", checklist_version=checklist, overlap=1)
    User = get_user_model()
    users = User.objects.bulk_create([User(username=f"bench{i}") for i in range(annotators)])
    Membership.objects.bulk_create([Membership(project=project, user=u, role="annotator") for u in users])
    started = time.perf_counter()
    raw = connection.connection  # psycopg 3 connection
    with raw.cursor() as cur:
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM annotator_asset")
        first = cur.fetchone()[0] + 1
        chunk = 200_000
        for start in range(0, size, chunk):
            n = min(chunk, size - start)
            buf = io.StringIO()
            for i in range(first + start, first + start + n):
                buf.write(
                    f"{i}\t{project.pk}\timage\tready\t\tasset{i}.jpg\tprompt {i % 1000}\t{{}}\t\t"
                    f"{{}}\t{{}}\t2026-01-01 00:00:00+00\t\n"
                )
            buf.seek(0)
            with cur.copy(
                "COPY annotator_asset (id, project_id, kind, status, failure_reason, original_name, prompt, "
                "metadata, sha256, probe, files, created_at, mime_type) FROM STDIN"
            ) as copy:
                copy.write(buf.read())
            buf = io.StringIO()
            for i in range(first + start, first + start + n):
                buf.write(f"{project.pk}\tsingle\t{i}\t1\t0\t0\topen\t0\t2026-01-01 00:00:00+00\n")
            buf.seek(0)
            with cur.copy(
                "COPY annotator_task (project_id, kind, asset_id, required, assigned_count, submitted_count, "
                "status, priority, created_at) FROM STDIN"
            ) as copy:
                copy.write(buf.read())
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('annotator_asset', 'id'), (SELECT MAX(id) FROM annotator_asset))"
        )
        cur.execute("ANALYZE")
    connection.commit() if not connection.get_autocommit() else None
    print(f"  loaded {size:,} assets + tasks in {time.perf_counter() - started:.1f} s", flush=True)
    return project.pk


def _annotator(args):
    server, project_id, username, cycles, start_at = args
    _setup_django(server)
    from django.contrib.auth import get_user_model

    from annotator.models import Project
    from annotator.services.assignment import AnswerPayload, claim_next, submit

    user = get_user_model().objects.get(username=username)
    project = Project.objects.select_related("checklist_version").get(pk=project_id)
    checklist = project.checklist_version.checklist
    options = {s.key: next(o.code for o in s.options if not o.not_present) for s in checklist.sub_dimensions}
    payload = AnswerPayload(options=options, time_spent_ms=30_000)
    while time.time() < start_at:
        time.sleep(0.005)
    claims, submits = [], []
    for _ in range(cycles):
        t0 = time.perf_counter()
        assignment = claim_next(user, project)
        t1 = time.perf_counter()
        if assignment is None:
            break
        submit(assignment, payload, uuid.uuid4())
        t2 = time.perf_counter()
        claims.append(t1 - t0)
        submits.append(t2 - t1)
    return claims, submits


def run_size(server: str, size: int, annotators: int, cycles: int) -> dict:
    _recreate_database(server)
    from django.db import connection

    project_id = build_project(size, annotators)
    connection.close()
    start_at = time.time() + max(3.0, 0.4 * annotators)  # every process set up before the clock starts
    ctx = mp.get_context("spawn")
    with ctx.Pool(annotators) as pool:
        jobs = [(server, project_id, f"bench{i}", cycles, start_at) for i in range(annotators)]
        async_result = pool.map_async(_annotator, jobs)
        results = async_result.get()
    wall = time.time() - start_at
    claims = sorted(x for c, _ in results for x in c)
    submits = sorted(x for _, s in results for x in s)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*) FROM (SELECT t.id FROM annotator_task t JOIN annotator_assignment a ON a.task_id = t.id "
            "WHERE t.project_id = %s GROUP BY t.id, t.required HAVING COUNT(a.id) > t.required) x",
            [project_id],
        )
        over_assigned = cur.fetchone()[0]
        cur.execute(
            "SELECT COUNT(*) FROM (SELECT task_id, user_id FROM annotator_assignment GROUP BY task_id, user_id "
            "HAVING COUNT(*) > 1) x"
        )
        twice = cur.fetchone()[0]
    connection.close()

    def pct(values, q):
        return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")

    return {
        "tasks": size,
        "annotators": annotators,
        "cycles": len(claims),
        "claim_p50_ms": round(pct(claims, 0.50), 2),
        "claim_p95_ms": round(pct(claims, 0.95), 2),
        "submit_p50_ms": round(pct(submits, 0.50), 2),
        "submit_p95_ms": round(pct(submits, 0.95), 2),
        "throughput_per_s": round(len(claims) / wall, 1),
        "mean_cycle_ms": round(statistics.mean(c + s for c, s in zip(claims, submits, strict=True)) * 1000, 2),
        "duplicate_claims": over_assigned + twice,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--cycles", type=int, default=20, help="claim+submit cycles per annotator")
    parser.add_argument("--server", default=os.environ.get("BENCH_PG_SERVER", DEFAULT_SERVER))
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "claim_submit.json")
    args = parser.parse_args()
    _setup_django(args.server)
    rows = []
    for size in args.sizes:
        print(f"project of {size:,} tasks, {args.annotators} concurrent annotators", flush=True)
        rows.append(run_size(args.server, size, args.annotators, args.cycles))
        print("  " + json.dumps(rows[-1]), flush=True)
    base = rows[0]["claim_p50_ms"]
    for row in rows:
        row["claim_p50_vs_smallest"] = round(row["claim_p50_ms"] / base, 2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2))
    print(
        "\n| tasks | annotators | cycles | claim p50 / p95 (ms) | submit p50 / p95 (ms) | cycles/s | duplicate claims "
        "| claim p50 vs smallest |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['tasks']:,} | {r['annotators']} | {r['cycles']} | {r['claim_p50_ms']} / {r['claim_p95_ms']} "
            f"| {r['submit_p50_ms']} / {r['submit_p95_ms']} | {r['throughput_per_s']} | {r['duplicate_claims']} "
            f"| {r['claim_p50_vs_smallest']}× |"
        )


if __name__ == "__main__":
    main()
