"""Simulated annotation data for weight tests: assets answered by people (random options of the
built-in image checklist), pair tasks of assets of the same prompt rated 1–5 by raters whose
preference follows planted weights with noise. Rows are written directly (bulk), not through the
claim/submit API, so that a few hundred pairs take a fraction of a second."""

from __future__ import annotations

import math
import random
from datetime import timedelta

from django.utils import timezone

from annotator.checklist import expand
from annotator.models import Annotation, Assignment, Task
from tests import factories as f

# The planted truth of the simulation: a few questions with weights of the size of the published
# image weights (the recovery of those published weights themselves is tested in tests/weights).
PLANTED = {
    "q8": 0.5828,
    "q17": 0.3248,
    "q18": 0.2115,
    "q21": 0.1307,
    "q23": 0.1018,
    "q30": 0.1146,
    "q34": 0.0824,
    "q40": 0.0775,
    "q57": 0.0688,
}


def signed_answers(checklist, answers, mask) -> dict[str, int]:
    return {q.key: (2 * answers[q.index] - 1) * mask[q.index] for q in checklist.questions}


def random_options(checklist, rng: random.Random) -> dict:
    """A random complete, consistent choice (gated sub-dimensions left out when closed)."""
    options: dict = {}
    for sub in checklist.gate_order:
        if sub.gated_by is not None:
            gate_sub = checklist.sub_dimension_of(sub.gated_by)
            chosen = options.get(gate_sub.key)
            if chosen is None or not gate_sub.is_yes(checklist.question(sub.gated_by), chosen):
                continue
            # an open gate means the thing is there: not its "not present" option
            options[sub.key] = rng.choice([o for o in sub.options if not o.not_present]).code
        else:
            options[sub.key] = rng.choice(sub.options).code
    return options


def _submitted(task, who, when) -> Assignment:
    return Assignment.objects.create(
        task=task,
        user=who,
        project=task.project,
        state=Assignment.State.SUBMITTED,
        leased_at=when,
        expires_at=when + timedelta(hours=1),
        finished_at=when,
    )


def answer(asset, who, options, *, when=None, version=None) -> Annotation:
    """A submitted annotation of ``asset``'s single task by ``who`` with ``options``."""
    version = version or asset.project.checklist_version
    expansion = expand(version.checklist, options)
    task = Task.objects.get(asset=asset, kind=Task.Kind.SINGLE)
    now = when or timezone.now()
    return Annotation.objects.create(
        assignment=_submitted(task, who, now),
        task=task,
        project=asset.project,
        user=who,
        checklist_version=version,
        options=options,
        answers=list(expansion.answers),
        mask=list(expansion.mask),
        submitted_at=now,
    )


def rate(pair_task, who, preference: int) -> Annotation:
    """A submitted 1–5 rating of a pair task by ``who``."""
    now = timezone.now()
    return Annotation.objects.create(
        assignment=_submitted(pair_task, who, now),
        task=pair_task,
        project=pair_task.project,
        user=who,
        checklist_version=pair_task.project.checklist_version,
        preference=preference,
        submitted_at=now,
    )


def simulate(
    project,
    rater,
    *,
    prompts: int = 6,
    per_prompt: int = 8,
    seed: int = 0,
    noise: float = 4.0,
    planted: dict | None = None,
    rate_pairs: bool = True,
) -> dict:
    """Assets with one human annotation each and every within-prompt pair rated once.

    Ratings: P(A preferred) = σ(noise · (s_A − s_B)) with s = Σ planted_w · signed answer;
    the rater says 2 (A better) or 4 (B better), 1 / 5 when the difference is large, and 3
    when |s_A − s_B| is tiny. Returns {"assets": [...], "pairs": [...], "scores": {asset id: s}}.
    """
    planted = planted or PLANTED
    rng = random.Random(seed)
    checklist = project.checklist_version.checklist
    assets, scores = [], {}
    for p in range(prompts):
        group = []
        for n in range(per_prompt):
            asset = f.ready_asset(project, prompt=f"prompt {p}", name=f"p{p}-{n}.jpg")
            options = random_options(checklist, rng)
            annotation = answer(asset, rater, options)
            signed = signed_answers(checklist, annotation.answers, annotation.mask)
            scores[asset.pk] = sum(w * signed[k] for k, w in planted.items())
            group.append(asset)
        assets.extend(group)
    pairs = []
    for start in range(0, len(assets), per_prompt):
        group = assets[start : start + per_prompt]
        for i in range(len(group)):
            for j in range(i + 1, len(group)):
                a, b = group[i], group[j]
                task = Task.objects.create(project=project, kind=Task.Kind.PAIR, asset=a, asset_b=b, required=1)
                pairs.append(task)
                if not rate_pairs:
                    continue
                delta = scores[a.pk] - scores[b.pk]
                if abs(delta) < 1e-9:
                    preference = 3
                else:
                    a_wins = rng.random() < 1 / (1 + math.exp(-noise * delta))
                    strong = abs(delta) > 0.6
                    preference = (1 if strong else 2) if a_wins else (5 if strong else 4)
                rate(task, rater, preference)
    return {"assets": assets, "pairs": pairs, "scores": scores}
