"""What an export reads: a dataset version's items and rated pairs from the database, and where
their media is.

Two readers of the items, the same batches (``tests/worker/test_export_reader.py`` holds them
to it):

* On PostgreSQL in a job (autocommit), :func:`iter_item_batches` reads every item in **one
  stream**: one query per chunk of 10,000 assets (the assets, their annotations and their gold
  answers in one ``UNION ALL`` ordered by asset, kind of row and key), read by the ADBC
  PostgreSQL driver (``adbc_driver_postgresql``: PostgreSQL's binary COPY of the query decoded
  into Arrow record batches in C++, no Python object per value and the GIL released) on a
  connection of its own in one read-only ``REPEATABLE READ`` transaction, by a helper thread
  that also cuts the rows into batches at asset boundaries while the caller works on the batch
  before. See :func:`_copied_batches`.
* Anywhere else (inside a transaction, as the tests run, where another connection would not
  see what the transaction wrote; SQLite, the embedded set-up): three ordered server-side
  cursors on the default connection, merged in one pass (:func:`_cursor_batches`).

Both hand over :class:`~datasets_app.export.columnar.ItemBatch` values: answer vectors packed
(``annotator.packed``; the JSON text only for a vector without a packed form of the checklist's
length), options as their stored text.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from annotator import storage
from annotator.models import Annotation, Asset, GoldAnswer, Task
from annotator.storage.reading import open_reader
from datasets_app.models import DatasetVersion

ANSWER_STATES = ("submitted", "reviewed")
BATCH = 500


def media_root() -> Path | None:
    """The media storage's folder on this host (sources are then absolute paths, read directly),
    or None on an object store (sources are storage names, read by :func:`media_opener`)."""
    media = storage.media_storage()
    return Path(media.location) if storage.is_local(media) else None


def media_opener():
    """How the export reads a media source: None (a path on this host) on a filesystem storage,
    else a stream from the media storage."""
    if media_root() is not None:
        return None
    media = storage.media_storage()
    return lambda name: open_reader(media, name)


def _source(root: Path | None, rel: str) -> str:
    """An asset's stored file as an export's media source: its path under ``root``, else its name."""
    return str(root / rel) if root is not None else rel


def _media(asset_files: dict, name: str, root: Path | None) -> str:
    rel = (asset_files or {}).get(name)
    return _source(root, rel) if rel else ""


def _rows(queryset, batch: int, connection=None) -> Iterator[tuple]:
    """The rows of a ``values_list`` queryset, raw (JSON columns as text, no per-value ORM
    converters), fetched ``batch`` at a time from a server-side cursor on ``connection`` (a
    Django connection; the default one unless given)."""
    if connection is None:
        from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        yield from _prefetched(cursor.cursor, batch)


def _prefetched(cursor, batch: int) -> Iterator[tuple]:
    """``cursor.fetchmany(batch)`` rows, the next batch fetched by a helper thread while this
    one is used, so PostgreSQL produces rows while Python writes them (the wait on the socket
    releases the GIL). The thread only touches this psycopg cursor (same connection, same
    transaction: psycopg serialises the connection's use) and is stopped and joined before the
    cursor closes."""
    import queue
    import threading

    chunks: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def fetch() -> None:
        try:
            while not stop.is_set():
                rows = cursor.fetchmany(batch)
                while not stop.is_set():
                    try:
                        chunks.put(rows, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if not rows:
                    return
        except BaseException as exc:  # handed to the reading side
            chunks.put(exc)

    thread = threading.Thread(target=fetch, name="export-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            rows = chunks.get()
            if isinstance(rows, BaseException):
                raise rows
            if not rows:
                return
            yield from rows
    finally:
        stop.set()
        while thread.is_alive():
            try:
                chunks.get(timeout=0.1)
            except queue.Empty:
                pass
        thread.join()


def _json(value):
    """A JSON column read raw: text (psycopg 3 under Django) or already decoded."""
    return json.loads(value) if isinstance(value, str | bytes) else value


EXPORT_WORK_MEM = "128MB"


def _streams() -> bool:
    """Whether the items come by the COPY stream: on PostgreSQL in autocommit (a job), where
    the stream's own connection and transaction leave the job's connection free for its
    progress. Inside a transaction (tests) the stream would not see what the transaction wrote."""
    from django.db import connection

    return connection.vendor == "postgresql" and connection.get_autocommit() and not connection.in_atomic_block


@contextlib.contextmanager
def _reading_connection():
    """The connection the cursors run on: the default one as it is (inside a transaction, or
    on SQLite), on PostgreSQL with ``work_mem`` at :data:`EXPORT_WORK_MEM` for the reader's time
    (the annotations of 100k items spill to disk at the default 4 MB)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield connection
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('work_mem', %s, false)", [EXPORT_WORK_MEM])
    try:
        yield connection
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET work_mem")


_VECTOR_COLUMNS = ("answers_p", "answers_j", "mask_p", "mask_j")


def _with_vectors(queryset, n: int):
    """Per answer vector (``answers``, ``mask``) two columns: ``<vector>_p``, the vector packed
    (``annotator.packed``: bytes, one per question) where it has a packed form of the checklist
    version's ``n`` questions, and ``<vector>_j``, the JSON column for every other row only (so
    PostgreSQL prints JSON for those rows alone)."""
    from django.db.models import BinaryField, Case, F, JSONField, Q, When
    from django.db.models.functions import Length

    out = queryset
    for column in ("answers", "mask"):
        packed = f"{column}_packed"
        out = out.annotate(**{f"{column}_n": Length(packed)})
        fits = Q(**{f"{packed}__isnull": False, f"{column}_n": n})
        out = out.annotate(
            **{
                f"{column}_p": Case(When(fits, then=F(packed)), default=None, output_field=BinaryField()),
                f"{column}_j": Case(When(fits, then=None), default=F(column), output_field=JSONField()),
            }
        )
    return out


def _vectors(packed, json_text):
    """One vector per row: the packed bytes, else the JSON text (lists); from Arrow arrays, the
    packed ones as they are (binary) when every row has its packed form."""
    if isinstance(packed, pa.Array):
        if json_text.null_count == len(json_text):
            return pc.cast(packed, pa.binary())
        packed, json_text = pc.cast(packed, pa.binary()).to_pylist(), json_text.to_pylist()
    return [j if p is None else p for p, j in zip(packed, json_text, strict=True)]


def iter_items(version: DatasetVersion, *, batch: int = BATCH) -> Iterator:
    """The version's items in asset order (see :func:`iter_item_batches`), one by one."""
    for item_batch in iter_item_batches(version, batch=batch):
        yield from item_batch.items()


def iter_item_batches(version: DatasetVersion, *, batch: int = 5000) -> Iterator:
    """The version's items in asset order, ``batch`` assets at a time, as column-wise
    :class:`~datasets_app.export.columnar.ItemBatch` values: every ready asset of its projects
    with its annotations (the chosen states) and gold answer; by the COPY stream in a job on
    PostgreSQL, else by three cursors (see the module docstring)."""
    if _streams():
        yield from _copied_batches(version, batch)
        return
    with _reading_connection() as reading:
        yield from _cursor_batches(version, batch, reading)


def _sources(version: DatasetVersion):
    """The three querysets both readers read, unordered: assets (id, project id, prompt, kind,
    media name, sha256, metadata, frames), annotations (asset id, id, annotator, options text,
    answers packed / JSON, mask packed / JSON, state, late) and gold answers (asset id, task id,
    reviewer, options text, answers packed / JSON, mask packed / JSON)."""
    from django.db.models.expressions import RawSQL

    checklist = version.checklist_version.checklist
    states = version.export_settings.get("states", list(ANSWER_STATES))
    projects = version.projects.all()
    asset_table = Asset._meta.db_table
    assets = (
        Asset.objects.filter(project__in=projects, status=Asset.Status.READY)
        .order_by()
        .annotate(
            media_rel=RawSQL(
                f"COALESCE(NULLIF({asset_table}.files ->> 'display', ''), "
                f"NULLIF({asset_table}.files ->> 'original', ''))",
                (),
            ),
            frames_json=RawSQL(f"CASE WHEN {asset_table}.kind = 'video' THEN {asset_table}.files -> 'frames' END", ()),
        )
        .values_list("id", "project_id", "prompt", "kind", "media_rel", "sha256", "metadata", "frames_json")
    )
    single = {
        "task__asset__project__in": projects,
        "task__asset__status": Asset.Status.READY,
        "task__kind": Task.Kind.SINGLE,
        "checklist_version": version.checklist_version,
    }
    n = len(checklist.questions)
    annotations = (
        _with_vectors(Annotation.objects.filter(state__in=states, **single), n)
        .order_by()
        .values_list("task__asset_id", "id", "user__username", "options_text", *_VECTOR_COLUMNS, "state", "late")
    )
    golds = (
        _with_vectors(GoldAnswer.objects.filter(**single), n)
        .order_by()
        .values_list("task__asset_id", "task_id", "reviewed_by__username", "options_text", *_VECTOR_COLUMNS)
    )
    return assets, annotations, golds


def _cursor_batches(version: DatasetVersion, batch: int, reading) -> Iterator:
    """``iter_item_batches`` by three ordered streams, each one query on a server-side cursor
    read in batches (assets by id; annotations by asset id then id; gold answers by asset id
    then task id), merged in one pass: three queries for the whole export (plus the scores' per
    batch with a weight set)."""
    assets, annotations, golds = _sources(version)
    annotation_rows = _rows(annotations.order_by("task__asset_id", "id"), batch, reading)
    gold_rows = _rows(golds.order_by("task__asset_id", "task_id"), batch, reading)
    asset_rows = _rows(assets.order_by("id"), batch, reading)
    assemble = _Assembler(version)
    try:
        next_annotation = next(annotation_rows, None)
        next_gold = next(gold_rows, None)
        while True:
            chunk = [row for _, row in zip(range(batch), asset_rows, strict=False)]
            if not chunk:
                return
            columns = [list(c) for c in zip(*chunk, strict=True)]
            index = {asset_id: i for i, asset_id in enumerate(columns[0])}
            last = columns[0][-1]
            own: list = []
            while next_annotation is not None and next_annotation[0] <= last:
                if next_annotation[0] in index:
                    own.append(next_annotation)
                next_annotation = next(annotation_rows, None)
            gold: list = []
            while next_gold is not None and next_gold[0] <= last:
                if next_gold[0] in index:
                    gold.append(next_gold)
                next_gold = next(gold_rows, None)
            a = [list(c) for c in zip(*own, strict=True)] if own else [[] for _ in range(10)]
            g = [list(c) for c in zip(*gold, strict=True)] if gold else [[] for _ in range(8)]
            yield assemble(columns, [index[x] for x in a[0]], a[1:], [index[x] for x in g[0]], g[2:])
    finally:  # cursors (and their prefetching threads) before the connection
        for stream in (asset_rows, gold_rows, annotation_rows):
            stream.close()


class _Assembler:
    """One reader's batches as :class:`ItemBatch` values, from its columns (lists): the media
    names turned into sources (remembered), options checked, scores computed."""

    def __init__(self, version: DatasetVersion) -> None:
        from datasets_app.export.columnar import options_checker

        self.version = version
        self.options_ok = options_checker(version.checklist_version.checklist)
        self.root = media_root()
        self.paths: dict = {}

    def __call__(self, assets: list, annotation_item: list, a: list, gold_item: list, g: list, scores: bool = True):
        """``assets``: the 8 asset columns; ``a``: the annotation columns after the asset id (id,
        annotator, options, answers packed / JSON, mask packed / JSON, state, late); ``g``: the
        gold columns after the asset id and task id (reviewer, options, vectors). ``scores``:
        with the scores (a weight set's; they query the database), else without
        (:meth:`scores_of` adds them)."""
        from datasets_app.export.columnar import ItemBatch, as_list

        ids, project_ids, prompts, kinds, media, shas, metadata, frames = assets
        if isinstance(media, pa.Array):  # each distinct name once
            media = pc.fill_null(media, "").dictionary_encode()
            distinct = pa.array([self._path(rel) for rel in media.dictionary.to_pylist()], pa.string())
            media_paths = pa.DictionaryArray.from_arrays(media.indices, distinct)
        else:
            media_paths = [self._path(rel) for rel in media]
        frame_paths = None
        if "video" in as_list(pc.unique(kinds) if isinstance(kinds, pa.Array) else kinds):
            kinds, frames = as_list(kinds), as_list(frames)
            frame_paths = [
                tuple(_source(self.root, f["file"]) for f in (_json(fs) or []) if f.get("file"))
                if kind == "video"
                else ()
                for kind, fs in zip(kinds, frames, strict=True)
            ]
        version = self.version
        return ItemBatch(
            asset_id=ids,
            project_id=project_ids,
            prompt=prompts,
            media_type=kinds,
            media_path=media_paths,
            media_sha256=shas,
            metadata=metadata,
            annotation_item=annotation_item,
            annotation_id=a[0],
            annotator=a[1],
            options=a[2],
            answers=_vectors(a[3], a[4]),
            mask=_vectors(a[5], a[6]),
            state=a[7],
            late=a[8],
            options_checked=self.options_ok.all(a[2]),
            gold_item=gold_item,
            gold_annotator=g[0],
            gold_options=g[1],
            gold_answers=_vectors(g[2], g[3]),
            gold_mask=_vectors(g[4], g[5]),
            gold_options_checked=self.options_ok.all(g[1]),
            frame_paths=frame_paths,
            scores=self._scores(as_list(ids), as_list(metadata)) if scores and version.weights else None,
        )

    def scores_of(self, batch) -> dict:
        """The batch's scores under the version's weight set."""
        from datasets_app.export.columnar import as_list

        return self._scores(as_list(batch.asset_id), as_list(batch.metadata))

    def _scores(self, ids: list, metadata: list) -> dict:
        return _scores(self.version, ids, {i: _json(m) or {} for i, m in zip(ids, metadata, strict=True)})

    def _path(self, rel: str | None) -> str:
        path = self.paths.get(rel)
        if path is None:
            if len(self.paths) > 10000:
                self.paths.clear()
            path = self.paths[rel] = _source(self.root, rel) if rel else ""
        return path


# The COPY stream's columns: asset id, what the row is (0 asset, 1 annotation, 2 gold answer), its
# key within the asset (project id / annotation id / task id), then per kind of row:
#   asset:       prompt, kind, media name, sha256, metadata, frames, -, -
#   annotation:  annotator, options, answers packed, answers JSON, mask packed, mask JSON, state, late
#   gold answer: reviewer, options, answers packed, answers JSON, mask packed, mask JSON, -, -
_STREAM = ("asset", "row", "key", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "late")
ASSET_ROW, ANNOTATION_ROW, GOLD_ROW = 0, 1, 2
COPY_BLOCK_BYTES = 4 << 20
COPY_CHUNK_ASSETS = 10_000


def _stream_sql(version: DatasetVersion, after: int, limit: int) -> tuple[str, list]:
    """One chunk of the COPY reader's stream (the columns of :data:`_STREAM`) and its
    parameters: the next ``limit`` assets after asset id ``after``, with the annotations and gold
    answers of the assets up to the last of them (a bound PostgreSQL computes once, so the
    planner walks the task index for the range instead of joining whole tables): the three
    queries of :func:`_sources`, each as a derived table with its columns numbered, in one
    ``UNION ALL`` ordered by asset, kind of row and key."""
    from django.db.models.expressions import RawSQL

    assets, annotations, golds = _sources(version)
    chunk = assets.filter(id__gt=after).order_by("id")
    ids_sql, ids_params = chunk.values_list("id")[:limit].query.sql_with_params()
    last = RawSQL(f"SELECT max(c1) FROM ({ids_sql}) AS last(c1)", ids_params)

    def derived(queryset, width: int) -> tuple[str, list]:
        sql, params = queryset.query.sql_with_params()
        return f"({sql}) AS x({', '.join(f'c{k}' for k in range(1, width + 1))})", list(params)

    a_sql, a_params = derived(chunk[:limit], 8)
    n_sql, n_params = derived(annotations.filter(task__asset_id__gt=after, task__asset_id__lte=last), 10)
    g_sql, g_params = derived(golds.filter(task__asset_id__gt=after, task__asset_id__lte=last), 8)
    packed = "encode({}, 'escape')"
    sql = (
        f"SELECT c1, {ASSET_ROW}, c2, c3, c4, c5, c6, c7::text, c8::text, NULL::text, NULL::boolean FROM {a_sql}"
        f" UNION ALL SELECT c1, {ANNOTATION_ROW}, c2, c3, c4, {packed.format('c5')}, c6::text,"
        f" {packed.format('c7')}, c8::text, c9, c10 FROM {n_sql}"
        f" UNION ALL SELECT c1, {GOLD_ROW}, c2, c3, c4, {packed.format('c5')}, c6::text,"
        f" {packed.format('c7')}, c8::text, NULL::text, NULL::boolean FROM {g_sql}"
        " ORDER BY 1, 2, 3"
    )
    return sql, a_params + n_params + g_params


class _Stopped(Exception):
    """The caller left the stream: the helper thread ends its query."""


def _last_asset(block, last: int | None) -> int | None:
    """The largest asset id among a block's asset rows (``last`` if it has none)."""
    ids = block.column("asset").to_numpy()[block.column("row").to_numpy() == ASSET_ROW]
    return int(ids.max()) if ids.size else last


def _conninfo() -> str:
    """The default database's libpq connection string (its own connection's parameters and
    password), for the stream's connection."""
    from django.db import connection
    from psycopg.conninfo import make_conninfo

    connection.ensure_connection()
    info = connection.connection.info
    params = dict(info.get_parameters())
    if info.password:
        params["password"] = info.password
    return make_conninfo(**params)


def _copied_blocks(version: DatasetVersion, chunk: int, shape: Callable | None = None) -> Iterator:
    """The stream's rows, chunk after chunk of ``chunk`` assets (:func:`_stream_sql`), as Arrow
    record batches of about :data:`COPY_BLOCK_BYTES`, read by the ADBC PostgreSQL driver (libpq's
    binary COPY of the query decoded into Arrow in C++, with the GIL released) on a connection of
    its own, in one read-only ``REPEATABLE READ`` transaction (every chunk sees one snapshot) with
    ``work_mem`` at :data:`EXPORT_WORK_MEM`. A helper thread reads ahead of the caller, so
    PostgreSQL runs the next chunk's query while the caller works on this one. ``shape``: what
    the thread hands over instead of the blocks, made there from them (called with each block,
    then with ``None`` at the end; it yields the values to hand over). Left early, the thread
    stops and closes its connection (which ends the query); it is joined before this returns."""
    import queue
    import threading

    import adbc_driver_postgresql.dbapi as adbc
    import pyarrow as pa
    from django.db import connection
    from psycopg import ClientCursor

    shape = shape or (lambda block: () if block is None else (block,))
    conninfo = _conninfo()
    literal = ClientCursor(connection.connection).mogrify  # the parameters bound here: COPY takes none
    blocks: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(value) -> bool:
        while not stop.is_set():
            try:
                blocks.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def hand_over(block) -> None:
        for value in shape(block):
            if not put(value):
                raise _Stopped

    def read() -> None:
        try:
            with adbc.connect(conninfo) as stream, stream.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute(f"SET LOCAL work_mem = '{EXPORT_WORK_MEM}'")
                cursor.adbc_statement.set_options(**{"adbc.postgresql.batch_size_hint_bytes": str(COPY_BLOCK_BYTES)})
                after: int | None = 0
                while after is not None:
                    cursor.execute(literal(*_stream_sql(version, after, chunk)))
                    last = None
                    for batch in cursor.fetch_record_batch():
                        block = pa.Table.from_batches([batch]).rename_columns(list(_STREAM))
                        last = _last_asset(block, last)
                        hand_over(block)
                    after = last
            hand_over(None)
            put(None)
        except _Stopped:
            pass
        except BaseException as exc:  # handed to the reading side
            put(exc)

    thread = threading.Thread(target=read, name="export-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            block = blocks.get()
            if block is None:
                return
            if isinstance(block, BaseException):
                raise block
            yield block
    finally:
        stop.set()
        thread.join()


def _copied_batches(version: DatasetVersion, batch: int) -> Iterator:
    """``iter_item_batches`` by one COPY stream (:func:`_stream_sql`): its blocks cut where the
    asset after the ``batch``-th one starts, so each batch holds its assets' annotations and gold
    answers whole; each batch's rows of one kind taken out in bulk (Arrow filters) and handed to
    :class:`_Assembler` as Arrow columns. All of that is done by the stream's helper thread;
    this one adds the scores (which query the database) where there is a weight set."""
    import numpy as np
    import pyarrow as pa

    assemble = _Assembler(version)

    def columns(table, names) -> list:
        return [table.column(name).combine_chunks() for name in names]

    def one(rows):
        kind = rows.column("row").to_numpy()
        assets = rows.filter(pa.array(kind == ASSET_ROW))
        ids = assets.column("asset").to_numpy()

        def owned(which: int):
            part = rows.filter(pa.array(kind == which))
            owner = part.column("asset").to_numpy()
            at = np.searchsorted(ids, owner)
            mine = at < ids.size
            mine[mine] = ids[at[mine]] == owner[mine]
            if not mine.all():  # a row of an asset this batch does not hold (none, by the query)
                part, at = part.filter(pa.array(mine)), at[mine]
            return part, at

        a, a_at = owned(ANNOTATION_ROW)
        g, g_at = owned(GOLD_ROW)
        late = a.column("late").to_numpy() if a.num_rows else np.zeros(0, dtype=bool)
        return assemble(
            columns(assets, ("asset", "key", "s1", "s2", "s3", "s4", "s5", "s6")),
            a_at,
            [*columns(a, ("key", "s1", "s2", "s3", "s4", "s5", "s6", "s7")), late],
            g_at,
            columns(g, ("s1", "s2", "s3", "s4", "s5", "s6")),
            scores=False,
        )

    pending: list = [None]

    def cut(block) -> Iterator:
        """The batches complete once ``block`` is in (at the end, ``None``: what is left)."""
        rows = pending[0]
        if block is None:
            if rows is not None and rows.num_rows:
                yield one(rows)
            return
        rows = block if rows is None else pa.concat_tables([rows, block])
        starts = np.flatnonzero(rows.column("row").to_numpy() == ASSET_ROW)
        while starts.size > batch:
            at = int(starts[batch])
            done, rows, starts = rows.slice(0, at), rows.slice(at), starts[batch:] - at
            pending[0] = rows
            yield one(done)
        pending[0] = rows

    for item_batch in _copied_blocks(version, COPY_CHUNK_ASSETS, shape=cut):
        if version.weights:
            item_batch.scores = assemble.scores_of(item_batch)
        yield item_batch


def _scores(version: DatasetVersion, asset_ids: list[int], metadata: dict) -> dict:
    """asset id → (total, per dimension) under the version's weight set (from the answers the
    version holds: gold, else the consensus; extra features such as alignment from the asset's
    metadata, as the platform's own scores), or nothing without a weight set."""
    if not version.weights:
        return {}
    from worker.weights.answers import human_features, with_asset_extra
    from worker.weights.features import checklist_dimensions
    from worker.weights.scoring import score, weight_vector_from_dict

    w = version.weights
    fields = ("coefficients", "encoding", "normalization", "intercept", "extra", "extra_defaults", "gates")
    vector = dataclasses.replace(
        weight_vector_from_dict({k: w[k] for k in fields}),
        dimensions=checklist_dimensions(version.checklist_version.checklist),
    )
    out = {}
    for project in version.projects.all():
        for asset_id, (features, _) in human_features(project, version.checklist_version, asset_ids).items():
            result = score(with_asset_extra(features, metadata.get(asset_id), w.get("extra") or {}), vector)
            out[asset_id] = (result.total, result.dimensions)
    return out


def iter_pairs(version: DatasetVersion, *, batch: int = BATCH) -> Iterator:
    """The version's rated pair tasks (ratings of the chosen states, a reviewer's gold rating)."""
    from datasets_app.export.items import PairItem

    states = version.export_settings.get("states", list(ANSWER_STATES))
    tasks = (
        Task.objects.filter(project__in=version.projects.all(), kind=Task.Kind.PAIR)
        .order_by("id")
        .values_list("id", "project_id", "asset__prompt", "asset_id", "asset_b_id", "asset__files", "asset_b__files")
    )
    chunk: list = []
    root = media_root()

    def flush(rows):
        ids = [r[0] for r in rows]
        ratings: dict[int, list[int]] = defaultdict(list)
        late_ratings: dict[int, list[int]] = defaultdict(list)
        for task_id, preference, late in (
            Annotation.objects.filter(task_id__in=ids, state__in=states)
            .exclude(preference__isnull=True)
            .order_by("task_id", "id")
            .values_list("task_id", "preference", "late")
        ):
            (late_ratings if late else ratings)[task_id].append(preference)
        gold = dict(
            GoldAnswer.objects.filter(task_id__in=ids)
            .exclude(preference__isnull=True)
            .values_list("task_id", "preference")
        )
        for task_id, project_id, prompt, a, b, files_a, files_b in rows:
            if task_id not in ratings and task_id not in late_ratings and task_id not in gold:
                continue
            yield PairItem(
                task_id=task_id,
                project_id=project_id,
                prompt=prompt or "",
                asset_a=a,
                asset_b=b,
                media_a=_media(files_a, "display", root) or _media(files_a, "original", root),
                media_b=_media(files_b, "display", root) or _media(files_b, "original", root),
                ratings=tuple(ratings.get(task_id, ())),
                gold=gold.get(task_id),
                late_ratings=tuple(late_ratings.get(task_id, ())),
            )

    for row in tasks.iterator(chunk_size=batch):
        chunk.append(row)
        if len(chunk) >= batch:
            yield from flush(chunk)
            chunk = []
    if chunk:
        yield from flush(chunk)
