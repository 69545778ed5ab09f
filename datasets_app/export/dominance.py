"""Multi-dimensional consistent ("dominance") preference pairs, as VisionReward's MPO trains on
(pure: no Django, no database).

Among the samples of one prompt, a pair (A, B) is kept only when A is at least as good as B in
every chosen dimension and clearly better in at least one, so that no dimension is traded
against another. With per-dimension scores ``s`` (the weight set's per-dimension part of the
linear reward), the chosen dimensions ``D``, a margin ``m_d > 0`` per dimension and a
``tolerance`` ``t ≥ 0`` (smaller than every margin)::

    A dominates B on D  ⇔  for every d in D: s_A[d] − s_B[d] ≥ −t
                           and for some d in D: s_A[d] − s_B[d] ≥ m_d

Since ``t`` is smaller than every margin, A and B never dominate each other. Every ordered pair
of two different assets of one prompt that satisfies the rule is a *candidate*
(:func:`candidate_pairs`, the full set). ``pairs_per_prompt`` then caps each prompt
(:func:`select_pairs`): candidates are taken in order of their *strength*
``Σ_d (s_A[d] − s_B[d]) / m_d`` (largest first; ties by chosen asset id, then rejected asset id),
skipping a candidate whose asset has already been used ``max_uses`` times in that prompt, until
the cap is reached. The choice is deterministic (no randomness), so the same scores and rule
give the same pairs.

:func:`dominance_stats` counts, before anything is exported, how many ordered pairs each
dimension alone would allow (its difference reaches its margin), how many the full rule yields,
how many remain after the cap, and how many prompts have at least one pair.

:func:`export_dominance` writes the pairs as a Hugging Face dataset folder in the layout DPO
trainers read (``prompt``, ``chosen``, ``rejected``), with per-dimension scores and margins.
"""

from __future__ import annotations

import math
import numbers
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datasets import Features, Image, List, Value

from annotator.checklist import Checklist

from .card import card_header, size_category, write_card_files
from .items import ExportError, ExportSettings, MediaRef
from .splits import splitter
from .writers import ContentHasher, FileDigests, MediaOpener, MediaStore, ParquetSplitWriter, WrittenConfig

KIND = "dominance_pairs"
CONFIG = "default"  # the only config of a dominance version: ``load_dataset(folder)`` reads it
SOURCES = ("human", "model", "human_else_model")
SOURCE_TEXT = {
    "human": "people's answers: a reviewer's gold answer where there is one, else the consensus of the "
    "submitted and reviewed annotations",
    "model": "the model's latest prediction: the expected score under its P(yes) (each question's "
    "answer replaced by its probability)",
    "human_else_model": "people's answers (gold, else consensus) where an asset has any, else the model's "
    "latest prediction (expected score under its P(yes))",
}
RULE_FIELDS = ("source", "margins", "pairs_per_prompt", "max_uses", "tolerance")


@dataclass(frozen=True)
class DominanceRule:
    """Which pairs are kept (see the module docstring).

    ``margins``: dimension key → margin (> 0); its keys, in order, are the chosen dimensions.
    ``pairs_per_prompt``: at most this many pairs per prompt. ``max_uses``: each asset in at
    most this many of a prompt's pairs (``None``: no limit). ``tolerance``: how far below the
    other a sample may be on a dimension and still count as "at least as good" (0 by default;
    smaller than every margin). ``source``: where the scores come from (:data:`SOURCES`)."""

    margins: dict[str, float]
    pairs_per_prompt: int = 4
    max_uses: int | None = None
    tolerance: float = 0.0
    source: str = "human"

    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(self.margins)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "margins": {key: float(value) for key, value in self.margins.items()},
            "pairs_per_prompt": self.pairs_per_prompt,
            "max_uses": self.max_uses,
            "tolerance": float(self.tolerance),
        }


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(float(value))


