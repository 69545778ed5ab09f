"""Items column-wise: a batch of assets with their answers as numpy matrices, and the default
config's majority rows built from them in whole columns (no Python object per row).

:class:`ItemBatch` is what a database reader hands over: per asset, per annotation and per
gold answer one list entry; answer and mask vectors packed (``annotator.packed``: bytes, one
per question, as the database stores them beside the JSON) or as the JSON text PostgreSQL
prints (``[0, 1, 1]``), turned into matrices in bulk (``np.frombuffer`` over the joined bytes,
or checking the characters), without a JSON decoder per vector. :meth:`ItemBatch.items` gives
the same batch as :class:`~.items.Item` values, for every consumer that works item by item.

:func:`majority_batch` is the default config under ``combine="majority"`` for a whole batch:
the same rules as :func:`~.combine.majority_vote` and :func:`~.combine.rows_of`, vectorised
(sums of the raters' masks and *yes* per question, ties to the gold answer, the checklist's
gates walked once per sub-dimension over all rows, options collapsed by memoised lookup of
each distinct (gate, answers) combination). It returns ``None`` when the batch holds anything
the vectorised rules do not cover (other combine rules, videos, scores, a gold answer standing
in for missing annotations, vectors or options the reader could not vouch for): the caller then
takes the batch item by item through :func:`~.combine.rows_of`, which also raises the errors.
Both ways write the same rows (tests/datasets/test_columnar.py holds them to it).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from annotator.checklist import Checklist
from annotator.packed import ZERO, pack, packs_to, unpack

from .combine import AgreementSummary, OptionCollapser, _gate_plan, _per_checklist, metadata_json
from .items import Answers, ExportSettings, Item, MediaRef
from .writers import DEFAULT_BATCH_BYTES, MediaStore

_ZERO, _ONE = ord("0"), ord("1")


@dataclass
class ItemBatch:
    """Consecutive items (by asset id) column-wise; see the module docstring.

    Per asset (index ``i``): ``asset_id``, ``project_id``, ``prompt``, ``media_type``,
    ``media_path`` (absolute path or ""), ``media_sha256``, ``metadata`` (a dict, or the JSON
    text PostgreSQL prints; ``None`` for none). Per annotation, in item order:
    ``annotation_item`` (its item's index), ``annotation_id``, ``annotator``, ``answers`` /
    ``mask`` (packed bytes, JSON text as PostgreSQL prints it, or lists), ``state``, ``late``,
    ``options`` (dict or JSON text) and ``options_checked`` (the reader checked them against the checklist). Per
    gold answer: ``gold_item``, ``gold_annotator``, ``gold_answers``, ``gold_mask``,
    ``gold_options``, ``gold_options_checked``. ``frame_paths``: per asset, a video's sampled
    frames (absolute paths; ``None``: none anywhere). ``scores``: asset id → (total, per dimension),
    or ``None`` without a weight set.

    A column is a list, or (the export job's stream) an Arrow array: strings and ids as Arrow,
    packed vectors as an Arrow binary array, ``media_path`` as a dictionary array of the
    distinct sources, ``annotation_item`` / ``late`` / ``options_checked`` as numpy arrays.
    :meth:`as_lists` gives the batch with lists only."""

    asset_id: list[int]
    project_id: list[int]
    prompt: list[str]
    media_type: list[str]
    media_path: list[str]
    media_sha256: list[str]
    metadata: list[Any]
    annotation_item: list[int] = field(default_factory=list)
    annotation_id: list[int] = field(default_factory=list)
    annotator: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    mask: list[str] = field(default_factory=list)
    state: list[str] = field(default_factory=list)
    late: list[bool] = field(default_factory=list)
    options: list[Any] = field(default_factory=list)
    options_checked: list[bool] = field(default_factory=list)
    gold_item: list[int] = field(default_factory=list)
    gold_annotator: list[str] = field(default_factory=list)
    gold_answers: list[str] = field(default_factory=list)
    gold_mask: list[str] = field(default_factory=list)
    gold_options: list[Any] = field(default_factory=list)
    gold_options_checked: list[bool] = field(default_factory=list)
    frame_paths: list[tuple[str, ...]] | None = None
    scores: dict | None = None

    def __len__(self) -> int:
        return len(self.asset_id)

    def as_lists(self) -> ItemBatch:
        """The batch with every column a Python list (a reader may hand over Arrow arrays and
        numpy arrays; the item-by-item path reads lists)."""
        changes = {
            f.name: as_list(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.name not in ("frame_paths", "scores") and not isinstance(getattr(self, f.name), list)
        }
        return dataclasses.replace(self, **changes) if changes else self

    @classmethod
    def from_items(cls, items: Sequence[Item], checklist: Checklist, *, packed: bool = False) -> ItemBatch:
        """The items column-wise, as a reader would hand them over (``url`` is not carried):
        vectors as JSON text (with ``packed``: packed bytes where they have a packed form of
        the checklist's length, as the export job's reader hands them), options checked with
        ``check_answers``."""
        from .combine import check_answers
        from .items import ExportError

        n = len(checklist.questions)

        def digits(vector: Sequence) -> str | bytes:
            bytes_ = pack(vector) if packed else None
            if bytes_ is not None and len(bytes_) == n:
                return bytes_
            return json.dumps(list(vector))  # as PostgreSQL prints a jsonb array: [0, 1, 1]

        def checked(answers: Answers) -> bool:
            try:
                check_answers(answers, checklist, "options")
            except (ExportError, TypeError, ValueError):
                return False
            return True

        out = cls(
            asset_id=[i.asset_id for i in items],
            project_id=[i.project_id for i in items],
            prompt=[i.prompt for i in items],
            media_type=[i.media_type for i in items],
            media_path=[i.media_path for i in items],
            media_sha256=[i.media_sha256 for i in items],
            metadata=[i.metadata for i in items],
            frame_paths=[tuple(i.frame_paths) for i in items],
        )
        scores = {i.asset_id: (i.score, i.dimension_scores) for i in items if i.score is not None}
        out.scores = scores or None
        for index, item in enumerate(items):
            for a in item.annotations:
                out.annotation_item.append(index)
                out.annotation_id.append(a.annotation_id)
                out.annotator.append(a.annotator)
                out.answers.append(digits(a.answers))
                out.mask.append(digits(a.mask))
                out.state.append(a.state)
                out.late.append(a.late)
                out.options.append(dict(a.options))
                out.options_checked.append(checked(a))
            if item.gold is not None:
                out.gold_item.append(index)
                out.gold_annotator.append(item.gold.annotator)
                out.gold_answers.append(digits(item.gold.answers))
                out.gold_mask.append(digits(item.gold.mask))
                out.gold_options.append(dict(item.gold.options))
                out.gold_options_checked.append(checked(item.gold))
        return out

    def items(self) -> Iterator[Item]:
        """The batch as :class:`Item` values (what ``iter_items`` yields)."""
        self = self.as_lists()
        own: list[list[Answers]] = [[] for _ in self.asset_id]
        for k, index in enumerate(self.annotation_item):
            own[index].append(
                Answers(
                    self.annotation_id[k],
                    self.annotator[k],
                    _json(self.options[k]),
                    _vector(self.answers[k]),
                    _vector(self.mask[k]),
                    self.state[k],
                    late=bool(self.late[k]),
                )
            )
        gold: list[Answers | None] = [None] * len(self.asset_id)
        for k, index in enumerate(self.gold_item):  # one per asset; the last one wins
            gold[index] = Answers(
                None,
                self.gold_annotator[k] or "",
                _json(self.gold_options[k]),
                _vector(self.gold_answers[k]),
                _vector(self.gold_mask[k]),
                "gold",
            )
        scores = self.scores or {}
        for i, asset_id in enumerate(self.asset_id):
            score = scores.get(asset_id)
            yield Item(
                asset_id=asset_id,
                project_id=self.project_id[i],
                prompt=self.prompt[i] or "",
                media_type=self.media_type[i],
                media_path=self.media_path[i],
                media_sha256=self.media_sha256[i] or "",
                frame_paths=self.frame_paths[i] if self.frame_paths else (),
                metadata=_json(self.metadata[i]) or {},
                annotations=tuple(own[i]),
                gold=gold[i],
                score=score[0] if score else None,
                dimension_scores=score[1] if score else None,
            )


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def as_list(column: Any) -> list:
    """A column (list, Arrow or numpy array) as a Python list."""
    if isinstance(column, pa.Array | pa.ChunkedArray | np.ndarray):
        return column.tolist() if isinstance(column, np.ndarray) else column.to_pylist()
    return list(column)


def _taken(column: Any, positions: np.ndarray, arrow_type: pa.DataType | None = None) -> Any:
    """``column``'s values at ``positions``: an Arrow array for an Arrow column (or with
    ``arrow_type``), else a list."""
    if isinstance(column, pa.Array):
        out = column.take(pa.array(positions, pa.int64()))
        return out if arrow_type is None or out.type == arrow_type else out.cast(arrow_type)
    values = [column[i] for i in positions.tolist()]
    return values if arrow_type is None else pa.array(values, arrow_type)


def _fixed_width(column: pa.Array, width: int) -> np.ndarray | None:
    """A string or binary Arrow array whose values all have ``width`` bytes, as a
    ``len × width`` uint8 matrix of them (no copy); ``None`` if any is null or of another width."""
    if column.null_count or not (pa.types.is_string(column.type) or pa.types.is_binary(column.type)):
        return None
    _, offsets, data = column.buffers()
    at = np.frombuffer(offsets, dtype=np.int32)[column.offset : column.offset + len(column) + 1]
    if at.size and not np.all(np.diff(at) == width):
        return None
    if not len(column):
        return np.zeros((0, width), dtype=np.uint8)
    return np.frombuffer(data, dtype=np.uint8)[at[0] : at[-1]].reshape(len(column), width)


_BITS = str.maketrans("01", "\x00\x01")


def _vector(text: Any) -> tuple:
    """A vector as the reader gave it (packed bytes, JSON text as PostgreSQL prints it,
    ``[0, 1, 1]``, or a list), as a tuple; the common 0 / 1 text without a JSON decoder."""
    if text.__class__ is bytes:
        return unpack(text)
    if isinstance(text, str):
        digits = text[1::3]
        if len(text) == 3 * len(digits) and text == "[" + ", ".join(digits) + "]" and set(digits) <= {"0", "1"}:
            return tuple(digits.translate(_BITS).encode())
    value = _json(text)
    return tuple(value) if isinstance(value, list | tuple) else value


def _matrix(vectors: Sequence[Any], n: int) -> np.ndarray | None:
    """``len(vectors) × n`` uint8 matrix of vectors packed (``annotator.packed``) or printed
    ``[0, 1, …]`` (``n`` values, each 0 or 1), checked byte by byte in bulk; ``None`` if any is
    anything else. An Arrow binary array is packed vectors (a null: one without)."""
    if isinstance(vectors, pa.Array):
        packed = _fixed_width(vectors, n)
        if packed is None:
            return None
        digits = packed - np.uint8(ZERO)
        return digits if np.all(digits <= 1) else None
    if packs_to(vectors, n):
        digits = np.frombuffer(b"".join(vectors), dtype=np.uint8).reshape(len(vectors), n) - np.uint8(ZERO)
        return digits if np.all(digits <= 1) else None
    if any(v.__class__ is bytes for v in vectors):  # some packed, some JSON text: all as text
        vectors = [_printed(v) if v.__class__ is bytes else v for v in vectors]
    width = 3 * n if n else 2
    if not all(v.__class__ is str and len(v) == width for v in vectors):
        return None
    if not n:
        return np.zeros((len(vectors), 0), dtype=np.uint8) if all(v == "[]" for v in vectors) else None
    text = np.frombuffer("".join(vectors).encode("utf-8"), dtype=np.uint8)
    if text.size != width * len(vectors):
        return None  # non-ASCII characters
    chars = text.reshape(len(vectors), width)
    digits = chars[:, 1::3]
    if not (
        np.all(chars[:, 0] == ord("["))
        and np.all(chars[:, -1] == ord("]"))
        and np.all(chars[:, 2:-1:3] == ord(","))
        and np.all(chars[:, 3::3] == ord(" "))
        and np.all((digits == _ZERO) | (digits == _ONE))
    ):
        return None
    return digits - np.uint8(_ZERO)


def _printed(packed: bytes) -> str:
    """Packed bytes as PostgreSQL prints the JSON vector (``[0, 1, 1]``)."""
    return "[" + ", ".join(packed.decode("ascii")) + "]"


_FLAT_VALUE = r'(?:0|-?[1-9][0-9]*|true|false|null|"[^"\\\x00-\x1f]*")'
_FLAT_OBJECT = re.compile(r'\{(?:"[^"\\\x00-\x1f]*": ' + _FLAT_VALUE + r'(?:, (?=")|(?=\})))*\}')
_FLAT_PAIR = re.compile(r'("[^"\\\x00-\x1f]*"): (' + _FLAT_VALUE + ")")


def _metadata_text(metadata: Any) -> str:
    """``metadata_json`` of a metadata value, dict or JSON text. Text as PostgreSQL prints a
    flat object (escape-free string keys, already in code-point order; integer, true / false /
    null or escape-free string values) only loses the spaces after ``:`` and ``,``, which is
    what decoding and ``metadata_json`` would give; anything else is decoded first."""
    if isinstance(metadata, str) and _FLAT_OBJECT.fullmatch(metadata):
        pairs = _FLAT_PAIR.findall(metadata)
        keys = [key[1:-1] for key, _ in pairs]
        if keys == sorted(set(keys)):  # in order, each once
            return "{" + ",".join(f"{key}:{value}" for key, value in pairs) + "}"
    return metadata_json(_json(metadata) or {})


_FLAT_OBJECTS = re.compile(_FLAT_OBJECT.pattern + r"(?:\n" + _FLAT_OBJECT.pattern + ")*")
# In printed flat objects every '": ' ends a key and every ', "' starts one, unless a string
# starts with ": " or ends with ", "; such a string leaves one of these (and so does an odd
# key such as 'a{', which only costs the slow way).
_AMBIGUOUS = ('{": ', ', ": ', ': ": ', ', ", ', ', "}')


def _metadata_texts(values: Sequence[Any]) -> list[str]:
    """``[_metadata_text(v) for v in values]``, in a few passes over all of them at once when
    every one is text as PostgreSQL prints a flat object (none can hold a newline: control
    characters are not in the pattern): one match of the joined lines, one JSON decoding of
    all of them for their keys (in code-point order and unique, checked once per distinct key
    list), then the spaces after the separators dropped by two replacements."""
    if not values or not all(v.__class__ is str for v in values):
        return [_metadata_text(v) for v in values]
    joined = "\n".join(values)
    if not _FLAT_OBJECTS.fullmatch(joined) or any(s in joined for s in _AMBIGUOUS):
        return [_metadata_text(v) for v in values]
    objects = json.loads("[" + ",".join(values) + "]")
    if sum(map(len, objects)) != joined.count('": '):  # a key given twice
        return [_metadata_text(v) for v in values]
    for keys in set(map(tuple, objects)):
        if list(keys) != sorted(keys):
            return [_metadata_text(v) for v in values]
    return joined.replace('": ', '":').replace(', "', ',"').split("\n")


# Printed flat objects with no backslash hold no quote inside a string, so '": ' and ', "' are
# structural there but for these (a string starting with ": " or ending with ", "), as above.
_FLAT_SIGNATURE = r'": (?:"[^"]*"|[^,}]*)'  # a key's end and its value: what a key list leaves out
_NOT_FLAT = r'^[^{]|[^}]$|[\\[]|\{.*\{|": -?[0-9]+[.eE]|": -0[,}]'


def metadata_column(values: Any) -> pa.Array:
    """``_metadata_texts`` of a column as an Arrow string array. An Arrow column of texts as
    PostgreSQL prints flat objects (``null`` for none) is made canonical in Arrow's kernels:
    checked by pattern (no backslash, so no quote inside a string; one object; no float or -0;
    none of the ambiguous spellings), key lists read off the distinct ones (in code-point order,
    each once), then the spaces after the separators dropped; anything else goes the Python
    way, which decodes what it has to."""
    if isinstance(values, pa.Array) and pa.types.is_string(values.type):
        texts = pc.fill_null(values, "{}")
        bad = pc.match_substring_regex(texts, _NOT_FLAT)
        for spelling in _AMBIGUOUS:
            bad = pc.or_(bad, pc.match_substring(texts, spelling))
        if not len(texts) or not pc.any(bad).as_py():
            signatures = pc.unique(pc.replace_substring_regex(texts, _FLAT_SIGNATURE, "")).to_pylist()
            if all(_keys_in_order(signature) for signature in signatures):
                return pc.replace_substring(pc.replace_substring(texts, '": ', '":'), ', "', ',"')
    return pa.array(_metadata_texts(as_list(values)), pa.string())


def _keys_in_order(signature: str) -> bool:
    """Whether a flat object's key list (``{"a, "b}``: the object less each key's end and its
    value) is in code-point order, each key once."""
    inner = signature[1:-1]
    keys = inner[1:].split(', "') if inner else []
    return keys == sorted(set(keys))


def options_checker(checklist: Checklist) -> Callable[[Any], bool]:
    """Whether an options object, as PostgreSQL prints a jsonb object (keys by length, then
    bytes; ``"key": value`` joined by ``, ``), holds only known sub-dimension keys with known
    codes or null: a text match for what ``check_answers`` lets through. Anything else
    (another spelling, a decoded dict) is checked with ``check_answers`` itself."""
    from .combine import check_answers
    from .items import ExportError

    subs = sorted(checklist.sub_dimensions, key=lambda sub: (len(sub.key.encode()), sub.key.encode()))
    parts, entries = [], []
    for sub in subs:
        codes = "|".join(re.escape(str(code)) for code in sub.codes)
        key = re.escape(json.dumps(sub.key, ensure_ascii=False))
        parts.append(f"(?:{key}: (?:{codes}|null)(?:, |(?=\\}})))?")
        entries.append(f"(?:{key}: (?:{codes}|null), )?")
    pattern = re.compile("\\{" + "".join(parts) + "\\}")
    n = len(checklist.questions)

    def check(options: Any) -> bool:
        if isinstance(options, str) and pattern.fullmatch(options):
            return True
        try:
            check_answers(Answers(None, "", _json(options), (0,) * n, (0,) * n, "submitted"), checklist, "options")
        except (ExportError, TypeError, ValueError, AttributeError):
            return False
        return True

    # Every sub-dimension answered with a one-character code: one fixed layout, whose texts are
    # checked in bulk as a bytes matrix (the other characters equal, each code one of its own).
    layout = "{" + ", ".join(f"{json.dumps(sub.key, ensure_ascii=False)}: 0" for sub in subs) + "}"
    template = np.frombuffer(layout.encode("utf-8"), dtype=np.uint8)
    code_at = np.flatnonzero(template == ord("0"))
    code_at = code_at[[template[k - 1] == ord(" ") and template[k + 1] in (ord(","), ord("}")) for k in code_at]]
    fixed = np.ones(template.size, dtype=bool)
    fixed[code_at] = False
    allowed = np.zeros((len(subs), 256), dtype=bool)
    for row, sub in enumerate(subs):
        for code in sub.codes:
            if code.__class__ is int and 0 <= code <= 9:
                allowed[row, ord(str(code))] = True
    columns = np.arange(len(subs))
    one_layout = code_at.size == len(subs)

    def bulk(rows: np.ndarray) -> np.ndarray:
        return np.all(rows[:, fixed] == template[fixed], axis=1) & np.all(allowed[columns, rows[:, code_at]], axis=1)

    def check_all(values: Any) -> np.ndarray:
        """``check`` of every value (a list, or an Arrow string array), as a bool array: texts of
        the fixed layout in bulk, the rest one by one."""
        out = np.zeros(len(values), dtype=bool)
        if isinstance(values, pa.Array):
            rows = _fixed_width(values, template.size) if one_layout else None
            if rows is not None:
                out = bulk(rows)
            if out.all():
                return out
            values = values.to_pylist()
        elif one_layout:
            fast = [i for i, v in enumerate(values) if v.__class__ is str and len(v) == len(layout)]
            if fast:
                data = np.frombuffer("".join(values[i] for i in fast).encode("utf-8"), dtype=np.uint8)
                if data.size == template.size * len(fast):
                    out[fast] = bulk(data.reshape(len(fast), template.size))
        for i in np.flatnonzero(~out).tolist():
            out[i] = check(values[i])
        return out

    check.all = check_all  # type: ignore[attr-defined]
    return check


@dataclass
class MajorityColumns:
    """A batch's majority rows column-wise: ``rows`` (item indices that get a row), answers /
    mask (rows × questions), agreement (float, NaN where null), options (sub-dimension key →
    (codes, valid)), per-item annotation counts, and what the summary needs."""

    rows: np.ndarray
    answers: np.ndarray
    mask: np.ndarray
    agreement: np.ndarray
    options: dict[str, tuple[np.ndarray, np.ndarray]]
    counts: np.ndarray
    counted: np.ndarray  # annotation indices that count (late extras dropped unless included)
    answers_all: np.ndarray  # counted annotations × questions
    mask_all: np.ndarray
    has_gold: np.ndarray


def majority_columns(batch: ItemBatch, checklist: Checklist, settings: ExportSettings) -> MajorityColumns | None:
    """The vectorised majority vote of a batch, or ``None`` where it does not apply (see the
    module docstring)."""
    if settings.combine != "majority" or checklist.media_type != "image" or batch.scores is not None:
        return None
    b, n = len(batch), len(checklist.questions)
    if not _all_equal(batch.media_type, "image"):
        return None
    sources, _ = media_sources(batch)
    if not all(sources):
        return None
    if not np.all(batch.options_checked) or not np.all(batch.gold_options_checked):
        return None
    late = np.asarray(batch.late, dtype=bool)
    counted = np.arange(len(batch.annotation_item)) if settings.include_late else np.flatnonzero(~late)
    owner = np.asarray(batch.annotation_item, dtype=np.int64)[counted]
    every = counted.size == len(batch.annotation_item)
    answers_all = _matrix(batch.answers if every else _taken(batch.answers, counted), n)
    mask_all = _matrix(batch.mask if every else _taken(batch.mask, counted), n)
    gold_answers = _matrix(batch.gold_answers, n)
    gold_mask = _matrix(batch.gold_mask, n)
    if answers_all is None or mask_all is None or gold_answers is None or gold_mask is None:
        return None
    counts = np.bincount(owner, minlength=b) if owner.size else np.zeros(b, dtype=np.int64)
    has_gold = np.zeros(b, dtype=bool)
    g_answers = np.zeros((b, n), dtype=np.uint8)
    g_mask = np.zeros((b, n), dtype=np.uint8)
    if len(batch.gold_item):
        gold_index = np.asarray(batch.gold_item, dtype=np.int64)
        has_gold[gold_index] = True
        g_answers[gold_index] = gold_answers  # repeated indices: the last one wins, as item by item
        g_mask[gold_index] = gold_mask
    if np.any(has_gold & (counts == 0)):
        return None  # the gold answer stands in for the annotations: item by item
    rows = np.flatnonzero(counts > 0)
    m = rows.size
    if owner.size and np.any(np.diff(owner) < 0):
        return None  # annotations not in item order: item by item
    yes_all = answers_all & mask_all
    single = owner.size == m  # one counted annotation per item that has any: nothing to add up
    if single:
        # its own answer where it applied (no ties with one rater), else -1
        raw = np.where(mask_all == 1, answers_all, np.uint8(255)).view(np.int8)
    else:
        starts = np.searchsorted(owner, rows)
        applied = np.add.reduceat(mask_all, starts, axis=0, dtype=np.int32)
        yes = np.add.reduceat(yes_all, starts, axis=0, dtype=np.int32)
        # per question: the majority answer among the raters it applied to (-1: applied to
        # nobody), ties to the gold answer where it applies, else 0
        tie = np.where(has_gold[rows, None], g_answers[rows] & g_mask[rows], 0).astype(np.int8)
        twice = 2 * yes
        raw = np.where(applied == 0, np.int8(-1), np.where(twice == applied, tie, (twice > applied).view(np.int8)))
    answers = np.zeros((m, n), dtype=np.int8)
    mask = np.zeros((m, n), dtype=bool)
    free, walked = _per_checklist(checklist, "gates, free first", _free_first)
    if free.size:  # ungated sub-dimensions without a presence question: their votes as they are
        values = raw[:, free]
        chosen = values >= 0
        answers[:, free] = np.where(chosen, values, 0)
        mask[:, free] = chosen
    for gate, presence, others in walked:
        open_ = np.ones(m, dtype=bool) if gate is None else mask[:, gate] & (answers[:, gate] == 1)
        if presence is not None:
            value = raw[:, presence]
            known = open_ & (value >= 0)
            answers[known, presence] = value[known]
            mask[known, presence] = True
            open_ = known & (value == 1)
        if others:
            idx = list(others)
            values = raw[:, idx]
            chosen = open_[:, None] & (values >= 0)
            answers[:, idx] = np.where(chosen, values, 0)
            mask[:, idx] = chosen
    if single:  # one rater agrees with itself wherever a question is answered
        agreement = np.where(mask, 1.0, np.nan)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(answers == 1, yes, applied - yes) / applied
        agreement = np.where(mask & (applied > 0), share, np.nan)
    collapser = _per_checklist(checklist, "collapser", OptionCollapser)
    options = collapser.columns(np.where(mask, answers, -1).astype(np.int64))
    return MajorityColumns(
        rows,
        answers.astype(np.int64),
        mask.astype(np.int64),
        agreement,
        options,
        counts,
        counted,
        answers_all,
        mask_all,
        has_gold,
    )


def _all_equal(column: Any, value: str) -> bool:
    """Whether every value of a column (list or Arrow array) is ``value``."""
    if isinstance(column, pa.Array):
        return column.null_count == 0 and (not len(column) or pc.all(pc.equal(column, value)).as_py())
    return all(v == value for v in column)


def _free_first(checklist: Checklist) -> tuple[np.ndarray, list]:
    """The gate plan (``_gate_plan``) split: the questions of every ungated sub-dimension
    without a presence question (they depend on nothing, so they are voted all at once, first),
    and the rest of the plan in gate order."""
    free: list[int] = []
    walked = []
    for gate, presence, others in _gate_plan(checklist):
        if gate is None and presence is None:
            free.extend(others)
        else:
            walked.append((gate, presence, others))
    return np.asarray(free, dtype=np.int64), walked


def _list_array(matrix: np.ndarray, arrow_type: pa.DataType, valid: np.ndarray | None = None) -> pa.Array:
    rows, n = matrix.shape
    offsets = pa.array(np.arange(0, (rows + 1) * n, n, dtype=np.int32) if n else np.zeros(rows + 1, np.int32))
    values = pa.array(matrix.reshape(-1), mask=None if valid is None else ~valid.reshape(-1))
    return pa.ListArray.from_arrays(offsets, values, type=arrow_type)


def media_sources(batch: ItemBatch) -> tuple[list[str], np.ndarray]:
    """The batch's distinct media sources and, per item, the index of its own: a dictionary
    array's as they are (the COPY reader's), a list's by first use."""
    column = batch.media_path
    if isinstance(column, pa.DictionaryArray):
        return column.dictionary.to_pylist(), column.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    at: dict[str, int] = {}
    index = np.fromiter((at.setdefault(source, len(at)) for source in column), dtype=np.int64, count=len(column))
    return list(at), index


