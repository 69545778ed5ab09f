"""Benchmark: exporting a dataset version (N items × 64 answers) to a Hugging Face dataset folder,
our streaming export job against a naive "list of dicts → ``Dataset.from_list``" loop.

    .venv/bin/python bench/export_speed.py                          # 10k and 100k items
    .venv/bin/python bench/export_speed.py --sizes 1000 10000 --repeats 3
    .venv/bin/python bench/export_speed.py --baseline-max-items 10000 --profile
    .venv/bin/python bench/export_speed.py --smoke     # seconds: does it still run (the test suite's run)

Data (its own PostgreSQL database, ``--database``, ``vr_bench_export`` by default, dropped and
made again at the start and left in place at the end; media, datasets and the broker folder in a
temporary folder, removed at the end): a custom image checklist of 4 dimensions × 8 sub-dimensions × 3 options, two
questions each (64 questions, no gates, no "not present"), and per size N one image project of
N ready assets (every one pointing at the same ~1 KB JPEG, so the disk is not what is measured,
each with its own sha256 string), their single tasks and one submitted annotation each (random
options, by one of 16 annotators; answers/mask from ``annotator.checklist.expand``), plus N/10
pair tasks (``--pair-fraction``) between two assets of one prompt, each rated once. Rows are
written with ``bulk_create`` in batches; that setup is timed on its own and not counted.

Compared, per size, each run in a fresh process (the script calls itself with ``--one``), so
the peak RSS (``getrusage``'s ``ru_maxrss``) is that run's alone; "RSS before" is the process's
RSS after Django and every import (``datasets``, ``pyarrow``, the export library) and before
the work, "growth" is peak − before:

* **ours**: the real path: ``worker.exports.job.start_export`` for a staff user (default settings:
  majority vote, 80/10/10 splits, images embedded, the balanced QA subset on with cap 1000)
  then ``worker.jobs.execute(job)``: ``run_export`` reads the database in one COPY stream
  (``worker/exports/reader.py``, parsed into Arrow in a helper thread) and streams rows into
  parquet shards of the ``default``,
  ``visionreward``, ``pairs``, ``regression`` and ``balanced_qa`` configs (the balanced subset
  takes a second pass over the items), writes the dataset card and publishes the folder.
* **baseline**: a naive loop over ``Annotation.objects.select_related("task__asset", "user")``
  (ORM instances, through ``.iterator()`` so the queryset does not also cache them), one Python
  dict per row with the default config's main columns (id, asset id, project id, prompt, media
  type, the image bytes read from the file, options dict, answers, mask, annotator, state,
  metadata, sha256), collected in a list, then ``datasets.Dataset.from_list(rows)``,
  ``cast_column("image", Image())`` and ``to_parquet`` into one file. It does much less than
  ours: only the default config, no splits, no majority/agreement columns, no pairs,
  ``visionreward``, ``regression`` or ``balanced_qa`` configs, no content hash, no card, no
  job bookkeeping.
* **ours, default config only**: the like-for-like row: ``export_dataset`` called directly over
  ``iter_item_batches`` (the job's COPY stream, column-wise batches) with no pairs, no
  ``visionreward`` and ``balanced_cap=None``, so it writes the baseline's rows (plus its splits,
  majority and agreement columns, the content hash and the card) by the column-wise path
  (``datasets_app/export/columnar.py``; answers and masks read from the packed columns the
  database keeps beside the JSON, ``annotator/packed.py``); the version row is made before the
  clock starts and nothing is published. Media: every asset here points at the same JPEG, and ours reads each
  distinct file once per batch (``MediaStore.image_cell``), so it reads the file about N/5000
  times where the baseline reads it N times; with N distinct files both would read N files.

The ratio columns are baseline / ours (time, and RSS growth). A run that passes
``--run-timeout`` seconds or ``--max-rss-mib`` is stopped and marked so in the table (never
extrapolated); sizes above ``--baseline-max-items`` get no baseline run. After the timed section
(not counted) ours is loaded back with ``datasets.load_dataset(folder)`` and its default config
must have N rows; the other two must have N rows in their parquet metadata.

"output MiB" says little here: every row embeds the same JPEG, which our writer's parquet
dictionary encoding stores once per row group, while ``Dataset.to_parquet`` writes image bytes
plain and uncompressed; with distinct images both would be about N × the image size.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
DB_NAME = "vr_bench_export"
EXPORTER = "bench-exporter"
ANNOTATORS = 16
JPEG = "bench/one.jpg"  # relative to MEDIA_ROOT
BATCH = 5000
METHODS = ("baseline", "ours-default", "ours")
SMOKE = {"sizes": [40], "repeats": 1, "run_timeout": 120.0}  # --smoke: every method once on 40 items
LABELS = {"baseline": "baseline (naive)", "ours-default": "ours, default config only", "ours": "ours (export job)"}


# --- environment ----------------------------------------------------------------------------


def _environment(server: str, database: str, tmp: Path) -> None:
    """Settings for this process and its children: our database, every folder in ``tmp``."""
    os.environ.update(
        {
            "DATABASE_URL": f"{server}/{database}",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "0",  # DEBUG would keep a log of every query
            "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or "bench-only-secret-key",
            "DJANGO_ALLOWED_HOSTS": os.environ.get("DJANGO_ALLOWED_HOSTS") or "localhost,127.0.0.1",
            "DJANGO_HTTPS": "false",
            "LOG_LEVEL": "WARNING",
            "VR_VAR_DIR": str(tmp / "var"),  # the filesystem broker's folders too
            "MEDIA_ROOT": str(tmp / "media"),
            "VR_DATASETS_ROOT": str(tmp / "datasets"),
            "HF_HOME": str(tmp / "hf"),
            "HF_DATASETS_CACHE": str(tmp / "hf" / "datasets"),
            "HF_DATASETS_OFFLINE": "1",
            "HF_HUB_OFFLINE": "1",
            "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
        }
    )


def _setup_django() -> None:
    import django

    django.setup()


def _recreate_database(server: str, database: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def _rss_kib() -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# --- data -----------------------------------------------------------------------------------


def bench_checklist():
    """4 dimensions × 8 sub-dimensions × 3 options (good / fair / poor), two questions each."""
    from annotator.checklist import checklist_from_dict

    options = [{"code": 2, "label": "good"}, {"code": 1, "label": "fair"}, {"code": 0, "label": "poor"}]
    dimensions = []
    for d in range(4):
        subs = []
        for s in range(8):
            k = 8 * d + s
            subs.append(
                {
                    "key": f"s{k}",
                    "title": f"Aspect {k}",
                    "options": options,
                    "questions": [
                        {"key": f"q{2 * k + 1}", "text": f"Is aspect {k} of [[prompt]] good?", "yes_if_at_least": 2},
                        {"key": f"q{2 * k + 2}", "text": f"Is aspect {k} at least fair?", "yes_if_at_least": 1},
                    ],
                }
            )
        dimensions.append({"key": f"d{d}", "title": f"Dimension {d}", "sub_dimensions": subs})
    return checklist_from_dict(
        {
            "key": "bench-export-64",
            "title": "Export benchmark (64 questions)",
            "media_type": "image",
            "dimensions": dimensions,
        }
    )


def prepare_database(server: str, database: str) -> dict:
    """Fresh database, migrations, the checklist, the exporter and the annotators, the JPEG."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from PIL import Image

    from annotator.services.checklists import load_checklist_version

    _recreate_database(server, database)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    version, _ = load_checklist_version(bench_checklist())
    assert version.question_count == 64, version.question_count
    User = get_user_model()
    User.objects.create_user(username=EXPORTER, password="x", is_staff=True)
    User.objects.bulk_create([User(username=f"rater{i:02d}") for i in range(ANNOTATORS)])
    path = Path(settings.MEDIA_ROOT) / JPEG
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.radial_gradient("L").resize((64, 48)).convert("RGB").save(path, quality=85)
    print(
        f"database {database}: migrated, checklist of 64 questions, JPEG of {path.stat().st_size} bytes "
        f"({time.perf_counter() - started:.1f} s)",
        flush=True,
    )
    return {"checklist_version": version.pk, "jpeg_bytes": path.stat().st_size}