def rule_from_dict(data: object, dimensions: Sequence[str]) -> DominanceRule:
    """A validated rule from its JSON form; ``dimensions``: the checklist's dimension keys.
    Raises :class:`ExportError` whose ``field`` names the bad field (``margins.<key>`` for one
    dimension's margin)."""
    if not isinstance(data, Mapping):
        raise ExportError("must be an object with source, margins and pairs_per_prompt", "")
    for key in data:
        if key not in RULE_FIELDS:
            raise ExportError(f"unknown field {key!r}; the fields are {', '.join(RULE_FIELDS)}", str(key))
    source = data.get("source", "human")
    if source not in SOURCES:
        raise ExportError(f"unknown source {source!r}; use one of {', '.join(SOURCES)}", "source")
    margins = data.get("margins")
    if not isinstance(margins, Mapping) or not margins:
        raise ExportError("choose at least one dimension: an object of dimension → margin (> 0)", "margins")
    known = list(dimensions)
    out: dict[str, float] = {}
    for key, margin in margins.items():
        if key not in known:
            raise ExportError(
                f"unknown dimension {key!r}; the checklist's dimensions are {', '.join(known)}", f"margins.{key}"
            )
        if not _is_number(margin) or float(margin) <= 0:
            raise ExportError(f"the margin must be a number > 0 (got {margin!r})", f"margins.{key}")
        out[key] = float(margin)
    pairs_per_prompt = data.get("pairs_per_prompt", 4)
    if not _is_int(pairs_per_prompt) or pairs_per_prompt < 1:
        raise ExportError(f"must be a positive integer (got {pairs_per_prompt!r})", "pairs_per_prompt")
    max_uses = data.get("max_uses")
    if max_uses is not None and (not _is_int(max_uses) or max_uses < 1):
        raise ExportError(f"must be a positive integer or null (got {max_uses!r})", "max_uses")
    tolerance = data.get("tolerance", 0.0)
    if not _is_number(tolerance) or float(tolerance) < 0:
        raise ExportError(f"must be a number ≥ 0 (got {tolerance!r})", "tolerance")
    if float(tolerance) >= min(out.values()):
        raise ExportError(
            f"must be smaller than every margin (the smallest is {min(out.values()):g}), or a pair could "
            "dominate both ways",
            "tolerance",
        )
    return DominanceRule(
        margins=out,
        pairs_per_prompt=pairs_per_prompt,
        max_uses=max_uses,
        tolerance=float(tolerance),
        source=source,
    )


@dataclass(frozen=True)
class ScoredAsset:
    """One sample with its per-dimension scores (dimension key → score; a chosen dimension
    missing here counts 0, as a dimension the weight set gives no weight). ``media_path``: the
    file to export (or a name the export's ``open_media`` opens). ``total``: the whole reward."""

    asset_id: int
    prompt: str
    scores: dict[str, float]
    project_id: int = 0
    media_path: str = ""
    media_sha256: str | None = None
    total: float | None = None
    source: str = "human"


@dataclass(frozen=True)
class Candidate:
    """``chosen`` dominates ``rejected``; ``margins``: per chosen dimension, the difference
    ``s_chosen[d] − s_rejected[d]``; ``strength``: Σ difference / margin."""

    chosen: ScoredAsset
    rejected: ScoredAsset
    margins: dict[str, float]
    strength: float


def _score(asset: ScoredAsset, dimension: str) -> float:
    return float(asset.scores.get(dimension, 0.0))


def differences(a: ScoredAsset, b: ScoredAsset, rule: DominanceRule) -> dict[str, float]:
    return {d: _score(a, d) - _score(b, d) for d in rule.dimensions}


def dominates(a: ScoredAsset, b: ScoredAsset, rule: DominanceRule) -> bool:
    """Whether A dominates B under the rule (the module docstring's definition)."""
    diff = differences(a, b, rule)
    return all(v >= -rule.tolerance for v in diff.values()) and any(diff[d] >= rule.margins[d] for d in rule.dimensions)


