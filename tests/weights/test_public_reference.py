"""The keyed public weight vectors score exactly like the upstream reference scorers.

The two reference rules (THUDM/VisionReward inference-image.py ``cal_score`` and
inference-video.py ``score`` / ``compare_two_videos``) are transcribed here, operating
positionally on the raw upstream files in worker/weights/public/, and compared with
``score()`` on the same answers keyed by question.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from annotator.checklist import checklist_from_dict
from worker.weights.public import (
    PUBLIC_ATTRIBUTION,
    public_question_keys,
    public_weight_vector,
)
from worker.weights.scoring import compare, score, validate_weight_vector
from worker.weights.types import AssetFeatures, WeightsError

PUBLIC = Path(__file__).resolve().parents[2] / "worker" / "weights" / "public"
N_RANDOM = 400
TOL = 1e-12


def raw_lines(name: str) -> list[str]:
    with open(PUBLIC / name) as file:
        return [line.strip() for line in file]


def raw_weights(name: str):
    with open(PUBLIC / name) as file:
        return json.load(file)


# --- the reference rules, transcribed -------------------------------------------------------

MASK_INDICES = [0, 1, 2]  # indices of the presence answers in the select list
MASK_FEATURE_MAP = {
    0: [22, 23, 24, 28, 29],  # body presence masks body correctness and the two harm questions
    1: [25, 26],  # face presence masks the face questions
    2: [27],  # hands presence masks the hands question
}


def reference_image_score(reward: list[int], weight_data: dict, alignment_score: float = 0.7) -> float:
    """inference-image.py ``cal_score`` after the answers: ``reward`` = +1/−1 per select line."""
    reward = list(reward)
    for mask_index, feature_indices in MASK_FEATURE_MAP.items():
        for feature_index in feature_indices:
            reward[feature_index] *= int(reward[mask_index] > 0)
    reward_filtered = [v for i, v in enumerate(reward) if i not in MASK_INDICES]
    final_reward = [alignment_score] + reward_filtered
    score_ = np.dot(final_reward, weight_data["coef"]) + weight_data["intercept"]
    return float(np.asarray(score_).item())


# The same rule on the 59-line file: presence lines 1, 2, 3, 16, 27 (1-based) are dropped;
# body (line 1) masks 44-47 and 58-59, face (2) masks 48-51, hands (3) masks 52-55.
FULL_PRESENCE = [0, 1, 2, 15, 26]
FULL_MASK_MAP = {0: [43, 44, 45, 46, 57, 58], 1: [47, 48, 49, 50], 2: [51, 52, 53, 54]}


def reference_image_score_full(reward: list[int], weight_data: dict, alignment_score: float = 0.7) -> float:
    reward = list(reward)
    for mask_index, feature_indices in FULL_MASK_MAP.items():
        for feature_index in feature_indices:
            reward[feature_index] *= int(reward[mask_index] > 0)
    reward_filtered = [v for i, v in enumerate(reward) if i not in FULL_PRESENCE]
    final_reward = [alignment_score] + reward_filtered
    score_ = np.dot(final_reward, weight_data["coef"]) + weight_data["intercept"]
    return float(np.asarray(score_).item())


def reference_video_score(answers: np.ndarray, weight: np.ndarray) -> float:
    """inference-video.py ``score`` after the answers (+1/−1 per select line)."""
    return np.mean(answers * weight).item()


def reference_video_compare(answers1: np.ndarray, answers2: np.ndarray, weight: np.ndarray) -> bool:
    """inference-video.py ``compare_two_videos`` after the answers: True = video 1 is better."""
    diff = answers1 - answers2
    return np.sum(diff * weight).item() > 0


# --- answers ---------------------------------------------------------------------------------


def random_answers(n_questions: int, seed: int) -> np.ndarray:
    """(N_RANDOM + extras, n) answers in ±1: random rows plus all-yes, all-no and rows with
    each of the first three (presence) answers no while everything else is yes."""
    rng = np.random.default_rng(seed)
    rows = rng.choice([-1, 1], size=(N_RANDOM, n_questions))
    extras = [np.ones(n_questions, dtype=int), -np.ones(n_questions, dtype=int)]
    for i in range(3):
        row = np.ones(n_questions, dtype=int)
        row[i] = -1
        extras.append(row)
    return np.vstack([rows, *extras])


def keyed(keys: list[str], row) -> AssetFeatures:
    """Everything applicable, yes = 1 for +1 and 0 for −1 (no extra features: alignment default)."""
    return AssetFeatures(yes={key: 1.0 if value > 0 else 0.0 for key, value in zip(keys, row, strict=True)})


# --- image -------------------------------------------------------------------------------------


def test_every_upstream_line_maps_to_a_distinct_key(image, video):
    for checklist, which, name, n in (
        (image, "full", "image_VisionReward_image_qa.txt", 59),
        (image, "select", "image_VisionReward_image_qa_select.txt", 30),
        (video, "full", "video_VisionReward_video_qa.txt", 64),
        (video, "select", "video_VisionReward_video_qa_select.txt", 29),
    ):
        keys = public_question_keys(checklist, which)
        lines = raw_lines(name)
        assert len(keys) == len(lines) == n
        assert len(set(keys)) == n
        assert [checklist.question(key).text.strip() for key in keys] == lines
    # the full lists are the checklists in position order
    assert public_question_keys(image, "full") == list(image.question_keys)
    assert public_question_keys(video, "full") == list(video.question_keys)


def test_image_presence_questions_have_no_coefficient(image):
    presence = [q.key for q in image.questions if q.presence]
    assert presence == ["q1", "q2", "q3", "q16", "q27"]
    for which in ("full", "select"):
        wv = public_weight_vector(image, which)
        assert not set(presence) & set(wv.coefficients)
    assert len(public_weight_vector(image, "full").coefficients) == 54
    assert len(public_weight_vector(image, "select").coefficients) == 27


def test_question_20_coefficient_as_in_the_file(image):
    full = public_weight_vector(image, "full")
    select = public_weight_vector(image, "select")
    assert image.question("q20").text == "Does the image avoid being completely blurry?"
    assert round(full.coefficients["q20"], 4) == 0.3248
    assert full.coefficients["q20"] == select.coefficients["q20"] == 0.3247595671294795


def test_image_vectors_full_and_select_agree(image):
    full = public_weight_vector(image, "full")
    select = public_weight_vector(image, "select")
    for key, value in select.coefficients.items():
        assert full.coefficients[key] == value
    assert all(value == 0.0 for key, value in full.coefficients.items() if key not in select.coefficients)
    assert full.extra == select.extra == {"alignment": raw_weights("image_weight.json")["coef"][0]}
    assert full.extra_defaults == select.extra_defaults == {"alignment": 0.7}
    assert full.intercept == select.intercept == 0.0
    assert full.normalization == select.normalization == "sum"
    assert full.encoding == select.encoding == "signed"
    assert full.dimensions["q44"] == "fidelity"
    validate_weight_vector(full, image)
    validate_weight_vector(select, image)


def test_image_gates_are_the_reference_masks(image):
    keys = public_question_keys(image, "select")
    expected = {keys[f]: keys[m] for m, features in MASK_FEATURE_MAP.items() for f in features}
    assert expected == {
        "q44": "q1",
        "q46": "q1",
        "q47": "q1",
        "q58": "q1",
        "q59": "q1",
        "q50": "q2",
        "q51": "q2",
        "q52": "q3",
    }
    assert public_weight_vector(image, "select").gates == expected
    full_gates = public_weight_vector(image, "full").gates
    assert {k: v for k, v in full_gates.items() if k in expected} == expected
    assert {k: v for k, v in full_gates.items() if k not in expected} == {
        "q45": "q1",
        "q48": "q2",
        "q49": "q2",
        "q53": "q3",
        "q54": "q3",
        "q55": "q3",
    }


@pytest.mark.parametrize("which", ["select", "full"])
def test_image_score_equals_reference_on_select_answers(image, which):
    """Answers to the 30 select questions; the reference scores them with weight_select.json.
    Our full vector must give the same score (the other questions' coefficients are 0)."""
    wv = public_weight_vector(image, which)
    weight_data = raw_weights("image_weight_select.json")
    select_keys = public_question_keys(image, "select")
    other_keys = [key for key in image.question_keys if key not in select_keys]
    rng = np.random.default_rng(7)
    rows = random_answers(30, seed=11)
    assert (rows[:, 0] < 0).any() and (rows[:, 1] < 0).any() and (rows[:, 2] < 0).any()
    for row in rows:
        expected = reference_image_score(list(row), weight_data)
        features = keyed(select_keys + other_keys, [*row, *rng.choice([-1, 1], size=len(other_keys))])
        assert score(features, wv).total == pytest.approx(expected, abs=TOL, rel=0)


def test_image_score_equals_reference_on_full_file(image):
    wv = public_weight_vector(image, "full")
    weight_data = raw_weights("image_weight.json")
    keys = public_question_keys(image, "full")
    for row in random_answers(59, seed=12):
        expected = reference_image_score_full(list(row), weight_data)
        assert score(keyed(keys, row), wv).total == pytest.approx(expected, abs=TOL, rel=0)


def test_image_alignment_is_an_extra_feature(image):
    wv = public_weight_vector(image, "select")
    weight_data = raw_weights("image_weight_select.json")
    keys = public_question_keys(image, "select")
    row = random_answers(30, seed=13)[0]
    features = keyed(keys, row)
    with_alignment = AssetFeatures(yes=features.yes, extra={"alignment": 0.25})
    breakdown = score(with_alignment, wv)
    assert breakdown.total == pytest.approx(reference_image_score(list(row), weight_data, 0.25), abs=TOL, rel=0)
    assert breakdown.extra == {"alignment": pytest.approx(0.25 * weight_data["coef"][0])}


# --- video -------------------------------------------------------------------------------------


def test_video_vector(video):
    wv = public_weight_vector(video)
    keys = public_question_keys(video, "select")
    assert list(wv.coefficients) == keys
    assert list(wv.coefficients.values()) == raw_weights("video_weight.json")
    assert wv.normalization == "mean" and wv.encoding == "unmasked"
    assert wv.gates == {} and wv.extra == {} and wv.intercept == 0.0
    assert public_weight_vector(video, "full") == wv
    validate_weight_vector(wv, video)


def test_video_score_equals_reference(video):
    wv = public_weight_vector(video)
    weight = np.array(raw_weights("video_weight.json"))
    keys = public_question_keys(video, "select")
    for row in random_answers(29, seed=21):
        expected = reference_video_score(row, weight)
        assert score(keyed(keys, row), wv).total == pytest.approx(expected, abs=TOL, rel=0)


def test_video_compare_agrees_with_reference(video):
    wv = public_weight_vector(video)
    weight = np.array(raw_weights("video_weight.json"))
    keys = public_question_keys(video, "select")
    rows = random_answers(29, seed=22)
    rng = np.random.default_rng(23)
    pairs = [(i, (i + 1) % len(rows)) for i in range(len(rows))]
    pairs += [tuple(rng.choice(len(rows), size=2, replace=False)) for _ in range(300)]
    for i, j in pairs:
        a, b = keyed(keys, rows[i]), keyed(keys, rows[j])
        ours = compare(a, b, wv)
        assert (ours > 0) == reference_video_compare(rows[i], rows[j], weight)
        assert (compare(b, a, wv) > 0) == reference_video_compare(rows[j], rows[i], weight)
        # the difference of the means is the reference's sum, rescaled
        assert ours == pytest.approx(np.sum((rows[i] - rows[j]) * weight).item() / 29, abs=TOL, rel=0)


def test_video_compare_equal_scores(video):
    """Equal answers: the reference says "not better" both ways; ours is an exact 0."""
    wv = public_weight_vector(video)
    weight = np.array(raw_weights("video_weight.json"))
    keys = public_question_keys(video, "select")
    for row in random_answers(29, seed=24)[:50]:
        a, b = keyed(keys, row), keyed(keys, list(row))
        assert compare(a, b, wv) == 0.0
        assert not reference_video_compare(row, row, weight)


# --- failures ----------------------------------------------------------------------------------


def test_not_a_builtin_checklist(image):
    data = image.to_dict()
    data["key"] = "my-checklist"
    other = checklist_from_dict(data)
    with pytest.raises(WeightsError, match="not a VisionReward built-in"):
        public_weight_vector(other)
    with pytest.raises(WeightsError, match="not a VisionReward built-in"):
        public_question_keys(other, "select")


def test_a_line_that_matches_no_question_fails_loudly(image):
    data = image.to_dict()
    for dimension in data["dimensions"]:
        for sub in dimension["sub_dimensions"]:
            for question in sub["questions"]:
                if question["key"] == "q20":
                    question["text"] = "Is the image not completely blurry?"
    changed = checklist_from_dict(data)
    with pytest.raises(WeightsError, match=r"line 20: 'Does the image avoid being completely blurry\?' matches no"):
        public_weight_vector(changed, "full")
    with pytest.raises(WeightsError, match="line 15"):
        public_weight_vector(changed, "select")


def test_bad_which(image):
    with pytest.raises(WeightsError, match="which"):
        public_weight_vector(image, "all")


def test_attribution():
    assert "https://github.com/THUDM/VisionReward" in PUBLIC_ATTRIBUTION
    assert "Apache" in PUBLIC_ATTRIBUTION and "2412.21059" in PUBLIC_ATTRIBUTION
    notice = (PUBLIC / "NOTICE").read_text()
    assert "Apache License, Version 2.0" in notice and "arXiv" in notice and "renamed" in notice
