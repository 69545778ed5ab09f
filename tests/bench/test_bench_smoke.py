"""Every benchmark in ``bench/`` still runs: each script at its smoke size (``--smoke``), in a
subprocess of its own, on the test PostgreSQL (a database named after this run's test database,
made by the script the way a person running it gets one, dropped afterwards). What is asserted is
what a person running the benchmark relies on: it ends with status 0 and its table (and JSON)
has the columns the README quotes, with numbers in them; never a timing. So a schema or API
change that breaks a benchmark fails here instead of when someone next measures.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.deploy.nginx import NGINX
from tests.guarantees.processes import database_url

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_S = 300  # per script; the smoke runs take seconds to half a minute on a 2-core machine

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


# --- running a script ---------------------------------------------------------------------------


def run_script(argv: list[str], env: dict, cwd: Path = REPO) -> str:
    """Run a benchmark to its end in its own process group (its pool of workers, its children
    too are killed on a timeout); its output (stdout and stderr) when it exits 0, else a failure
    that shows that output."""
    proc = subprocess.Popen(
        [sys.executable, *argv],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        pytest.fail(f"{' '.join(argv)} ran over {TIMEOUT_S} s:\n{output[-6000:]}", pytrace=False)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(argv)} exited {proc.returncode}:\n{output[-6000:]}", pytrace=False)
    return output


def drop_database(server: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def bench(tmp_path):
    """How a benchmark is started here: the environment (this run's settings, folders in
    ``tmp_path``), the PostgreSQL server, and a database name of its own per script (after the
    test database, so parallel runs and workers never share one), dropped at the end."""
    settings_dict = connection.settings_dict
    if not settings_dict["ENGINE"].endswith("postgresql"):
        pytest.fail("the benchmarks need PostgreSQL: run the suite with DATABASE_URL=postgres://...", pytrace=False)
    server = database_url(settings_dict).rsplit("/", 1)[0]
    made: list[str] = []

    class Bench:
        env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_NAME"} | {
            "PYTHONUNBUFFERED": "1",
            "VR_VAR_DIR": str(tmp_path / "var"),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "VR_DATASETS_ROOT": str(tmp_path / "datasets"),
            "HF_HOME": str(tmp_path / "hf"),
            "HF_HUB_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1",
            "E2E_ARTIFACTS": str(tmp_path / "artifacts"),
        }

        @staticmethod
        def database(script: str) -> str:
            name = f"{settings_dict['NAME']}_{script}"[:63]
            made.append(name)
            return name

    Bench.server = server
    Bench.tmp = tmp_path
    yield Bench
    for name in made:
        drop_database(server, name)


# --- reading what it printed ----------------------------------------------------------------------

NUMBER = re.compile(r"^-?[\d,]*\.?\d+(?:e[-+]?\d+)?\s*(?:×|x|%)?$")


def number(cell: str) -> float:
    """A table cell as a number: "1,000", "59.37", "1.02×", "12x", "74 %", "3.5e-14"."""
    text = cell.strip()
    assert NUMBER.match(text), f"not a number: {cell!r}"
    return float(text.rstrip("×x%").strip().replace(",", ""))


def tables(output: str) -> list[tuple[list[str], list[list[str]]]]:
    """The Markdown tables in a script's output: (header cells, rows of cells) each."""
    found, lines = [], output.splitlines()
    for i, line in enumerate(lines[:-1]):
        if line.startswith("| ") and re.fullmatch(r"\|(\s*-+:?\s*\|)+", lines[i + 1].strip()):
            header = [c.strip() for c in line.strip().strip("|").split("|")]
            rows = []
            for row in lines[i + 2 :]:
                if not row.startswith("|"):
                    break
                cells = [c.strip() for c in row.strip().strip("|").split("|")]
                assert len(cells) == len(header), f"a row of {len(cells)} cells under {len(header)} columns: {row}"
                rows.append(cells)
            found.append((header, rows))
    return found


# --- one test per script --------------------------------------------------------------------------