def _sort_key(candidate: Candidate) -> tuple:
    return (-candidate.strength, candidate.chosen.asset_id, candidate.rejected.asset_id)


def candidate_pairs(assets: Sequence[ScoredAsset], rule: DominanceRule) -> list[Candidate]:
    """Every ordered pair of two different assets (of one prompt) where the first dominates the
    second, strongest first (the order :func:`select_pairs` takes them in)."""
    out = []
    for a in assets:
        for b in assets:
            if a.asset_id == b.asset_id or not dominates(a, b, rule):
                continue
            diff = differences(a, b, rule)
            strength = math.fsum(diff[d] / rule.margins[d] for d in rule.dimensions)
            out.append(Candidate(chosen=a, rejected=b, margins=diff, strength=strength))
    out.sort(key=_sort_key)
    return out


def select_pairs(candidates: Sequence[Candidate], rule: DominanceRule) -> list[Candidate]:
    """At most ``pairs_per_prompt`` of one prompt's candidates: strongest first, each asset in at
    most ``max_uses`` of them."""
    uses: dict[int, int] = defaultdict(int)
    out: list[Candidate] = []
    for candidate in sorted(candidates, key=_sort_key):
        if len(out) >= rule.pairs_per_prompt:
            break
        a, b = candidate.chosen.asset_id, candidate.rejected.asset_id
        if rule.max_uses is not None and (uses[a] >= rule.max_uses or uses[b] >= rule.max_uses):
            continue
        uses[a] += 1
        uses[b] += 1
        out.append(candidate)
    return out


def by_prompt(assets: Iterable[ScoredAsset]) -> dict[str, list[ScoredAsset]]:
    """Assets grouped by prompt, prompts sorted, each prompt's assets by id."""
    groups: dict[str, list[ScoredAsset]] = defaultdict(list)
    for asset in assets:
        groups[asset.prompt].append(asset)
    return {prompt: sorted(groups[prompt], key=lambda a: a.asset_id) for prompt in sorted(groups)}


def dominance_pairs(assets: Iterable[ScoredAsset], rule: DominanceRule) -> list[Candidate]:
    """The exported pairs: per prompt (sorted), the selected candidates."""
    out = []
    for group in by_prompt(assets).values():
        out.extend(select_pairs(candidate_pairs(group, rule), rule))
    return out


def dominance_stats(assets: Iterable[ScoredAsset], rule: DominanceRule, unscored: int = 0) -> dict[str, Any]:
    """What a rule yields, before exporting (JSON-able):

    * ``assets``, ``prompts``, ``prompts_with_several``: scored assets, their prompts, prompts
      with two or more of them; ``unscored``: assets left out for want of scores (given);
      ``ordered_pairs``: ordered pairs of two assets of one prompt (the pairs examined);
    * ``per_dimension``: dimension → ``alone`` (ordered pairs where that dimension's difference
      reaches its margin: what the dimension alone would allow), ``in_rule`` (candidates where
      it does) and ``margin``;
    * ``candidates``: pairs the full rule yields; ``selected``: after ``pairs_per_prompt`` /
      ``max_uses``; ``prompts_with_pairs``: prompts with at least one selected pair.
    """
    groups = by_prompt(assets)
    alone = dict.fromkeys(rule.dimensions, 0)
    in_rule = dict.fromkeys(rule.dimensions, 0)
    candidates = selected = prompts_with_pairs = ordered = 0
    for group in groups.values():
        ordered += len(group) * (len(group) - 1)
        for a in group:
            for b in group:
                if a.asset_id != b.asset_id:
                    for d in rule.dimensions:
                        if _score(a, d) - _score(b, d) >= rule.margins[d]:
                            alone[d] += 1
        found = candidate_pairs(group, rule)
        candidates += len(found)
        for candidate in found:
            for d in rule.dimensions:
                if candidate.margins[d] >= rule.margins[d]:
                    in_rule[d] += 1
        kept = len(select_pairs(found, rule))
        selected += kept
        prompts_with_pairs += kept > 0
    return {
        "assets": sum(len(group) for group in groups.values()),
        "unscored": unscored,
        "prompts": len(groups),
        "prompts_with_several": sum(1 for group in groups.values() if len(group) > 1),
        "ordered_pairs": ordered,
        "per_dimension": {
            d: {"margin": rule.margins[d], "alone": alone[d], "in_rule": in_rule[d]} for d in rule.dimensions
        },
        "candidates": candidates,
        "selected": selected,
        "prompts_with_pairs": prompts_with_pairs,
        "rule": rule.to_dict(),
    }


