"""People's answers, expanded from their chosen options, score exactly like the reference scorers.

The built-in video checklist keeps q17 ("Is there any lighting present?") and q56 ("Are there
any letters present?") as presence questions: choosing "no lighting" / "no letters" masks q15,
q16 / q54, q55 (mask 0). The reference video scorer (THUDM/VisionReward inference-video.py) has
no presence masks: every one of its 29 questions is answered yes (+1) or no (−1), and the score
is mean(answer × weight). These tests check, through the real path (``expand`` → features →
``score`` with the published weight set), that the platform's score equals the reference's for
every answer vector, that a consensus scores the mean of the raters' reference scores, that the
image checklist still matches the image reference scorer (which does have presence masks), and
that the exported answers are the reference's answers.

The reference is re-implemented here from /work/shared/docs/visionreward.md on the raw upstream
files in worker/weights/public/ (positional, by question-file line), independently of the
platform's masks: a question is *yes* iff the chosen option of its sub-dimension is at or above
its threshold option (the not-present option is the lowest, so it answers every question *no*).
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from annotator.checklist import expand
from datasets_app.export import Item, rows_of, visionreward_row
from tests.checklist.helpers import random_option_set
from tests.datasets import answers_for, settings
from worker.weights.features import consensus_features, features_from_annotation
from worker.weights.public import public_weight_vector
from worker.weights.scoring import score

PUBLIC = Path(__file__).resolve().parents[2] / "worker" / "weights" / "public"
TOL = 1e-12
N_RANDOM = 600


@cache
def raw_lines(name: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in (PUBLIC / name).read_text(encoding="utf-8").splitlines())


@cache
def raw_weights(name: str):
    return json.loads((PUBLIC / name).read_text(encoding="utf-8"))


# --- the reference, from the chosen options ----------------------------------------------------


def completed_options(checklist, options: dict) -> dict:
    """Every sub-dimension's option: the chosen one, or (closed by its gate) its not-present one."""
    out = {}
    for sub in checklist.sub_dimensions:
        if sub.key in options:
            out[sub.key] = options[sub.key]
        else:
            absent = sub.not_present_option
            out[sub.key] = absent.code if absent is not None else None
    return out


def reference_answers(checklist, options: dict, file_name: str) -> list[int]:
    """+1 / −1 per line of an upstream question file: the threshold rule on the chosen options,
    with no mask of any kind."""
    by_text = {question.text.strip(): question for question in checklist.questions}
    chosen = completed_options(checklist, options)
    out = []
    for line in raw_lines(file_name):
        question = by_text[line]
        sub = checklist.sub_dimension(question.sub_dimension)
        code = chosen[sub.key]
        out.append(1 if code is not None and sub.rank(code) <= sub.rank(question.yes_if_at_least) else -1)
    return out


def reference_video_score(answers: list[int]) -> float:
    """inference-video.py ``score`` after the answers: mean(answer × weight) over the 29 lines."""
    return float(np.mean(np.array(answers) * np.array(raw_weights("video_weight.json"))))


IMAGE_MASKS = {0: [22, 23, 24, 28, 29], 1: [25, 26], 2: [27]}  # inference-image.py MASK_FEATURE_MAP


def reference_image_score(answers: list[int], alignment: float = 0.7) -> float:
    """inference-image.py ``cal_score`` after the answers (30 select lines, presence masks)."""
    reward = list(answers)
    for presence, masked in IMAGE_MASKS.items():
        for index in masked:
            reward[index] *= int(reward[presence] > 0)
    data = raw_weights("image_weight_select.json")
    features = [alignment] + [value for index, value in enumerate(reward) if index not in IMAGE_MASKS]
    return float(np.dot(features, data["coef"]) + data["intercept"][0])


@cache
def published(checklist, which: str = "full"):
    return public_weight_vector(checklist, which)


def platform_score(checklist, options: dict, which: str = "full") -> float:
    expansion = expand(checklist, options)
    features = features_from_annotation(checklist, expansion.answers, expansion.mask)
    return score(features, published(checklist, which)).total


def best_options(checklist) -> dict:
    return {sub.key: sub.options[0].code for sub in checklist.sub_dimensions}


# --- video: the two presence questions, by hand -------------------------------------------------


