"""Features from answers / P(yes), gates from the checklist, and the encodings (no database)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from annotator.checklist import checklist_from_dict, expand
from tests.checklist.helpers import mini_dict, random_option_set
from worker.weights.features import (
    checklist_dimensions,
    checklist_gates,
    consensus_features,
    encode,
    encode_many,
    features_from_annotation,
    features_from_p_yes,
    gate_chain,
)
from worker.weights.public import public_weight_vector
from worker.weights.scoring import score
from worker.weights.types import AssetFeatures, WeightsError


@pytest.fixture(scope="module")
def mini():
    return checklist_from_dict(mini_dict())


# --- gates and dimensions -------------------------------------------------------------------


def test_image_gates(image):
    gates = checklist_gates(image)
    assert gates["q28"] == gates["q29"] == "q27"  # lighting_aesthetic gated_by q27
    assert gates["q25"] == gates["q26"] == "q27"  # lighting_distinction holds q27 itself
    assert gates["q14"] == gates["q15"] == "q16"  # background's own presence question
    assert all(gates[f"q{n}"] == "q1" for n in range(44, 48))
    assert all(gates[f"q{n}"] == "q2" for n in range(48, 52))
    assert all(gates[f"q{n}"] == "q3" for n in range(52, 56))
    for ungated in ("q1", "q2", "q3", "q16", "q27", "q4", "q20", "q58", "q59"):
        assert ungated not in gates
    assert len(gates) == 18
    assert list(gates) == sorted(gates, key=lambda key: image.question(key).position)


def test_video_gates(video):
    assert checklist_gates(video) == {"q15": "q17", "q16": "q17", "q54": "q56", "q55": "q56"}


def test_gate_chain(mini):
    gates = checklist_gates(mini)
    assert gates == {
        "good_light": "has_light",
        "beautiful_light": "has_light",
        "not_ugly_light": "has_light",
        "good_face": "face_present",
        "sharp_eyes": "eyes_visible",
        "eyes_visible": "face_present",
        "natural_eyes": "eyes_visible",
        "not_wrong_eyes": "eyes_visible",
    }
    assert gate_chain("natural_eyes", gates) == ["eyes_visible", "face_present"]
    assert gate_chain("clear", gates) == []
    with pytest.raises(WeightsError, match="circle"):
        gate_chain("a", {"a": "b", "b": "c", "c": "a"})


def test_dimensions(image, video):
    dims = checklist_dimensions(image)
    assert len(dims) == 59 and list(dims) == list(image.question_keys)
    assert dims["q28"] == "quality" and dims["q44"] == "fidelity" and dims["q4"] == "composition"
    assert dims["q58"] == "safety_emotion"
    assert checklist_dimensions(video)["q1"] == "alignment"


# --- features from answers ----------------------------------------------------------------------


def test_features_from_annotation(image):
    options = {sub.key: sub.options[0].code for sub in image.sub_dimensions}
    options["body"] = image.sub_dimension("body").not_present_option.code
    options["lighting_distinction"] = image.sub_dimension("lighting_distinction").not_present_option.code
    del options["lighting_aesthetic"]  # closed by "no lighting"
    expansion = expand(image, options)
    features = features_from_annotation(image, expansion.answers, expansion.mask)
    assert features.yes["q1"] == 0.0 and features.applicable["q1"] == 1.0
    assert features.applicable["q44"] == 0.0 and features.yes["q44"] == 0.0
    assert features.applicable["q28"] == 0.0 and features.applicable["q25"] == 0.0
    assert features.yes["q27"] == 0.0 and features.applicable["q27"] == 1.0
    assert features.yes["q4"] == 1.0 and features.applicable["q4"] == 1.0
    assert features.yes["q2"] == 1.0  # face present
    assert set(features.yes) == set(features.applicable) == set(image.question_keys)
    assert features.extra == {}


def test_annotation_validation(image):
    n = len(image.questions)
    with pytest.raises(WeightsError, match=r"annotation 0: answers has 58 values, expected 59") as error:
        features_from_annotation(image, [0] * 58, [1] * n)
    assert error.value.field == "annotations[0].answers"
    with pytest.raises(WeightsError, match="mask of q3 must be 0 or 1"):
        features_from_annotation(image, [0] * n, [1, 1, 2] + [1] * (n - 3))
    with pytest.raises(WeightsError, match="sequence"):
        features_from_annotation(image, "yes" * 20, [1] * n)


def test_consensus_shares(mini):
    keys = list(mini.question_keys)
    n = len(keys)

    def vec(values: dict[str, int]) -> list[int]:
        return [values.get(key, 0) for key in keys]

    everything = dict.fromkeys(keys, 1)
    raters = [
        (vec({**everything, "clear": 1, "good_face": 1}), vec(everything)),
        (vec({**everything, "clear": 0, "good_face": 0}), vec(everything)),
        # no face: good_face, eyes not applicable, face_present applicable and no
        (
            vec({**everything, "clear": 1, "face_present": 0, "good_face": 1}),
            vec({**everything, "good_face": 0, "sharp_eyes": 0, "eyes_visible": 0}),
        ),
    ]
    features = consensus_features(mini, raters)
    assert features.yes["clear"] == pytest.approx(2 / 3)
    assert features.applicable["clear"] == 1.0
    assert features.yes["good_face"] == pytest.approx(1 / 2)  # the third rater's 1 is masked
    assert features.applicable["good_face"] == pytest.approx(2 / 3)
    assert features.yes["face_present"] == pytest.approx(2 / 3)
    assert features.applicable["sharp_eyes"] == pytest.approx(2 / 3)
    # applied to no rater → yes 0.5, applicable 0
    nobody = consensus_features(mini, [(vec(everything), vec({**everything, "good_face": 0}))] * 2)
    assert nobody.yes["good_face"] == 0.5 and nobody.applicable["good_face"] == 0.0
    # one rater = features_from_annotation, up to yes where not applicable
    single = consensus_features(mini, raters[2:])
    direct = features_from_annotation(mini, *raters[2])
    assert single.applicable == direct.applicable
    assert {k: v for k, v in single.yes.items() if direct.applicable[k]} == {
        k: v for k, v in direct.yes.items() if direct.applicable[k]
    }
    assert len(features.yes) == n


def test_consensus_validation(image):
    n = len(image.questions)
    good = ([1] * n, [1] * n)
    with pytest.raises(WeightsError, match=r"annotation 1: mask has 60 values, expected 59") as error:
        consensus_features(image, [good, ([1] * n, [1] * 60)])
    assert error.value.field == "annotations[1].mask"
    with pytest.raises(WeightsError, match="annotation 2 must be an"):
        consensus_features(image, [good, good, ([1] * n,)])
    with pytest.raises(WeightsError, match="no annotations"):
        consensus_features(image, [])


def test_consensus_scores_the_mean_of_the_raters_reference_scores(image):
    """Raters who agree on the body but not on face / hands / lighting / background: the score
    of the consensus is the mean of their scores (the checklist gates are not counted twice)."""
    wv = public_weight_vector(image, "full")
    rng = random.Random(5)
    for _ in range(30):
        annotations, scores = [], []
        body = rng.random() < 0.5
        for _ in range(rng.randint(2, 5)):
            options = random_option_set(image, rng, absent_rate=0.5)
            body_sub = image.sub_dimension("body")
            if body:
                options["body"] = body_sub.options[rng.randrange(len(body_sub.options) - 1)].code
            else:
                options["body"] = body_sub.not_present_option.code
            expansion = expand(image, options)
            annotations.append((expansion.answers, expansion.mask))
            scores.append(score(features_from_annotation(image, expansion.answers, expansion.mask), wv).total)
        consensus = consensus_features(image, annotations)
        assert score(consensus, wv).total == pytest.approx(float(np.mean(scores)), abs=1e-12)


# --- features from P(yes) -----------------------------------------------------------------------


def test_p_yes_applicable_is_the_product_along_the_chain(mini, image):
    p = {"face_present": 0.8, "eyes_visible": 0.5, "natural_eyes": 0.9, "sharp_eyes": 0.3, "clear": 0.6}
    features = features_from_p_yes(mini, p)
    assert features.yes == {key: p[key] for key in mini.question_keys if key in p}
    assert features.applicable["eyes_visible"] == pytest.approx(0.8)
    assert features.applicable["sharp_eyes"] == pytest.approx(0.4)  # eyes_visible · face_present
    assert features.applicable["natural_eyes"] == pytest.approx(0.4)
    assert "clear" not in features.applicable and "face_present" not in features.applicable
    # missing keys are unknown; a missing gate is skipped
    partial = features_from_p_yes(mini, {"natural_eyes": 0.9, "face_present": 0.5})
    assert set(partial.yes) == {"natural_eyes", "face_present"}
    assert partial.applicable["natural_eyes"] == pytest.approx(0.5)
    # custom gates
    custom = features_from_p_yes(mini, {"clear": 0.5, "very_clear": 0.7}, gates={"very_clear": "clear"})
    assert custom.applicable == {"very_clear": 0.5}
    lit = features_from_p_yes(image, {"q27": 0.25, "q28": 1.0})
    assert lit.applicable == {"q28": 0.25}


def test_p_yes_validation(mini):
    with pytest.raises(WeightsError, match=r"unknown question 'natural_eye' \(did you mean 'natural_eyes'\?\)") as e:
        features_from_p_yes(mini, {"natural_eye": 0.5})
    assert e.value.field == "p_yes.natural_eye"
    assert features_from_p_yes(mini, {"clear": None, "very_clear": 0.5}).yes == {"very_clear": 0.5}
    for bad in (1.5, -0.1, float("nan"), "0.5", True):
        with pytest.raises(WeightsError, match="clear must be a number between 0 and 1"):
            features_from_p_yes(mini, {"clear": bad})


# --- encoding -------------------------------------------------------------------------------------


def test_signed_and_binary():
    f = AssetFeatures(yes={"a": 1.0, "b": 0.0, "c": 0.75, "d": 1.0}, applicable={"c": 0.5, "d": 0.0})
    keys = ["a", "b", "c", "d", "unknown"]
    assert encode(f, keys, "signed").tolist() == [1.0, -1.0, 0.25, 0.0, 0.0]
    assert encode(f, keys, "binary").tolist() == [1.0, 0.0, 0.375, 0.0, 0.0]
    # unmasked (the video reference, no presence masks): not applicable counts as no; c is
    # yes for 0.75 of the half of raters it applied to, so 0.375 of all raters said yes
    assert encode(f, keys, "unmasked").tolist() == [1.0, -1.0, -0.25, -1.0, 0.0]
    assert encode(f, keys).dtype == np.float64
    with pytest.raises(WeightsError, match="did you mean 'signed'"):
        encode(f, keys, "signd")


def test_gates_follow_the_reference_for_binary_answers():
    keys = ["body", "correct", "harm"]
    gates = {"correct": "body", "harm": "body"}
    no_body = AssetFeatures(yes={"body": 0.0, "correct": 1.0, "harm": 1.0})
    body = AssetFeatures(yes={"body": 1.0, "correct": 0.0, "harm": 1.0})
    assert encode(no_body, keys, "signed", gates).tolist() == [-1.0, 0.0, 0.0]
    assert encode(no_body, keys, "signed").tolist() == [-1.0, 1.0, 1.0]
    assert encode(body, keys, "signed", gates).tolist() == [1.0, -1.0, 1.0]
    assert encode(no_body, keys, "binary", gates).tolist() == [0.0, 0.0, 0.0]
    # an unknown gate is open (no evidence the thing is absent)
    unknown_body = AssetFeatures(yes={"correct": 0.0, "harm": 1.0})
    assert encode(unknown_body, keys, "signed", gates).tolist() == [0.0, -1.0, 1.0]


def test_gates_on_fractional_values():
    gates = {"correct": "body", "harm": "body"}
    f = AssetFeatures(
        yes={"body": 0.6, "correct": 0.75, "harm": 0.9},
        applicable={"correct": 0.6},  # the checklist's own gate, already counted
    )
    values = encode(f, ["correct", "harm"], "signed", gates)
    # correct: min(0.6, 0.6) * (2*0.75 - 1); harm: min(1, 0.6) * (2*0.9 - 1)
    assert values.tolist() == pytest.approx([0.6 * 0.5, 0.6 * 0.8])
    # the gate's own applicability counts: open = yes(gate) * applicable(gate)
    g = AssetFeatures(yes={"body": 0.5, "harm": 1.0}, applicable={"body": 0.5})
    assert encode(g, ["harm"], "binary", gates).tolist() == [0.25]


def test_gate_chains_in_weight_gates():
    gates = {"eye": "eyes", "eyes": "face"}
    f = AssetFeatures(yes={"face": 0.5, "eyes": 0.5, "eye": 1.0})
    # open(face) = 0.5; eff(eyes) = min(1, 0.5) = 0.5; open(eyes) = 0.25; eff(eye) = 0.25
    assert encode(f, ["eye"], "binary", gates).tolist() == [0.25]
    exact = AssetFeatures(yes={"face": 0.0, "eyes": 1.0, "eye": 1.0})
    assert encode(exact, ["eye", "eyes"], "signed", gates).tolist() == [0.0, 0.0]
    with pytest.raises(WeightsError, match="circle"):
        encode(f, ["eye"], "signed", {"eye": "eyes", "eyes": "eye"})


def test_encode_validation():
    with pytest.raises(WeightsError, match=r"asset 0: yes of a must be a number between 0 and 1 \(got 1.5\)"):
        encode(AssetFeatures(yes={"a": 1.5}), ["a"])
    with pytest.raises(WeightsError, match="asset 1: applicable of a"):
        encode_many([AssetFeatures(yes={"a": 1.0}), AssetFeatures(yes={"a": 1.0}, applicable={"a": -1})], ["a"])
    with pytest.raises(WeightsError, match="yes of a must be a number"):
        encode(AssetFeatures(yes={"a": "yes"}), ["a"])
    # None = unknown
    assert encode(AssetFeatures(yes={"a": None, "b": 1.0}), ["a", "b"]).tolist() == [0.0, 1.0]


def test_encode_many_matches_encode(image):
    wv = public_weight_vector(image, "full")
    keys = list(wv.coefficients)
    rng = np.random.default_rng(3)
    features = []
    for _ in range(200):
        p = {key: float(rng.random()) for key in image.question_keys if rng.random() < 0.9}
        features.append(features_from_p_yes(image, p))
    for encoding in ("signed", "binary", "unmasked"):
        matrix = encode_many(features, keys, encoding, wv.gates)
        assert matrix.shape == (200, 54) and matrix.dtype == np.float32
        stacked = np.stack([encode(f, keys, encoding, wv.gates) for f in features])
        assert np.allclose(matrix, stacked, atol=1e-6)
        assert np.array_equal(encode_many(features, keys, encoding, wv.gates, dtype=np.float64), stacked)
    assert encode_many([], keys, "signed").shape == (0, 54)