# --- the dataset folder ------------------------------------------------------------------------


def dominance_features(media_type: str, dimensions: Sequence[str]) -> Features:
    """Columns of a dominance version. ``chosen`` / ``rejected``: images (``Image``) or, for
    videos, paths relative to the folder (strings, as ``video_path`` elsewhere)."""
    if media_type not in ("image", "video"):
        raise ExportError(f"unknown media type {media_type!r}; use 'image' or 'video'", "media_type")
    media = Image() if media_type == "image" else Value("string")
    per_dimension = {d: Value("float64") for d in dimensions}
    return Features(
        {
            "id": Value("string"),
            "project_id": Value("int64"),
            "prompt": Value("string"),
            "chosen": media,
            "rejected": media,
            "chosen_asset_id": Value("int64"),
            "rejected_asset_id": Value("int64"),
            "chosen_scores": dict(per_dimension),
            "rejected_scores": dict(per_dimension),
            "margins": dict(per_dimension),
            "dimensions": List(Value("string")),
            "strength": Value("float64"),
            "chosen_score": Value("float64"),
            "rejected_score": Value("float64"),
            "source": Value("string"),
        }
    )


COLUMN_TEXT = {
    "id": "`<chosen asset id>-<rejected asset id>`",
    "prompt": "the generation prompt both samples share",
    "chosen": "the dominating sample (image, or video path relative to this folder)",
    "rejected": "the dominated sample",
    "chosen_asset_id": "the chosen sample's asset id on the platform",
    "rejected_asset_id": "the rejected sample's asset id",
    "chosen_scores": "per chosen dimension, the chosen sample's score (its part of the linear reward)",
    "rejected_scores": "per chosen dimension, the rejected sample's score",
    "margins": "per chosen dimension, chosen − rejected (never below −tolerance; one at least its margin)",
    "dimensions": "the chosen dimensions, in rule order",
    "strength": "Σ over dimensions of (chosen − rejected) / margin: the order pairs were picked in",
    "chosen_score": "the chosen sample's whole reward",
    "rejected_score": "the rejected sample's whole reward",
    "source": "where the scores come from (human, model; for human_else_model each pair's sources)",
}


def _media(asset: ScoredAsset, media_type: str) -> MediaRef:
    return MediaRef(asset.media_path, sha256=asset.media_sha256, embed=None if media_type == "image" else False)


def pair_row(candidate: Candidate, rule: DominanceRule, media_type: str) -> dict[str, Any]:
    a, b = candidate.chosen, candidate.rejected
    source = a.source if a.source == b.source else f"{a.source}/{b.source}"
    return {
        "id": f"{a.asset_id}-{b.asset_id}",
        "project_id": a.project_id,
        "prompt": a.prompt,
        "chosen": _media(a, media_type),
        "rejected": _media(b, media_type),
        "chosen_asset_id": a.asset_id,
        "rejected_asset_id": b.asset_id,
        "chosen_scores": {d: _score(a, d) for d in rule.dimensions},
        "rejected_scores": {d: _score(b, d) for d in rule.dimensions},
        "margins": dict(candidate.margins),
        "dimensions": list(rule.dimensions),
        "strength": candidate.strength,
        "chosen_score": a.total,
        "rejected_score": b.total,
        "source": source,
    }