def test_no_lighting_scores_the_reference_value(video):
    """All best except "no lighting": the reference answers q15, q16 and q17 no, so the score is
    (Σw − 2·(w15 + w16 + w17)) / 29 = 0.1889; with the masked questions counted 0 it was 0.2020."""
    weights = raw_weights("video_weight.json")
    lines = raw_lines("video_VisionReward_video_qa_select.txt")
    w = {line: weight for line, weight in zip(lines, weights, strict=True)}
    lighting = [
        w["Is the lighting perfectly accurate?"],  # q15
        w["Does the lighting have no obvious errors?"],  # q16
        w["Is there any lighting present?"],  # q17
    ]
    expected = (sum(weights) - 2 * sum(lighting)) / 29
    assert round(expected, 4) == 0.1889

    options = {**best_options(video), "lighting_accurate": 1}
    assert video.sub_dimension("lighting_accurate").option(1).label == "no lighting"
    by_key = expand(video, options).by_key()
    assert [by_key[key] for key in ("q15", "q16", "q17")] == [(0, 0), (0, 0), (0, 1)]  # still masked
    assert platform_score(video, options) == pytest.approx(expected, abs=TOL, rel=0)
    assert platform_score(video, options) == pytest.approx(
        reference_video_score(reference_answers(video, options, "video_VisionReward_video_qa_select.txt")),
        abs=TOL,
        rel=0,
    )

    # what the old coding (masked questions count 0) gave: the 0.2020
    expansion = expand(video, options)
    features = features_from_annotation(video, expansion.answers, expansion.mask)
    old = score(features, replace(public_weight_vector(video), encoding="signed")).total
    assert round(old, 4) == 0.2020


def test_no_letters_scores_the_reference_value(video):
    """All best except "no letters": q54 (in the scorer) and q56 answer no; q55 is not scored."""
    weights = raw_weights("video_weight.json")
    lines = raw_lines("video_VisionReward_video_qa_select.txt")
    w = {line: weight for line, weight in zip(lines, weights, strict=True)}
    assert "Are all the letters correct?" in w and "Are there any letters present?" in w
    expected = (sum(weights) - 2 * (w["Are all the letters correct?"] + w["Are there any letters present?"])) / 29
    assert round(expected, 4) == 0.2025

    options = {**best_options(video), "letters": 1}
    assert video.sub_dimension("letters").option(1).label == "no letters"
    assert platform_score(video, options) == pytest.approx(expected, abs=TOL, rel=0)
    both = {**options, "lighting_accurate": 1}
    expected_both = (
        expected
        - 2
        * (
            w["Is the lighting perfectly accurate?"]
            + w["Does the lighting have no obvious errors?"]
            + w["Is there any lighting present?"]
        )
        / 29
    )
    assert platform_score(video, both) == pytest.approx(expected_both, abs=TOL, rel=0)


def test_all_best_and_all_worst(video):
    for options in (best_options(video), {sub.key: sub.options[-1].code for sub in video.sub_dimensions}):
        expected = reference_video_score(reference_answers(video, options, "video_VisionReward_video_qa_select.txt"))
        assert platform_score(video, options) == pytest.approx(expected, abs=TOL, rel=0)
    assert platform_score(video, best_options(video)) == pytest.approx(sum(raw_weights("video_weight.json")) / 29)


# --- video: every answer vector -----------------------------------------------------------------


def test_every_video_answer_vector_scores_like_the_reference(video):
    """Random complete choices (not-present options chosen often), the full and select weight
    sets: the platform's score equals the reference video scorer's on the same answers."""
    rng = random.Random(15)
    absent_seen = {"lighting_accurate": 0, "letters": 0}
    for _ in range(N_RANDOM):
        options = random_option_set(video, rng, absent_rate=0.4)
        for key in absent_seen:
            absent_seen[key] += options[key] == 1
        expected = reference_video_score(reference_answers(video, options, "video_VisionReward_video_qa_select.txt"))
        for which in ("full", "select"):
            assert platform_score(video, options, which) == pytest.approx(expected, abs=TOL, rel=0), options
    assert min(absent_seen.values()) > N_RANDOM // 4


def test_a_consensus_scores_the_mean_of_the_raters_reference_scores(video):
    """Several people's answers: the score is linear in the share of *yes* over all raters (a
    masked answer is a *no*), so it is the mean of their reference scores."""
    rng = random.Random(16)
    wv = public_weight_vector(video)
    for _ in range(300):
        raters = [random_option_set(video, rng, absent_rate=0.5) for _ in range(rng.randint(1, 4))]
        pairs = [(e.answers, e.mask) for e in (expand(video, options) for options in raters)]
        expected = np.mean(
            [
                reference_video_score(reference_answers(video, o, "video_VisionReward_video_qa_select.txt"))
                for o in raters
            ]
        )
        assert score(consensus_features(video, pairs), wv).total == pytest.approx(expected, abs=TOL, rel=0)