def test_claim_submit_smoke(bench):
    """bench/claim_submit.py on the current schema: two small projects loaded with COPY (every
    column of the models), two annotator processes claiming and submitting; every claim got a
    task, none twice."""
    out = bench.tmp / "claim_submit.json"
    database = bench.database("claim")
    text = run_script(
        ["bench/claim_submit.py", "--smoke", "--server", bench.server, "--database", database, "--out", str(out)],
        bench.env,
    )
    [(header, rows)] = tables(text)
    assert header == [
        "tasks",
        "annotators",
        "cycles",
        "claim p50 / p95 (ms)",
        "submit p50 / p95 (ms)",
        "cycles/s",
        "duplicate claims",
        "claim p50 vs smallest",
    ]
    assert [number(r[0]) for r in rows] == [100, 1000]
    for row in rows:
        for cell in row[3:5]:
            p50, p95 = (number(c) for c in cell.split(" / "))
            assert 0 < p50 <= p95
        assert number(row[5]) > 0 and number(row[7]) > 0
    figures = json.loads(out.read_text())
    assert [r["tasks"] for r in figures] == [100, 1000]
    for r in figures:
        assert r["cycles"] == 2 * 5, "every claim of the 2 annotators × 5 cycles got a task"
        assert r["duplicate_claims"] == 0
        for key in ("claim_p50_ms", "claim_p95_ms", "submit_p50_ms", "submit_p95_ms", "throughput_per_s"):
            assert isinstance(r[key], float) and r[key] > 0, (key, r)


def test_export_speed_smoke(bench):
    """bench/export_speed.py: 40 annotated items; the naive baseline, our default config and the
    real export job each run in a process of their own, and ours reads back with every row."""
    out = bench.tmp / "export_speed.json"
    database = bench.database("export")
    text = run_script(
        ["bench/export_speed.py", "--smoke", "--server", bench.server, "--database", database, "--json", str(out)],
        bench.env,
    )
    [(header, rows)] = tables(text)
    assert header[:4] == ["items", "method", "setup s (not counted)", "time s"]
    assert "rows written (default / all configs)" in header and header[-1] == "growth ratio baseline / ours"
    assert [r[1] for r in rows] == ["baseline (naive)", "ours, default config only", "ours (export job)"]
    for row in rows:
        for cell in row[2:7] + [row[8]]:
            number(cell)
        written, in_all = (number(c) for c in row[7].split(" / "))
        assert written == 40 and in_all >= 40
    assert text.count("rows in the default config (OK)") == 2
    [row] = json.loads(out.read_text())["rows"]
    for method, result in row["results"].items():
        assert "error" not in result, (method, result)
        assert result["rows_default"] == 40 and result["loaded_rows"] == 40
        assert result["seconds"] > 0 and result["peak_kib"] > 0


def test_fit_speed_smoke(bench):
    """bench/fit_speed.py: our solver on two sizes, the SGD baseline on the smaller one only."""
    out = bench.tmp / "fit_speed.json"
    text = run_script(["bench/fit_speed.py", "--smoke", "--json", str(out)], bench.env)
    [(header, rows)] = tables(text)
    assert header[:6] == ["pairs", "input MiB", "ours s", "ours iters", "ours peak MiB", "ours acc %"]
    assert header[-1] == "time ratio SGD / ours" and len(header) == 14
    assert [number(r[0]) for r in rows] == [1000, 3000]
    for cell in rows[0][1:]:
        number(cell)
    assert rows[1][6] == "not run (> --baseline-max-pairs)"
    figures = json.loads(out.read_text())
    small, large = figures["rows"]
    assert small["baseline"]["one_epoch"]["epochs"] == 1 and large["baseline"] is None
    for row in (small, large):
        assert row["ours_s"] > 0 and 0.5 < row["ours_accuracy"] <= 1 and row["ours_kkt"] < 1e-6


def test_prefill_speed_smoke(bench):
    """bench/prefill_speed.py on the test suite's tiny LLaVA (CPU): every method (a)-(f) runs
    and the cached paths give the same P(yes) as the full forward."""
    out = bench.tmp / "prefill_speed.json"
    text = run_script(["bench/prefill_speed.py", "--smoke", "--json", str(out)], bench.env)
    [(header, rows)] = tables(text)
    assert header == [
        "method",
        "wall s / asset",
        "model s / asset",
        "questions / s",
        "vs (a)",
        "vs (b)",
        "% of limit",
        "model vs (b)",
        "model % of limit",
    ]
    methods = [r[0][:3] for r in rows]
    assert {"(a)", "(b)", "(c)", "(d)", "(f)"} <= set(methods) <= {"(a)", "(b)", "(c)", "(d)", "(e)", "(f)"}
    for row in rows:
        assert number(row[1]) > 0 and number(row[3]) > 0
        if row[0][:3] not in ("(a)", "(b)"):
            for cell in row[5:]:
                number(cell)
    figures = json.loads(out.read_text())
    assert figures["N"] == 59 and figures["p"] > 0 and figures["limit"] > 1
    assert set(figures["seconds"]) == {m[1] for m in methods}
    assert figures["max_abs_diff_b_c"] < 1e-4 and figures["max_abs_diff_c_d"] < 1e-4


