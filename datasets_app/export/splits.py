"""Deterministic train/validation/test assignment by prompt.

Rule: ``u = int(sha256(f"{seed}\\x00{prompt}")[:8]) / 2**64`` is a number in [0, 1) that
depends only on the seed and the exact prompt text; the split is the first one, in the order
of the ratios mapping, whose cumulative share exceeds ``u``. Consequences:

* every row of one prompt (all its assets, annotations and pairs) lands in one split, so no
  prompt straddles splits;
* adding prompts never moves old ones (a prompt's split depends on nothing else);
* the shares are respected in expectation (law of large numbers over prompts, not rows);
* another seed reshuffles everything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from .items import validate_split_ratios

_SCALE = float(2**64)


def prompt_unit(prompt: str, seed: int) -> float:
    """The prompt's position in [0, 1) for this seed."""
    digest = hashlib.sha256(f"{seed}\x00{prompt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def split_of(prompt: str, ratios: Mapping[str, float], seed: int) -> str:
    """The split of every row whose prompt is ``prompt`` (see the module docstring).
    Bad ratios raise :class:`~datasets_app.export.items.ExportError` naming ``split_ratios``."""
    return splitter(ratios, seed)(prompt)


def splitter(ratios: Mapping[str, float], seed: int) -> Callable[[str], str]:
    """``split_of`` with the ratios checked once: prompt → split (for a whole export). It
    remembers the last prompt's split, since rows of one prompt often come together."""
    validate_split_ratios(ratios)
    bounds: list[tuple[float, str]] = []
    cumulative = 0.0
    for name, share in ratios.items():
        cumulative += share
        bounds.append((cumulative, name))
    last_name = bounds[-1][1]  # rounding: the shares sum to 1 within the tolerance
    last: list = [None, last_name]
    prefix = f"{seed}\x00".encode()  # prompt_unit's digest input, less the prompt
    sha256, from_bytes = hashlib.sha256, int.from_bytes

    def split(prompt: str) -> str:
        if prompt == last[0]:
            return last[1]
        unit = from_bytes(sha256(prefix + prompt.encode()).digest()[:8], "big") / _SCALE  # prompt_unit
        name = last_name
        for bound, candidate in bounds:
            if unit < bound:
                name = candidate
                break
        last[0], last[1] = prompt, name
        return name

    limits = np.array([bound for bound, _ in bounds], dtype=np.float64)
    names = [name for _, name in bounds] + [last_name]

    def many(prompts: Sequence[str]) -> list[str]:
        """``[split(p) for p in prompts]``, the units compared in one step."""
        if not prompts:
            return []
        heads = b"".join([sha256(prefix + prompt.encode()).digest()[:8] for prompt in prompts])
        units = np.frombuffer(heads, dtype=">u8").astype(np.float64) / _SCALE
        return [names[k] for k in np.searchsorted(limits, units, side="right").tolist()]

    split.many = many  # type: ignore[attr-defined]
    return split
