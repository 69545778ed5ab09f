"""Packed answer vectors: an annotation's ``answers`` or ``mask`` as fixed-width bytes.

A vector of 0 / 1 values (JSON numbers, never ``true`` / ``false``) packs to one ASCII byte per
question, ``b"0"`` or ``b"1"``, in question-position order: ``[0, 1, 1]`` → ``b"011"``. Any
other vector (a ``null`` for a skipped question, another number, a boolean, a string, not a
list at all) has no packed form (``None``): readers then take the JSON column itself.

PostgreSQL computes the packed form (:data:`PACK_SQL`, a stored generated column beside each
``answers`` / ``mask`` of ``Annotation`` and ``GoldAnswer``), so every writer of answers keeps
it right without knowing of it, and the export reads fixed-width bytes (no JSON printed or
parsed) and votes over a matrix of them. :func:`pack` is the same rule in Python (the tests hold
the two to each other); :func:`unpack` reads one back. A packed vector whose length is not the
checklist version's question count is a vector the checklist does not vouch for: the reader
falls back to the JSON column (see ``worker.exports.reader``).

Pure: no Django, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

ZERO, ONE = ord("0"), ord("1")

# The stored generated column's expression over the JSON column ``%(expressions)s``, per
# database. PostgreSQL prints a jsonb array of 0 / 1 numbers exactly as ``[0, 1, 1]`` (``[]``
# when empty), so the pattern admits precisely the vectors :func:`pack` packs; the digits become
# the bytes. SQLite (the embedded set-up) keeps the JSON text Django wrote (``json.dumps``: the
# same spelling): the digits left after taking out ``[``, ``]`` and ``, `` must be all 0 / 1 and
# the text exactly as long as that spelling of them.
PACK_SQL = (
    "CASE WHEN (%(expressions)s)::text ~ '^\\[([01](, [01])*)?\\]$' "
    "THEN decode(translate((%(expressions)s)::text, '[], ', ''), 'escape') END"
)
_DIGITS_SQLITE = "replace(replace(replace(%(expressions)s, '[', ''), ']', ''), ', ', '')"
PACK_SQL_SQLITE = (
    f"CASE WHEN substr(%(expressions)s, 1, 1) = '[' AND ltrim({_DIGITS_SQLITE}, '01') = '' "
    f"AND length(%(expressions)s) = max(2, 3 * length({_DIGITS_SQLITE})) "
    f"THEN CAST({_DIGITS_SQLITE} AS BLOB) END"
)


def pack(vector: Any) -> bytes | None:
    """``vector`` (a list or tuple of 0 / 1 ints) as packed bytes, or ``None`` when it has no
    packed form (see the module docstring)."""
    if not isinstance(vector, list | tuple):
        return None
    if not all(value.__class__ is int and (value == 0 or value == 1) for value in vector):
        return None
    return bytes(ZERO + value for value in vector)


def unpack(packed: bytes | bytearray | memoryview) -> tuple[int, ...]:
    """Packed bytes back as the vector (a tuple of 0 / 1); ``ValueError`` on any other byte."""
    data = bytes(packed)
    if data.translate(None, b"01"):
        raise ValueError(f"not a packed answer vector: {data[:20]!r}")
    return tuple(value - ZERO for value in data)


def packs_to(packed: Sequence[Any], n: int) -> bool:
    """Whether every value is packed bytes of exactly ``n`` questions (the reader's guard)."""
    return all(value.__class__ is bytes and len(value) == n for value in packed)
