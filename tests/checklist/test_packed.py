"""Packed answer vectors (annotator.packed): what the export reads instead of the JSON vectors.
Pure: no database (the database's own packing is held to this one in
tests/worker/test_export_jobs.py)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from annotator.checklist import builtin_checklists, expand
from annotator.packed import pack, packs_to, unpack
from datasets_app.export.columnar import _matrix, _vector


def _option_sets(checklist, rng: random.Random, count: int):
    """Every option of every sub-dimension once (the rest best), then random full choices."""
    best = {sub.key: sub.options[0].code for sub in checklist.sub_dimensions}
    for sub in checklist.sub_dimensions:
        for option in sub.options:
            yield {**best, sub.key: option.code}
    for _ in range(count):
        yield {sub.key: rng.choice(sub.options).code for sub in checklist.sub_dimensions}


@pytest.mark.parametrize("key", sorted(builtin_checklists()))
def test_every_expansion_of_every_builtin_checklist_packs_and_unpacks(key):
    checklist = builtin_checklists()[key]
    n = len(checklist.questions)
    rng = random.Random(7)
    seen = 0
    for options in _option_sets(checklist, rng, 200):
        try:
            expansion = expand(checklist, options)
        except Exception:  # a choice a gate rules out: not an annotation anyone can submit
            continue
        for vector in (list(expansion.answers), list(expansion.mask)):
            packed = pack(vector)
            assert packed is not None and len(packed) == n
            assert unpack(packed) == tuple(vector)
            assert _vector(packed) == tuple(vector)  # what the export's item-by-item path reads
        seen += 1
    assert seen > 10


def test_vectors_without_a_packed_form():
    assert pack([]) == b""
    assert pack((0, 1, 1)) == b"011"
    for vector in ([0, None, 1], [None], [True, False], [2], [0, -1], [1.0], ["0"], "01", None, {"a": 1}, 1):
        assert pack(vector) is None, vector


def test_unpack_refuses_other_bytes():
    with pytest.raises(ValueError):
        unpack(b"0120")


def test_the_export_matrix_takes_packed_json_and_mixed_vectors_and_guards_the_length():
    rows = [(0, 1, 1, 0), (1, 1, 0, 0)]
    packed = [pack(r) for r in rows]
    printed = ["[" + ", ".join(map(str, r)) + "]" for r in rows]
    for vectors in (packed, printed, [packed[0], printed[1]]):
        matrix = _matrix(vectors, 4)
        assert matrix is not None and np.array_equal(matrix, np.array(rows))
    # another question count than the checklist version's: not vouched for, the JSON path then
    assert not packs_to(packed, 5)
    assert _matrix(packed, 5) is None and _matrix([*packed, b"011"], 4) is None
    assert _matrix([b"0121"], 4) is None  # not a packed vector at all