def test_annotate_keys_smoke(bench):
    """bench/annotate_keys.py (a pytest file: live server, Chromium, the sample images) with
    ``--smoke``, 2 tasks per row, on a test database of its own."""
    env = bench.env | {"TEST_DATABASE_NAME": bench.database("annotate")}
    text = run_script(["-m", "pytest", "bench/annotate_keys.py", "-q", "-s", "--smoke", "-p", "no:cacheprovider"], env)
    assert re.search(r"^1 passed", text, re.M), text[-3000:]
    (input_header, inputs), (next_header, nexts) = tables(text)
    assert input_header == [
        "input",
        "actions per task",
        "time shown → submit (ms, p50)",
        "actions vs mouse",
        "time vs mouse",
    ]
    assert [r[0] for r in inputs] == ["mouse (baseline)", "keyboard", "keyboard + correct pre-fill"]
    for row in inputs:
        assert number(row[1]) > 0 and number(row[2]) > 0 and number(row[3]) > 0 and number(row[4]) > 0
    mouse, keyboard, prefill = (number(r[1]) for r in inputs)
    assert mouse == keyboard > prefill == 2, "one action per sub-dimension and Submit; `a`, Enter with a pre-fill"
    assert next_header == ["next task", "submit → next task visible (ms, p50)", "vs fetched after submit"]
    assert [r[0] for r in nexts] == ["fetched after submit (baseline)", "fetched ahead (default)"]
    for row in nexts:
        assert number(row[1]) > 0 and number(row[2]) > 0


@pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed (.ci/run installs it)")
def test_video_serving_smoke(bench):
    """bench/video_serving.py: 3 viewers seeking in the two processed demo videos for a second,
    against gunicorn streaming the bytes, then against nginx on the app's X-Accel-Redirect
    (deploy/nginx.conf), then against a real S3 server (moto) on the app's presigned redirect,
    on the loopback and on a 50 Mbit/s link; every request got its range, and each server's CPU
    was measured."""
    out = bench.tmp / "video_serving.json"
    database = bench.database("serving")
    text = run_script(
        ["bench/video_serving.py", "--smoke", "--server", bench.server, "--database", database, "--json", str(out)],
        bench.env,
    )
    [(header, rows)] = tables(text)
    assert header == [
        "mode",
        "viewer link",
        "viewers",
        "requests",
        "failed / timed out",
        "MiB/s",
        "latency p50 / p95 (ms)",
        "web CPU s",
        "file server CPU s",
        "client CPU s",
        "web CPU ms / request",
        "web CPU ms / MiB",
        "MiB/s vs app",
        "web CPU per MiB vs app",
    ]
    app, accel, presigned = (
        "app streams (gunicorn, baseline)",
        "nginx, X-Accel-Redirect",
        "S3 (moto), presigned redirect",
    )
    assert [(r[0], r[1]) for r in rows] == [
        (app, "loopback"),
        (accel, "loopback"),
        (presigned, "loopback"),
        (app, "50 Mbit/s"),
        (accel, "50 Mbit/s"),
        (presigned, "50 Mbit/s"),
    ]
    for row in rows:
        assert number(row[2]) == 3 and number(row[3]) > 0
        assert [number(c) for c in row[4].split(" / ")] == [0, 0], "no request failed or timed out"
        p50, p95 = (number(c) for c in row[6].split(" / "))
        assert 0 < p50 <= p95
        for cell in row[7:8] + row[9:]:
            number(cell)
        assert (row[8] == "") == (row[0] == app), "a file server's CPU only where one runs"
    figures = json.loads(out.read_text())
    assert len(figures["load_average_before"]) == 3 and len(figures["videos_bytes"]) == 2
    for row in figures["rows"]:
        assert row["requests"] > 0 and row["failed"] == row["timed_out"] == 0
        assert row["bytes"] > 0 and row["mib_per_s"] > 0 and row["web_cpu_s"] > 0
        assert (row["nginx_cpu_s"] is None) == (row["mode"] != "accel")
        assert (row["s3_server_cpu_s"] is None) == (row["mode"] != "presigned")
        assert row["mode"] != "app" or row["mib_per_s_vs_app"] == 1.0