def build_project(size: int, pair_fraction: float, seed: int) -> tuple[int, int]:
    """One image project of ``size`` annotated assets and ``size · pair_fraction`` rated pairs.
    Returns (project id, pairs)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from annotator.checklist import expand
    from annotator.models import Annotation, Asset, Assignment, ChecklistVersion, Project, Task

    rng = random.Random(seed + size)
    version = ChecklistVersion.objects.get(key="bench-export-64")
    checklist = version.checklist
    project = Project.objects.create(name=f"export bench {size}", media_type="image", checklist_version=version)
    raters = list(get_user_model().objects.filter(username__startswith="rater").order_by("username"))
    now = timezone.now()
    later = now + timedelta(hours=1)
    files = {"original": JPEG, "display": JPEG, "thumbnail": JPEG, "poster": None, "frames": []}

    def submitted(tasks, offset=0):
        return Assignment.objects.bulk_create(
            [
                Assignment(
                    task=t,
                    user=raters[(i + offset) % len(raters)],
                    project=project,
                    state=Assignment.State.SUBMITTED,
                    leased_at=now,
                    expires_at=later,
                    finished_at=now,
                )
                for i, t in enumerate(tasks)
            ]
        )

    asset_ids: list[int] = []
    for start in range(0, size, BATCH):
        n = min(BATCH, size - start)
        assets = Asset.objects.bulk_create(
            [
                Asset(
                    project=project,
                    kind="image",
                    original_name=f"img{i:06d}.jpg",
                    prompt=f"a generated picture, prompt {i // 2}",  # two assets per prompt (pairs)
                    metadata={"bench": True, "index": i},
                    sha256=hashlib.sha256(f"export-bench {size} {i}".encode()).hexdigest(),
                    size_bytes=1000,
                    mime_type="image/jpeg",
                    width=64,
                    height=48,
                    files=files,
                )
                for i in range(start, start + n)
            ]
        )
        asset_ids.extend(a.pk for a in assets)
        tasks = Task.objects.bulk_create(
            [
                Task(
                    project=project,
                    kind=Task.Kind.SINGLE,
                    asset=a,
                    required=1,
                    assigned_count=1,
                    submitted_count=1,
                    status=Task.Status.DONE,
                )
                for a in assets
            ]
        )
        assignments = submitted(tasks, start)
        annotations = []
        for task, assignment in zip(tasks, assignments, strict=True):
            options = {sub.key: rng.choice(sub.options).code for sub in checklist.sub_dimensions}
            expansion = expand(checklist, options)
            annotations.append(
                Annotation(
                    assignment=assignment,
                    task=task,
                    project=project,
                    user=assignment.user,
                    checklist_version=version,
                    options=options,
                    answers=list(expansion.answers),
                    mask=list(expansion.mask),
                    time_spent_ms=30_000,
                    submitted_at=now,
                )
            )
        Annotation.objects.bulk_create(annotations)
    pairs = min(size // 2, int(size * pair_fraction))
    for start in range(0, pairs, BATCH):
        n = min(BATCH, pairs - start)
        tasks = Task.objects.bulk_create(
            [
                Task(
                    project=project,
                    kind=Task.Kind.PAIR,
                    asset_id=asset_ids[2 * j],
                    asset_b_id=asset_ids[2 * j + 1],
                    required=1,
                    assigned_count=1,
                    submitted_count=1,
                    status=Task.Status.DONE,
                )
                for j in range(start, start + n)
            ]
        )
        assignments = submitted(tasks, start)
        Annotation.objects.bulk_create(
            [
                Annotation(
                    assignment=assignment,
                    task=task,
                    project=project,
                    user=assignment.user,
                    checklist_version=version,
                    preference=rng.randint(1, 5),
                    submitted_at=now,
                )
                for task, assignment in zip(tasks, assignments, strict=True)
            ]
        )
    with connection.cursor() as cur:  # hint bits and statistics now, not in whichever run reads first
        cur.execute("VACUUM ANALYZE")
    return project.pk, pairs


# --- one measured run (a child process) -----------------------------------------------------


def _watch_rss(limit_kib: int) -> None:
    def run():
        while True:
            if _rss_kib() > limit_kib:
                print("RESULT " + json.dumps({"error": f"stopped: RSS over {limit_kib // 1024} MiB"}), flush=True)
                os._exit(3)
            time.sleep(0.05)

    threading.Thread(target=run, daemon=True).start()


def _profile_text(profiler) -> str:
    import io
    import pstats

    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(25)
    return text.getvalue()


def run_ours(project_id: int, size: int, profile: bool) -> dict:
    from django.contrib.auth import get_user_model

    from datasets_app.models import DatasetVersion
    from worker.exports.job import start_export
    from worker.jobs import execute

    user = get_user_model().objects.get(username=EXPORTER)
    DatasetVersion.objects.all().delete()  # an earlier run's version would make this one a duplicate
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
    before = _rss_kib()
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    version, job = start_export(user, {"name": f"bench-{size}", "projects": [project_id]})
    state = execute(job.pk)
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - started
    peak = _peak_kib()
    version.refresh_from_db()
    if state != "succeeded" or version.state != DatasetVersion.State.READY:
        job.refresh_from_db()
        raise RuntimeError(f"export ended {state} / {version.state}: {job.error or version.error}")
    folder = version.folder
    out = {
        "seconds": elapsed,
        "rss_before_kib": before,
        "peak_kib": peak,
        "rows_default": sum(version.row_counts.get("default", {}).values()),
        "rows_all": sum(sum(splits.values()) for splits in version.row_counts.values()),
        "row_counts": {config: sum(s.values()) for config, s in version.row_counts.items()},
        "output_bytes": _folder_bytes(folder),
    }
    if profiler:
        out["profile"] = _profile_text(profiler)
    import datasets

    loaded = datasets.load_dataset(str(folder), cache_dir=os.environ["HF_DATASETS_CACHE"])
    out["loaded_rows"] = sum(split.num_rows for split in loaded.values())
    del loaded
    shutil.rmtree(folder)
    shutil.rmtree(os.environ["HF_DATASETS_CACHE"], ignore_errors=True)
    return out


def run_ours_default(project_id: int, size: int, profile: bool = False) -> dict:
    """``export_dataset`` over ``iter_item_batches`` alone: the default config only (the baseline's rows),
    no pairs, no ``visionreward`` or ``balanced_qa``; still splits, majority, hash and card."""
    from dataclasses import replace

    from django.contrib.auth import get_user_model

    from datasets_app.export.build import export_dataset
    from datasets_app.export.items import ExportSettings
    from datasets_app.models import DatasetVersion
    from worker.exports.job import iter_item_batches, staging_folder, start_export

    user = get_user_model().objects.get(username=EXPORTER)
    DatasetVersion.objects.all().delete()
    version, _ = start_export(user, {"name": f"bench-{size}-default", "projects": [project_id]})
    settings = replace(ExportSettings(), balanced_cap=None)
    folder = staging_folder() / "out"
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
    before = _rss_kib()
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    result = export_dataset(
        folder,
        checklist=version.checklist_version.checklist,
        settings=settings,
        item_batches=lambda: iter_item_batches(version),
        include_visionreward=False,
    )
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - started
    peak = _peak_kib()
    import pyarrow.parquet as pq

    files = [folder / f for f in result.files if f.endswith(".parquet")]
    out = {
        "seconds": elapsed,
        "rss_before_kib": before,
        "peak_kib": peak,
        "rows_default": result.num_rows.get("default", 0),
        "rows_all": sum(result.num_rows.values()),
        "row_counts": result.num_rows,
        "output_bytes": _folder_bytes(folder),
        "loaded_rows": sum(pq.read_metadata(f).num_rows for f in files),
    }
    if profiler:
        out["profile"] = _profile_text(profiler)
    shutil.rmtree(folder.parent)
    return out


def run_baseline(project_id: int, size: int, out_dir: Path) -> dict:
    import datasets
    import pyarrow.parquet as pq
    from django.conf import settings

    from annotator.models import Annotation

    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"baseline-{size}.parquet"
    before = _rss_kib()
    started = time.perf_counter()
    queryset = (
        Annotation.objects.filter(project_id=project_id, task__kind="single", state__in=["submitted", "reviewed"])
        .select_related("task__asset", "user")
        .order_by("task__asset_id", "id")
    )
    media_root = Path(settings.MEDIA_ROOT)
    rows = []
    for annotation in queryset.iterator(chunk_size=2000):
        asset = annotation.task.asset
        image = media_root / (asset.files.get("display") or asset.files["original"])
        rows.append(
            {
                "id": str(asset.id),
                "asset_id": asset.id,
                "project_id": asset.project_id,
                "prompt": asset.prompt,
                "media_type": asset.kind,
                "image": {"bytes": image.read_bytes(), "path": f"{asset.sha256}{image.suffix}"},
                "options": dict(annotation.options),
                "answers": list(annotation.answers),
                "mask": list(annotation.mask),
                "annotator": annotation.user.username,
                "state": annotation.state,
                "metadata": json.dumps(asset.metadata, sort_keys=True),
                "media_sha256": asset.sha256,
            }
        )
    dataset = datasets.Dataset.from_list(rows).cast_column("image", datasets.Image())
    dataset.to_parquet(str(target))
    elapsed = time.perf_counter() - started
    peak = _peak_kib()
    out = {
        "seconds": elapsed,
        "rss_before_kib": before,
        "peak_kib": peak,
        "rows_default": len(rows),
        "rows_all": len(rows),
        "output_bytes": target.stat().st_size,
        "loaded_rows": pq.read_metadata(target).num_rows,
    }
    target.unlink()
    return out


def one(args) -> None:
    """Child process: one measured run; prints ``RESULT {json}``."""
    method, size = args.one[0], int(args.one[1])
    _setup_django()
    # Everything either method imports, before "RSS before": the same for both.
    import datasets  # noqa: F401
    import pyarrow.parquet  # noqa: F401
    from django.db import connection

    import datasets_app.export.build  # noqa: F401
    import worker.exports.job  # noqa: F401
    import worker.jobs  # noqa: F401
    from annotator.models import Annotation  # noqa: F401

    connection.ensure_connection()
    if args.max_rss_mib:
        _watch_rss(args.max_rss_mib * 1024)
    if method == "ours":
        result = run_ours(args.project_id, size, args.profile)
    elif method == "ours-default":
        result = run_ours_default(args.project_id, size, args.profile)
    else:
        result = run_baseline(args.project_id, size, Path(os.environ["VR_VAR_DIR"]) / "baseline")
    print("RESULT " + json.dumps(result), flush=True)


def measure(method: str, size: int, project_id: int, args, profile: bool = False) -> dict:
    command = [sys.executable, __file__, "--one", method, str(size), "--project-id", str(project_id)]
    command += ["--max-rss-mib", str(args.max_rss_mib)]
    if profile:
        command.append("--profile")
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.run_timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"stopped: over {args.run_timeout:.0f} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if not lines:
        sys.stderr.write(done.stdout + done.stderr)
        return {"error": f"failed (exit {done.returncode})"}
    return json.loads(lines[-1][len("RESULT ") :])


# --- the report -----------------------------------------------------------------------------


def _mib(kib: float) -> float:
    return kib / 1024


def summarize(runs: list[dict]) -> dict:
    """Median time, the largest peak, the median RSS before, over repeats (errors win)."""
    errors = [r["error"] for r in runs if "error" in r]
    if errors:
        return {"error": errors[0]}
    out = dict(runs[-1])
    out["seconds"] = statistics.median(r["seconds"] for r in runs)
    out["peak_kib"] = max(r["peak_kib"] for r in runs)
    out["rss_before_kib"] = statistics.median(r["rss_before_kib"] for r in runs)
    out["growth_kib"] = out["peak_kib"] - out["rss_before_kib"]
    return out


def print_table(rows: list[dict], args, setup: dict) -> None:
    import datasets
    import django
    import pyarrow

    with open("/proc/cpuinfo") as handle:
        cpu = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "")
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(
        f"\n{cpu or platform.processor()}, {os.cpu_count()} CPUs, {mem_gib:.0f} GiB; "
        f"Python {platform.python_version()}, "
        f"Django {django.get_version()}, datasets {datasets.__version__}, pyarrow {pyarrow.__version__}, "
        f"PostgreSQL on 127.0.0.1; 64 questions per item, one annotation per item, JPEG of "
        f"{setup['jpeg_bytes']} bytes embedded; pairs: {args.pair_fraction:g} × N rated once; "
        f"time: median of {args.repeats}, peak: the largest\n"
    )
    print(
        "| items | method | setup s (not counted) | time s | RSS before MiB | peak RSS MiB | RSS growth MiB "
        "| rows written (default / all configs) | output MiB | time ratio baseline / ours "
        "| growth ratio baseline / ours |"
    )
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        base = row["results"].get("baseline")
        for method in args.methods:
            r = row["results"].get(method)
            head = f"| {row['size']:,} | {LABELS[method]} | {row['setup_s']:.0f}"
            if r is None:
                print(f"{head} | not run (> --baseline-max-items) | – | – | – | – | – | – | – |")
                continue
            if "error" in r:
                print(f"{head} | {r['error']} | – | – | – | – | – | – | – |")
                continue
            ratio_t = ratio_g = "–"
            if method != "baseline" and base is not None and "error" not in base:
                ratio_t = f"{base['seconds'] / r['seconds']:.2f}×"
                ratio_g = f"{base['growth_kib'] / max(1, r['growth_kib']):.1f}×"
            print(
                f"{head} | {r['seconds']:.1f} | {_mib(r['rss_before_kib']):.0f} | {_mib(r['peak_kib']):.0f} "
                f"| {_mib(r['growth_kib']):.0f} | {r['rows_default']:,} / {r['rows_all']:,} "
                f"| {r['output_bytes'] / 2**20:.1f} | {ratio_t} | {ratio_g} |"
            )
    print("\nRatios are baseline / that row: below 1 the baseline was faster (or grew less).\n")
    for row in rows:
        for method in args.methods:
            r = row["results"].get(method)
            if method == "baseline" or not r or "error" in r:
                continue
            counts = ", ".join(f"{k} {v:,}" for k, v in r["row_counts"].items())
            how = "datasets.load_dataset" if method == "ours" else "parquet metadata"
            verdict = "OK" if r["loaded_rows"] == row["size"] else "WRONG"
            print(
                f"{row['size']:,} items, {LABELS[method]}: {counts}; read back ({how}): "
                f"{r['loaded_rows']:,} rows in the default config ({verdict})"
            )


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="items per project")
    parser.add_argument("--repeats", type=int, default=1, help="runs per method and size (median time)")
    parser.add_argument("--pair-fraction", type=float, default=0.1, help="rated pair tasks per item")
    parser.add_argument("--baseline-max-items", type=int, default=10**9, help="no baseline above this size")
    parser.add_argument("--run-timeout", type=float, default=600.0, help="seconds at most per run")
    parser.add_argument("--max-rss-mib", type=int, default=12_288, help="a run above this RSS is stopped")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--profile", action="store_true", help="also cProfile both of ours at the smallest size")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--server", default=os.environ.get("BENCH_PG_SERVER", DEFAULT_SERVER))
    parser.add_argument("--database", default=DB_NAME, help="the database made (again) for the run")
    parser.add_argument("--smoke", action="store_true", help="the smallest run: " + json.dumps(SMOKE))
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--one", nargs=2, metavar=("METHOD", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--project-id", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.smoke:
        vars(args).update(SMOKE)
    if args.one:
        one(args)
        return []

    tmp = Path(tempfile.mkdtemp(prefix="vr-bench-export-"))
    rows: list[dict] = []
    try:
        _environment(args.server, args.database, tmp)
        _setup_django()
        setup = prepare_database(args.server, args.database)
        projects = {}
        for size in args.sizes:
            started = time.perf_counter()
            projects[size] = build_project(size, args.pair_fraction, args.seed)
            setup_s = time.perf_counter() - started
            print(f"{size:,} items + {projects[size][1]:,} rated pairs written in {setup_s:.1f} s", flush=True)
            rows.append({"size": size, "project": projects[size][0], "setup_s": setup_s})
        from django.db import connection

        connection.close()
        for row in rows:
            size = row["size"]
            runs: dict[str, list] = {m: [] for m in args.methods}
            for _ in range(args.repeats):
                for method in args.methods:
                    if method == "baseline" and size > args.baseline_max_items:
                        continue
                    result = measure(method, size, row["project"], args)
                    runs[method].append(result)
                    shown = result.get("error") or f"{result['seconds']:.1f} s, peak {_mib(result['peak_kib']):.0f} MiB"
                    print(f"  {size:,} {method}: {shown}", flush=True)
            row["results"] = {m: summarize(r) if r else None for m, r in runs.items()}
        print_table(rows, args, setup)
        if args.profile:
            smallest = min(rows, key=lambda r: r["size"])
            for method in ("ours-default", "ours"):
                result = measure(method, smallest["size"], smallest["project"], args, profile=True)
                print(f"\ncProfile of {LABELS[method]} at {smallest['size']:,} items (not a timing run):\n")
                print(result.get("profile") or result.get("error"))
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps({"rows": rows, "args": {k: str(v) for k, v in vars(args).items()}}))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


if __name__ == "__main__":
    main()
