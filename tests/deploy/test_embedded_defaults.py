"""`make run`'s path on the embedded defaults: every migration applies on SQLite (the suite
itself runs on PostgreSQL) and the demo loads there: scored with the published weights,
pre-filled, paired and refitted."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_migrate_and_load_demo_on_sqlite(tmp_path):
    # `make run` sets DJANGO_DEBUG=1 and nothing else: no secret key, no host names
    unset = ("DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS")
    env = {k: v for k, v in os.environ.items() if k not in unset and not k.startswith("DJANGO_")}
    env.update(VR_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings", DJANGO_DEBUG="1")
    for command in (["migrate", "--noinput"], ["load_demo"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, (
            f"manage.py {' '.join(command)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
        )
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        assets = db.execute("SELECT count(*) FROM annotator_asset WHERE status = 'ready'").fetchone()[0]
        active = db.execute("SELECT count(*) FROM worker_weightset WHERE status = 'active'").fetchone()[0]
        pairs = db.execute("SELECT count(*) FROM annotator_task WHERE kind = 'pair'").fetchone()[0]
        predicted = db.execute("SELECT count(DISTINCT asset_id) FROM annotator_prediction").fetchone()[0]
        fitted = db.execute("SELECT count(*) FROM worker_weightset WHERE source = 'fitted'").fetchone()[0]
        pair_gold = db.execute("SELECT count(*) FROM annotator_goldcheck WHERE preference IS NOT NULL").fetchone()[0]
        versions = db.execute("SELECT name, state, export_settings FROM datasets_app_datasetversion").fetchall()
    # two projects of 8 assets (the samples and their labelled derivatives), each with pairs, every
    # asset pre-filled by the demo's tiny model, the published weights active and a refit's candidate
    assert (assets, active, predicted, fitted) == (16, 2, 16, 2)
    assert pairs >= 2
    # the image demo's pair gold check, and its dominance-pair version exported on SQLite
    assert pair_gold == 1
    assert [(name, state) for name, state, _ in versions] == [("demo-mpo-image", "ready")]
    assert '"dominance_pairs"' in versions[0][2]