@dataclass
class DominanceResult:
    """What :func:`export_dominance` wrote (the same shape the version row keeps)."""

    folder: str
    content_hash: str
    configs: dict[str, WrittenConfig]
    stats: dict[str, Any]
    files: list[str] = field(default_factory=list)


def rule_text(rule: DominanceRule) -> list[str]:
    """The rule in words (the card and docs/datasets.md say the same)."""
    margins = ", ".join(f"`{d}` ≥ {m:g}" for d, m in rule.margins.items())
    return [
        f"A pair (chosen, rejected) of two samples of the same prompt is kept only when, on every chosen "
        f"dimension d, `chosen_scores[d] − rejected_scores[d] ≥ −{rule.tolerance:g}` (at least as good), and "
        f"on at least one, the difference reaches that dimension's margin ({margins}): no dimension is "
        "traded against another (VisionReward's multi-objective preference optimization, MPO).",
        "",
        f"Of a prompt's candidates at most {rule.pairs_per_prompt} are kept, strongest first "
        "(strength = Σ difference / margin; ties by asset ids)"
        + (f", each sample in at most {rule.max_uses} of them" if rule.max_uses is not None else "")
        + ". The choice is deterministic.",
    ]


def dominance_card(
    *,
    settings: ExportSettings,
    checklist: Checklist,
    config: WrittenConfig,
    rule: DominanceRule,
    stats: Mapping[str, Any],
    weights: Mapping[str, Any] | None,
    provenance: Mapping[str, Any] | None,
    content_hash: str,
    dataset_name: str,
) -> str:
    import yaml

    configs = [config] if config.splits else []
    header = card_header(settings, checklist, configs, extra_tags=("dpo", "mpo", "dominance-pairs"))
    header["size_categories"] = [size_category(config.num_rows)]
    image = checklist.media_type == "image"
    lines = [
        "---",
        yaml.safe_dump(header, sort_keys=False, allow_unicode=True, width=1000).rstrip(),
        "---",
        "",
        f"# {settings.pretty_name}",
        "",
        settings.description or "",
        "",
        "Multi-dimensionally consistent preference pairs (dominance pairs) for DPO-style training of a "
        f"{checklist.media_type} generator, from the checklist `{checklist.key}`.",
        "",
        "## The rule",
        "",
        *rule_text(rule),
        "",
        f"- dimensions and margins: {', '.join(f'{d} ({m:g})' for d, m in rule.margins.items())}",
        f"- tolerance: {rule.tolerance:g}",
        f"- pairs per prompt: {rule.pairs_per_prompt}; max uses per sample: {rule.max_uses or 'no limit'}",
        f"- source of the scores: `{rule.source}`: {SOURCE_TEXT[rule.source]}",
        f"- weight set: {(weights or {}).get('label', 'none')}"
        + (f" (id {(weights or {}).get('id')})" if weights else ""),
        "",
        "A dimension's score is the weight set's part of the linear reward on that dimension's questions "
        "(Σ weight × encoded answer, as the platform's scorer and VisionReward's reference scorer compute it).",
        "",
        "## Counts",
        "",
        "| rule | pairs |",
        "| --- | --- |",
        *(
            f"| `{d}` alone (difference ≥ {v['margin']:g}) | {v['alone']} |"
            for d, v in stats.get("per_dimension", {}).items()
        ),
        f"| the full rule (candidates) | {stats.get('candidates', 0)} |",
        f"| after the per-prompt cap (exported) | {stats.get('selected', 0)} |",
        "",
        f"- samples with scores: {stats.get('assets', 0)} (left out without scores: {stats.get('unscored', 0)})",
        f"- prompts: {stats.get('prompts', 0)}; with at least one pair: {stats.get('prompts_with_pairs', 0)}",
        f"- splits (by prompt): {', '.join(f'{n} {s.num_examples}' for n, s in config.splits.items()) or 'none'}",
        f"- content hash: `{content_hash}`",
        "",
        "## Columns",
        "",
        "| column | meaning |",
        "| --- | --- |",
        *(f"| `{name}` | {COLUMN_TEXT.get(name, '')} |" for name in config.features),
        "",
        "## Loading and training",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        f'ds = load_dataset("{dataset_name}")',
        'row = ds["train"][0]',
        'row["chosen"], row["rejected"], row["margins"]',
        "```",
        "",
    ]
    if image and not settings.embed_media:
        lines += [
            "Images are not embedded: `chosen` / `rejected` hold paths relative to this folder "
            "(load with `Image(decode=False)` and join them to the folder).",
            "",
        ]
    elif not image:
        lines += ["Videos are not embedded: `chosen` / `rejected` are paths relative to this folder.", ""]
    lines += [
        "The columns `prompt`, `chosen`, `rejected` are the preference layout DPO trainers read "
        "(e.g. Diffusion-DPO style trainers; TRL's `DPOTrainer` for the text side).",
        "",
    ]
    if provenance:
        lines += ["## Provenance", ""]
        lines += [f"- {k.replace('_', ' ')}: {v}" for k, v in provenance.items() if not isinstance(v, list | dict)]
        lines.append("")
    return "\n".join(lines)