def majority_batches(
    batch: ItemBatch,
    columns: MajorityColumns,
    checklist: Checklist,
    schema: pa.Schema,
    media: MediaStore,
    max_bytes: int = DEFAULT_BATCH_BYTES,
    order: np.ndarray | None = None,
) -> Iterator[tuple[np.ndarray, pa.RecordBatch]]:
    """The default config's rows of the batch (one per item with annotations), in ``schema``
    (``features_for(...).arrow_schema``), images encoded by ``media``, in ``order`` (positions
    in ``columns.rows``; as they are by default): (positions, record batch) pairs, each holding
    at most ``max_bytes`` of embedded image bytes (at least one row). Each distinct image of the
    batch is read once and taken per row."""
    positions = np.arange(columns.rows.size) if order is None else order
    if not positions.size:
        return
    sources, source_of = media_sources(batch)
    used, which = np.unique(source_of[columns.rows[positions]], return_inverse=True)
    which = which.reshape(-1)  # per row: its image among the cells read
    cells = [media.image_cell(MediaRef(sources[k])) for k in used.tolist()]
    sizes = np.array([len(cell["bytes"] or b"") for cell in cells], dtype=np.int64)[which]
    image_type = schema.field("image").type
    image = (
        pa.array([cell["bytes"] for cell in cells], image_type.field("bytes").type),
        pa.array([cell["path"] for cell in cells], image_type.field("path").type),
    )
    start, total = 0, positions.size
    while start < total:
        reached = np.flatnonzero(np.cumsum(sizes[start:]) >= max_bytes)
        end = start + int(reached[0]) + 1 if reached.size else total
        part = positions[start:end]
        yield part, _record(batch, columns, part, schema, image, which[start:end])
        start = end