# --- image: the reference masks keep matching ---------------------------------------------------


def test_every_image_answer_vector_scores_like_the_reference(image):
    """The image reference scorer has presence masks (body, face, hands); people's expanded
    answers under the published image weights (full and select) score as it does."""
    rng = random.Random(17)
    for _ in range(N_RANDOM):
        options = random_option_set(image, rng, absent_rate=0.4)
        expected = reference_image_score(reference_answers(image, options, "image_VisionReward_image_qa_select.txt"))
        for which in ("full", "select"):
            assert platform_score(image, options, which) == pytest.approx(expected, abs=TOL, rel=0), options


# --- the export writes the reference's answers -------------------------------------------------


def test_exported_answers_are_the_reference_answers(video, image):
    """``answers`` (default config) and ``meta_result`` (VisionRewardDB layout) hold, per line of
    the full question file, the reference's answer (1 = yes, 0 = no) whatever the screen masks:
    a masked question is written as the *no* its threshold gives; ``mask`` / ``meta_mask`` say
    which ones the annotator's screen gated. Scoring the exported answers with the reference
    scorer gives the platform's score."""
    rng = random.Random(18)
    for checklist, full_file in (
        (video, "video_VisionReward_video_qa.txt"),
        (image, "image_VisionReward_image_qa.txt"),
    ):
        for index in range(200):
            options = random_option_set(checklist, rng, absent_rate=0.5)
            item = Item(
                asset_id=index + 1,
                project_id=1,
                prompt="a prompt",
                media_type=checklist.media_type,
                media_path=f"/nonexistent/{index}.{'mp4' if checklist.media_type == 'video' else 'jpg'}",
                media_sha256="ab" * 32,
                annotations=(answers_for(checklist, options, 1, "ann1"),),
            )
            expected = [1 if value > 0 else 0 for value in reference_answers(checklist, options, full_file)]
            for combine in ("majority", "all"):
                (row,) = rows_of(item, checklist, settings(combine=combine))
                assert row["answers"] == expected
                assert visionreward_row(item, row, checklist)["meta_result"] == expected
            if checklist is video:
                by_text = {q.text.strip(): q.key for q in checklist.questions}
                keys = [by_text[line] for line in raw_lines("video_VisionReward_video_qa_select.txt")]
                position = {key: i for i, key in enumerate(checklist.question_keys)}
                exported = [2 * row["answers"][position[key]] - 1 for key in keys]
                assert reference_video_score(exported) == pytest.approx(platform_score(video, options), abs=TOL, rel=0)


def test_a_models_yes_no_answers_score_like_the_reference(video):
    """A model's P(yes) of 0 or 1 that respects the checklist (no lighting → the lighting is not
    accurate) scores as the reference scores the same answers; a gated question's P(yes) is read
    as conditional on its thing being there (applicable = P(present)), so P(yes and present) =
    P(present) · P(yes) is what counts."""
    from worker.weights.features import features_from_p_yes

    rng = random.Random(19)
    keys = video.question_keys
    for _ in range(200):
        options = random_option_set(video, rng, absent_rate=0.5)
        expansion = expand(video, options)
        p_yes = {key: float(answer) for key, answer in zip(keys, expansion.answers, strict=True)}
        if rng.random() < 0.5:  # what a model says about the lighting when there is none does not matter
            for key in ("q15", "q16"):
                p_yes[key] = float(rng.random()) if p_yes["q17"] == 0.0 else p_yes[key]
        expected = reference_video_score(reference_answers(video, options, "video_VisionReward_video_qa_select.txt"))
        assert score(features_from_p_yes(video, p_yes), published(video)).total == pytest.approx(
            expected, abs=TOL, rel=0
        )
    # fractional: q15 counts 2 · P(q17) · P(q15) − 1
    p_yes = dict.fromkeys(keys, 1.0) | {"q17": 0.5, "q15": 0.5}
    breakdown = score(features_from_p_yes(video, p_yes), published(video))
    w15 = published(video).coefficients["q15"]
    assert breakdown.contributions["q15"] == pytest.approx(w15 * (2 * 0.5 * 0.5 - 1) / 29)
