"""Benchmark: claim + submit under concurrency on PostgreSQL, small project vs huge project.

    .venv/bin/python bench/claim_submit.py --sizes 10000 1000000 --annotators 50 --cycles 20
    .venv/bin/python bench/claim_submit.py --sizes 10000 1000000 --annotators 1 --cycles 200   # latency alone
    .venv/bin/python bench/claim_submit.py --smoke       # seconds: does it still run (the test suite's run)

For each project size it builds a fresh database (``--database``, ``vr_bench`` by default:
dropped and made again, left in place at the end) with that many ready assets and single-asset
tasks (loaded with COPY, every column the model has: see :func:`copy_rows`), then starts
``--annotators`` processes that each repeat ``claim_next`` → ``submit`` (the same service code
the API calls, with a complete VisionReward image checklist answer) and records every latency.
It reports p50/p95 per operation, throughput, and the count of duplicate claims (tasks assigned
beyond k, or a task given twice to one annotator), which must be 0. The claim cost must not
grow with project size: the last column is the ratio of the p50 claim latency to the smallest
project's.
"""

from __future__ import annotations

import argparse
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
SMOKE = {"sizes": [100, 1000], "annotators": 2, "cycles": 5}
RESULT_TIMEOUT_S = 3600  # an annotator process that died would otherwise leave the pool waiting


def _setup_django(server: str, database: str):
    os.environ["DATABASE_URL"] = f"{server}/{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # production mode (DEBUG would keep a log of every query), with a key and hosts of its own
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
    os.environ.setdefault("DJANGO_HTTPS", "false")
    import django

    django.setup()


def _recreate_database(server: str, database: str):
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def copy_rows(cur, model, fixed: dict, columns: tuple[str, ...], rows) -> int:
    """COPY ``rows`` (tuples of ``columns``, attnames) into ``model``'s table, with every other
    concrete column from ``fixed`` or else the field's own default (timestamps as ``save()`` sets
    them). The column list comes from the model, so a field added later is filled the way the app
    fills it, and one added without a default fails here as loudly as in the app. Returns the count."""
    from django.db import connection

    template = model(**fixed)
    per_row = {name: i for i, name in enumerate(columns)}
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.attname not in per_row)]
    constant = {}
    for f in fields:
        if f.attname not in per_row:
            value = f.pre_save(template, add=True)  # the default, or now() for auto_now(_add)
            constant[f.attname] = f.get_db_prep_save(value, connection)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    # per column: (index in the row, its field) or (None, the constant value)
    slots = [(per_row[f.attname], f) if f.attname in per_row else (None, constant[f.attname]) for f in fields]
    count = 0
    with cur.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([held if i is None else held.get_db_prep_save(row[i], connection) for i, held in slots])
            count += 1
    return count


def build_project(size: int, annotators: int) -> int:
    """A project of ``size`` ready images, each with its open single task (k = 1), and
    ``annotators`` members; assets and tasks are loaded with COPY."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction

    from annotator.models import Asset, ChecklistVersion, Membership, Project, Task

    call_command("migrate", verbosity=0)
    checklist = ChecklistVersion.objects.get(key="visionreward-image")
    project = Project.objects.create(name=f"bench {size}", media_type="image", checklist_version=checklist, overlap=1)
    User = get_user_model()
    users = User.objects.bulk_create([User(username=f"bench{i}") for i in range(annotators)])
    Membership.objects.bulk_create([Membership(project=project, user=u, role="annotator") for u in users])
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cur = cursor.cursor  # the psycopg 3 cursor, for COPY
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM annotator_asset")
        first = cur.fetchone()[0] + 1
        ids = range(first, first + size)
        asset = {"project_id": project.pk, "kind": "image", "status": Asset.Status.READY}
        copy_rows(
            cur,
            Asset,
            asset,
            ("id", "original_name", "prompt"),
            ((i, f"asset{i}.jpg", f"prompt {i % 1000}") for i in ids),
        )
        task = {"project_id": project.pk, "kind": Task.Kind.SINGLE, "required": 1, "status": Task.Status.OPEN}
        copy_rows(cur, Task, task, ("asset_id",), ((i,) for i in ids))
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('annotator_asset', 'id'), (SELECT MAX(id) FROM annotator_asset))"
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE annotator_asset")
        cursor.execute("VACUUM ANALYZE annotator_task")
    print(f"  loaded {size:,} assets + tasks in {time.perf_counter() - started:.1f} s", flush=True)
    return project.pk


def _annotator(args):
    server, database, project_id, username, cycles, ready = args
    _setup_django(server, database)
    from django.contrib.auth import get_user_model

    from annotator.models import Project
    from annotator.services.answers import submit
    from annotator.services.claims import claim_next
    from annotator.services.payload import AnswerPayload

    user = get_user_model().objects.get(username=username)
    project = Project.objects.select_related("checklist_version").get(pk=project_id)
    checklist = project.checklist_version.checklist
    options = {s.key: next(o.code for o in s.options if not o.not_present) for s in checklist.sub_dimensions}
    payload = AnswerPayload(options=options, time_spent_ms=30_000)
    ready.wait(timeout=RESULT_TIMEOUT_S)  # every process set up (Django, its connection) before any starts
    started = time.time()
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
    return claims, submits, started, time.time()


def run_size(server: str, database: str, size: int, annotators: int, cycles: int) -> dict:
    _recreate_database(server, database)
    from django.db import connection

    project_id = build_project(size, annotators)
    connection.close()
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(annotators) as pool:
        # The clock starts when the last process is set up: a fixed head start (it was 0.4 s per
        # process) let the set-up of 50 processes on 2 cores run into the measured time.
        ready = manager.Barrier(annotators)
        jobs = [(server, database, project_id, f"bench{i}", cycles, ready) for i in range(annotators)]
        async_result = pool.map_async(_annotator, jobs, chunksize=1)
        results = async_result.get(timeout=RESULT_TIMEOUT_S)
    wall = max(r[3] for r in results) - min(r[2] for r in results)
    claims = sorted(x for r in results for x in r[0])
    submits = sorted(x for r in results for x in r[1])
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--cycles", type=int, default=20, help="claim+submit cycles per annotator")
    parser.add_argument("--server", default=os.environ.get("BENCH_PG_SERVER", DEFAULT_SERVER))
    parser.add_argument("--database", default=DB_NAME, help="the database made (again) for the run")
    parser.add_argument("--smoke", action="store_true", help="the smallest run: " + json.dumps(SMOKE))
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "claim_submit.json")
    args = parser.parse_args(argv)
    if args.smoke:
        vars(args).update(SMOKE)
    _setup_django(args.server, args.database)
    rows = []
    for size in args.sizes:
        print(f"project of {size:,} tasks, {args.annotators} concurrent annotators", flush=True)
        rows.append(run_size(args.server, args.database, size, args.annotators, args.cycles))
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