def _record(
    batch: ItemBatch,
    columns: MajorityColumns,
    part: np.ndarray,
    schema: pa.Schema,
    image: tuple[pa.Array, pa.Array],
    which: np.ndarray,
) -> pa.RecordBatch:
    """The rows at positions ``part`` as a record batch; ``image``: the (bytes, path) arrays of
    the batch's images, ``which``: each row's among them."""
    rows = columns.rows[part]
    m = rows.size
    fields = {f.name: f for f in schema}
    take = pa.array(which, pa.int64())
    image = pa.StructArray.from_arrays([image[0].take(take), image[1].take(take)], fields=list(fields["image"].type))
    options_type = fields["options"].type
    options = pa.StructArray.from_arrays(
        [
            pa.array(columns.options[f.name][0][part], f.type, mask=~columns.options[f.name][1][part])
            for f in options_type
        ],
        fields=list(options_type),
    )
    agreement = columns.agreement[part]
    agreement_valid = ~np.isnan(agreement)
    asset_ids = _taken(batch.asset_id, rows, pa.int64())
    metadata = _taken(batch.metadata, rows)
    arrays = {
        "id": asset_ids.cast(pa.string()),
        "asset_id": asset_ids,
        "project_id": _taken(batch.project_id, rows, pa.int64()),
        "prompt": pc.fill_null(_taken(batch.prompt, rows, pa.string()), ""),
        "media_type": _taken(batch.media_type, rows, pa.string()),
        "image": image,
        "options": options,
        "answers": _list_array(columns.answers[part], fields["answers"].type),
        "mask": _list_array(columns.mask[part], fields["mask"].type),
        "agreement": _list_array(np.where(agreement_valid, agreement, 0.0), fields["agreement"].type, agreement_valid),
        "num_annotations": pa.array(columns.counts[rows], pa.int64()),
        "annotator": pa.nulls(m, pa.string()),
        "source": pa.array(["majority"] * m, pa.string()),
        "state": pa.nulls(m, pa.string()),
        "score": pa.nulls(m, pa.float64()),
        "dimension_scores": pa.nulls(m, fields["dimension_scores"].type),
        "metadata": metadata_column(metadata),
        "media_sha256": pc.fill_null(_taken(batch.media_sha256, rows, pa.string()), ""),
    }
    return pa.RecordBatch.from_arrays([arrays[f.name] for f in schema], schema=schema)


