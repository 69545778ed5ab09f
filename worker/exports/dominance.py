"""Dominance-pair dataset versions (``kind: dominance_pairs``): the per-dimension scores of a
version's assets read from the database, and the export of a version of that kind.

The rule, the candidate pairs, the statistics and the folder are pure
(:mod:`datasets_app.export.dominance`); here only the reading: every ready asset of the
projects, its features from people's answers (a reviewer's gold answer, else the consensus of
the submitted and reviewed annotations) or from the model's latest prediction (P(yes)), scored
by the platform's scorer (:func:`worker.weights.scoring.score`) under the weight set, whose
per-dimension parts are the scores the rule compares."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from annotator.checklist import Checklist
from annotator.models import Asset
from datasets_app.export.dominance import DominanceRule, ScoredAsset
from worker.weights.types import AssetFeatures, WeightVector

BATCH = 2000
VECTOR_FIELDS = ("coefficients", "encoding", "normalization", "intercept", "extra", "extra_defaults", "gates")


def vector_of(weights: Mapping[str, Any], checklist: Checklist) -> WeightVector:
    """A weight set's snapshot (``DatasetVersion.weights``) as a weight vector with the
    checklist's question → dimension map."""
    from worker.weights.features import checklist_dimensions
    from worker.weights.scoring import weight_vector_from_dict

    return dataclasses.replace(
        weight_vector_from_dict({k: weights[k] for k in VECTOR_FIELDS if k in weights}),
        dimensions=checklist_dimensions(checklist),
    )


def dimension_scores(
    features: AssetFeatures, vector: WeightVector, dimensions: Iterable[str]
) -> tuple[float, dict[str, float]]:
    """(whole reward, dimension → its part) for one asset: the scorer's own per-dimension sums
    (Σ coefficient × encoded answer over the dimension's questions); a dimension the weight set
    gives no coefficient scores 0."""
    from worker.weights.scoring import score

    result = score(features, vector)
    return result.total, {d: float(result.dimensions.get(d, 0.0)) for d in dimensions}


def scored_assets(
    projects, checklist_version, weights: Mapping[str, Any], rule: DominanceRule, root: Path | None = None
) -> tuple[list[ScoredAsset], int]:
    """Every ready asset of ``projects`` with its per-dimension scores under ``weights`` from the
    rule's source, and how many ready assets had no scores (no answers / no prediction).
    ``root``: the media storage's folder on this host (media sources are then paths under it),
    or None (storage names, on an object store)."""
    from worker.weights.answers import human_features, model_features, with_asset_extra

    checklist = checklist_version.checklist
    vector = vector_of(weights, checklist)
    extra_names = list((weights.get("extra") or {}).keys())
    all_dimensions = [d.key for d in checklist.dimensions]
    out: list[ScoredAsset] = []
    unscored = 0
    for project in projects:
        rows = list(
            Asset.objects.filter(project=project, status=Asset.Status.READY)
            .order_by("id")
            .values_list("id", "prompt", "files", "sha256", "metadata")
        )
        for start in range(0, len(rows), BATCH):
            chunk = rows[start : start + BATCH]
            ids = [row[0] for row in chunk]
            human = human_features(project, checklist_version, ids) if rule.source != "model" else {}
            model = model_features(project, checklist_version, ids) if rule.source != "human" else {}
            for asset_id, prompt, files, sha256, metadata in chunk:
                if asset_id in human:
                    features, source = human[asset_id][0], "human"
                elif asset_id in model:
                    features, source = model[asset_id][0], "model"
                else:
                    unscored += 1
                    continue
                total, scores = dimension_scores(
                    with_asset_extra(features, metadata, extra_names), vector, all_dimensions
                )
                rel = (files or {}).get("display") or (files or {}).get("original") or ""
                out.append(
                    ScoredAsset(
                        asset_id=asset_id,
                        prompt=prompt or "",
                        scores=scores,
                        project_id=project.pk,
                        media_path=(str(root / rel) if root is not None else rel) if rel else "",
                        media_sha256=sha256 or None,
                        total=total,
                        source=source,
                    )
                )
    return out, unscored
