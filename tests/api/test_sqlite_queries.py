"""The queries the review and statistics screens run have a SQLite form, for `make run`'s
embedded database (the suite itself runs on PostgreSQL): checked here on an in-memory SQLite."""

from __future__ import annotations

import json
import sqlite3
from types import SimpleNamespace

from annotator.services import review, stats


def test_the_disagreement_count_runs_on_sqlite_and_counts_as_on_postgresql(monkeypatch):
    monkeypatch.setattr(review, "connection", SimpleNamespace(vendor="sqlite"))
    db = sqlite3.connect(":memory:")
    db.execute('CREATE TABLE "annotator_task" (id INTEGER PRIMARY KEY)')
    db.execute(
        'CREATE TABLE "annotator_annotation" (id INTEGER PRIMARY KEY, task_id INT, options TEXT, preference INT)'
    )
    rows = [
        (1, {"symmetry": 1, "clarity": 2}, None),  # task 1: clarity differs, richness missing once
        (1, {"symmetry": 1, "clarity": 0, "richness": 1}, None),
        (2, {"symmetry": 1}, None),  # task 2: the same answers
        (2, {"symmetry": 1}, None),
        (3, {}, 2),  # task 3: a pair whose preferences differ
        (3, {}, 4),
        (4, None, 3),  # task 4: no options at all
    ]
    for task in (1, 2, 3, 4):
        db.execute('INSERT INTO "annotator_task" VALUES (?)', (task,))
    for task, options, preference in rows:
        db.execute(
            'INSERT INTO "annotator_annotation" (task_id, options, preference) VALUES (?, ?, ?)',
            (task, None if options is None else json.dumps(options), preference),
        )
    sql = f'SELECT id, {review._disagreement_count_sql()} FROM "annotator_task" ORDER BY id'
    assert db.execute(sql).fetchall() == [(1, 2), (2, 0), (3, 1), (4, 0)]


def test_the_median_aggregate_of_sqlite_is_the_continuous_median():
    db = sqlite3.connect(":memory:")
    db.create_aggregate("vr_median", 1, stats.SqliteMedian)
    db.execute("CREATE TABLE t (g INT, v INT)")
    db.executemany("INSERT INTO t VALUES (?, ?)", [(1, 10), (1, 30), (1, 20), (2, 5), (2, 8), (3, None)])
    assert db.execute("SELECT g, vr_median(v) FROM t GROUP BY g ORDER BY g").fetchall() == [
        (1, 20),
        (2, 6.5),
        (3, None),
    ]


def test_the_newest_prediction_per_asset_without_distinct_on():
    rows = [(1, "new"), (1, "old"), (2, "only"), (5, "new"), (5, "older"), (5, "oldest")]
    assert list(stats._newest_per_asset(iter(rows))) == [(1, "new"), (2, "only"), (5, "new")]