def export_dominance(
    folder: str | os.PathLike,
    *,
    checklist: Checklist,
    settings: ExportSettings,
    rule: DominanceRule,
    assets: Iterable[ScoredAsset],
    unscored: int = 0,
    weights: Mapping[str, Any] | None = None,
    provenance: Mapping[str, Any] | None = None,
    dataset_name: str | None = None,
    open_media: MediaOpener | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> DominanceResult:
    """Write a dominance-pair dataset folder: ``README.md`` (the card, stating the rule),
    ``checklist.json``, ``weights.json`` and ``data/<split>-*.parquet`` (the only config,
    ``default``; splits by prompt as the other exports). The content hash covers the checklist,
    the weight set, the rule and every row (media by content)."""
    settings.validate()
    media_type = checklist.media_type
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise ExportError(f"{folder} is not empty; export into a new folder", "folder")
    folder.mkdir(parents=True, exist_ok=True)
    assets = list(assets)
    stats = dominance_stats(assets, rule, unscored=unscored)
    hasher = ContentHasher()
    hasher.update_meta("kind", KIND)
    hasher.update_meta("checklist", checklist.content_hash())
    hasher.update_meta("weights", dict(weights) if weights is not None else None)
    hasher.update_meta("rule", rule.to_dict())
    media = MediaStore(folder, embed=settings.embed_media, digests=FileDigests(open_media))
    split_of = splitter(settings.split_ratios, settings.seed)
    writer = ParquetSplitWriter(
        folder,
        CONFIG,
        dominance_features(media_type, rule.dimensions),
        settings.shard_rows,
        media=media,
        split_order=list(settings.split_ratios),
        hasher=hasher,
    )
    try:
        for count, candidate in enumerate(dominance_pairs(assets, rule), start=1):
            writer.add(split_of(candidate.chosen.prompt), pair_row(candidate, rule, media_type))
            if progress is not None and count % 1000 == 0:
                progress("pairs", count)
        config = writer.close()
    except BaseException:
        writer.abort()
        raise
    content_hash = hasher.hexdigest()
    card = dominance_card(
        settings=settings,
        checklist=checklist,
        config=config,
        rule=rule,
        stats=stats,
        weights=weights,
        provenance=provenance,
        content_hash=content_hash,
        dataset_name=dataset_name or "path/to/this/folder",
    )
    write_card_files(folder, card, checklist, weights)
    files = sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())
    return DominanceResult(
        folder=str(folder),
        content_hash=content_hash,
        configs={CONFIG: config} if config.splits else {},
        stats=stats,
        files=files,
    )