def batch_splits(batch: ItemBatch, rows: np.ndarray, split_of: Callable[[str], str]) -> tuple[list[str], np.ndarray]:
    """The split of each of the batch's ``rows`` (item indices) by its prompt (a missing one
    is ""): (split names in order of first use, each row's index into them); ``split_of`` is a
    :func:`~.splits.splitter`, asked once for the distinct prompts (its ``many``)."""
    prompts = pc.fill_null(_taken(batch.prompt, rows, pa.string()), "").dictionary_encode()
    splits = split_of.many(prompts.dictionary.to_pylist())  # distinct prompts, in order of first use
    names = list(dict.fromkeys(splits))
    code_of = {name: k for k, name in enumerate(names)}
    codes = np.array([code_of[name] for name in splits], dtype=np.int64)
    return names, codes[prompts.indices.to_numpy()].astype(np.int64, copy=False)


def summarize_batch(summary: AgreementSummary, batch: ItemBatch, columns: MajorityColumns) -> None:
    """``summary.add(item)`` for every item of the batch, from the columns."""
    counts = columns.counts
    summary.items += len(batch)
    summary.annotations += int(counts.sum())
    summary.items_with_annotations += int((counts > 0).sum())
    summary.gold += int(columns.has_gold.sum())
    counted = columns.counted
    summary.annotators.update(as_list(_taken(batch.annotator, counted)))
    summary.states.update(Counter(as_list(_taken(batch.state, counted))))
    several = np.flatnonzero(counts >= 2)
    if not several.size:
        return
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    values = np.where(columns.mask_all == 1, columns.answers_all.astype(np.int8), np.int8(-1))
    for i in several.tolist():
        block = values[starts[i] : starts[i] + counts[i]]
        for q, accumulator in enumerate(summary._accumulators):
            accumulator.add(None if v < 0 else v for v in block[:, q].tolist())
