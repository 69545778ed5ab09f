"""Scores, breakdowns, validation and the JSON form of weight vectors (no database)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from annotator.checklist import load_builtin
from worker.weights.features import encode_many, features_from_p_yes
from worker.weights.public import public_weight_vector
from worker.weights.scoring import (
    ScoreBreakdown,
    compare,
    extra_contributions,
    score,
    score_many,
    score_matrix,
    validate_weight_vector,
    weight_vector_from_dict,
    weight_vector_to_dict,
)
from worker.weights.types import AssetFeatures, WeightsError, WeightVector


def small(**changes) -> WeightVector:
    fields = {
        "coefficients": {"q4": 1.0, "q5": 2.0, "q17": 0.5, "q44": 4.0},
        "intercept": 0.25,
        "extra": {"alignment": 2.0},
        "extra_defaults": {"alignment": 0.5},
        "gates": {"q44": "q1"},
        "dimensions": {"q4": "composition", "q5": "composition", "q17": "quality", "q44": "fidelity"},
    }
    fields.update(changes)
    return WeightVector(**fields)


def random_features(checklist, n: int, seed: int) -> list[AssetFeatures]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        p = {key: float(rng.random()) for key in checklist.question_keys if rng.random() < 0.9}
        f = features_from_p_yes(checklist, p)
        extra = {"alignment": float(rng.random())} if rng.random() < 0.5 else {}
        out.append(AssetFeatures(yes=f.yes, applicable=f.applicable, extra=extra))
    return out


# --- score ------------------------------------------------------------------------------------


def test_score_by_hand():
    f = AssetFeatures(yes={"q1": 1.0, "q4": 1.0, "q5": 0.0, "q17": 0.75, "q44": 1.0}, applicable={"q17": 0.5})
    breakdown = score(f, small())
    # signed: q4 +1, q5 −1, q17 0.5·0.5 = 0.25, q44 +1 (body present)
    assert breakdown.contributions == {"q4": 1.0, "q5": -2.0, "q17": 0.125, "q44": 4.0}
    assert breakdown.dimensions == {"composition": -1.0, "quality": 0.125, "fidelity": 4.0}
    assert breakdown.extra == {"alignment": 1.0}  # the default 0.5 × 2
    assert breakdown.intercept == 0.25
    assert breakdown.total == pytest.approx(0.25 + 1.0 + 3.125)
    assert isinstance(breakdown, ScoreBreakdown)
    # no body: q44 counts 0; alignment given
    g = AssetFeatures(yes={**f.yes, "q1": 0.0}, applicable=f.applicable, extra={"alignment": 0.1})
    other = score(g, small())
    assert other.contributions["q44"] == 0.0 and other.extra == {"alignment": pytest.approx(0.2)}
    assert compare(f, g, small()) == pytest.approx(breakdown.total - other.total)
    assert compare(f, g, small()) > 0 > compare(g, f, small())


def test_binary_and_mean():
    f = AssetFeatures(yes={"q1": 1.0, "q4": 1.0, "q5": 0.0, "q17": 0.75, "q44": 1.0})
    breakdown = score(f, small(encoding="binary", normalization="mean"))
    # binary: q4 1, q5 0, q17 0.75, q44 1 → (1 + 0 + 0.375 + 4) / 4
    assert breakdown.contributions == pytest.approx({"q4": 0.25, "q5": 0.0, "q17": 0.09375, "q44": 1.0})
    assert breakdown.dimensions == pytest.approx({"composition": 0.25, "quality": 0.09375, "fidelity": 1.0})
    assert breakdown.total == pytest.approx(0.25 + 1.0 + 5.375 / 4)


def test_unknown_answers_count_zero():
    breakdown = score(AssetFeatures(yes={}), small(extra={}, extra_defaults={}, intercept=0.0))
    assert breakdown.total == 0.0 and set(breakdown.contributions.values()) == {0.0}


def test_missing_extra_without_default():
    with pytest.raises(WeightsError, match="extra feature 'alignment' is missing") as error:
        score(AssetFeatures(yes={}), small(extra_defaults={}))
    assert error.value.field == "extra.alignment"


def test_dimensions_empty_or_partial():
    f = AssetFeatures(yes={"q4": 1.0, "q5": 1.0})
    assert score(f, small(dimensions={})).dimensions == {}
    partial = score(f, small(dimensions={"q4": "composition"})).dimensions
    assert partial == {"composition": 1.0, "": 2.0}


@pytest.mark.parametrize(
    ("key", "which"),
    [("visionreward-image", "full"), ("visionreward-image", "select"), ("visionreward-video", "select")],
)
def test_dimensions_sum_to_the_total(key, which):
    checklist = load_builtin(key)
    wv = public_weight_vector(checklist, which)
    for f in random_features(checklist, 50, seed=1):
        breakdown = score(f, wv)
        parts = breakdown.intercept + sum(breakdown.extra.values()) + sum(breakdown.dimensions.values())
        assert parts == pytest.approx(breakdown.total, abs=1e-12)
        assert sum(breakdown.contributions.values()) == pytest.approx(sum(breakdown.dimensions.values()), abs=1e-12)
        assert set(breakdown.dimensions) <= {d.key for d in checklist.dimensions}
        d = breakdown.to_dict()
        assert d["total"] == breakdown.total and d["dimensions"] == breakdown.dimensions
        json.dumps(d)


def test_mean_dimensions_are_normalised_like_the_total(video):
    wv = public_weight_vector(video)
    f = AssetFeatures(yes=dict.fromkeys(video.question_keys, 1.0))
    breakdown = score(f, wv)
    assert breakdown.total == pytest.approx(sum(wv.coefficients.values()) / 29)
    assert breakdown.dimensions["alignment"] == pytest.approx(
        (wv.coefficients["q1"] + wv.coefficients["q2"] + wv.coefficients["q4"]) / 29
    )


def test_score_matrix_and_score_many(image, video):
    for checklist, which in ((image, "full"), (image, "select"), (video, "select")):
        wv = public_weight_vector(checklist, which)
        features = random_features(checklist, 120, seed=2)
        expected = np.array([score(f, wv).total for f in features])
        assert np.allclose(score_many(features, wv), expected, atol=1e-12, rtol=0)
        keys = list(wv.coefficients)
        X = encode_many(features, keys, wv.encoding, wv.gates)  # float32
        totals = score_matrix(
            X, list(wv.coefficients.values()), wv.normalization, wv.intercept, extra_contributions(features, wv)
        )
        assert totals.shape == (120,) and np.allclose(totals, expected, atol=1e-5)
    assert score_matrix(np.ones(3), [1.0, 2.0, 3.0], "mean", intercept=1.0, extra=2.0).tolist() == [5.0]
    with pytest.raises(WeightsError, match="do not match"):
        score_matrix(np.ones((2, 3)), [1.0, 2.0])
    with pytest.raises(WeightsError, match="normalization"):
        score_matrix(np.ones((2, 2)), [1.0, 2.0], "avg")
    with pytest.raises(WeightsError, match="extra"):
        score_matrix(np.ones((2, 2)), [1.0, 2.0], extra=np.ones(3))


def test_score_rejects_bad_weights():
    with pytest.raises(WeightsError, match="no coefficients"):
        score(AssetFeatures(yes={}), small(coefficients={}))
    with pytest.raises(WeightsError, match="coefficient of q4 must be a finite number"):
        score(AssetFeatures(yes={}), small(coefficients={"q4": math.inf}))
    with pytest.raises(WeightsError, match="normalization"):
        score(AssetFeatures(yes={}), small(normalization="median"))


# --- validation ---------------------------------------------------------------------------------


def test_public_vectors_are_valid(image, video):
    validate_weight_vector(small(), image)
    validate_weight_vector(public_weight_vector(image, "full"), image)
    validate_weight_vector(public_weight_vector(video), video)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"coefficients": {}}, "coefficients", "no coefficients"),
        ({"coefficients": {"q4": 1.0, "q600": 1.0}}, "coefficients.q600", "'q600' is not a question"),
        ({"coefficients": {"q4": 1.0, "qq5": 1.0}}, "coefficients.qq5", r"did you mean 'q5'\?"),
        ({"coefficients": {"q4": float("nan")}}, "coefficients.q4", "must be finite"),
        ({"coefficients": {"q4": "1.0"}}, "coefficients.q4", "must be a number"),
        ({"coefficients": {"q4": True}}, "coefficients.q4", "must be a number"),
        ({"encoding": "signd"}, "encoding", r"did you mean 'signed'\?"),
        ({"normalization": "average"}, "normalization", "use one of sum, mean"),
        ({"intercept": math.inf}, "intercept", "finite"),
        ({"extra": {"alignment": None}}, "extra.alignment", "finite number"),
        ({"extra_defaults": {"aligment": 0.7}}, "extra_defaults.aligment", r"did you mean 'alignment'\?"),
        ({"extra": {"q4": 1.0}, "extra_defaults": {}}, "extra.q4", "named like a question"),
        ({"gates": {"q44": "q100"}}, "gates.q44", "gate 'q100' is not a question"),
        ({"gates": {"q440": "q1"}}, "gates.q440", "'q440' is not a question"),
        ({"gates": {"q44": "q45"}}, "gates.q44", "is not a presence question"),
        ({"gates": {"q1": "q1"}}, "gates.q1", "cannot gate itself"),
        ({"dimensions": {"q4": "quality"}}, "dimensions.q4", "q4 belongs to 'composition'"),
        ({"dimensions": {"q4": "composition"}}, "dimensions.q5", "has no dimension"),
        ({"dimensions": {"q99": "composition"}}, "dimensions.q99", "not a question"),
    ],
)
def test_validation_names_the_field(image, changes, field, message):
    with pytest.raises(WeightsError, match=message) as error:
        validate_weight_vector(small(**changes), image)
    assert error.value.field == field
    assert field.split(".")[-1] in str(error.value)


def test_validation_against_the_other_checklist(video):
    with pytest.raises(WeightsError, match=r"gates.q44: gate q1 .* is not a presence question"):
        validate_weight_vector(small(), video)
    with pytest.raises(WeightsError, match="dimensions.q4: 'composition' does not match the checklist"):
        validate_weight_vector(small(gates={}), video)


# --- JSON ------------------------------------------------------------------------------------------


def test_json_round_trip(image, video):
    vectors = [
        small(),
        small(encoding="binary", normalization="mean", gates={}, dimensions={}),
        public_weight_vector(image, "full"),
        public_weight_vector(image, "select"),
        public_weight_vector(video),
    ]
    for wv in vectors:
        data = json.loads(json.dumps(weight_vector_to_dict(wv)))
        back = weight_vector_from_dict(data)
        assert back == wv
        assert list(back.coefficients) == list(wv.coefficients)
        f = AssetFeatures(yes={"q1": 1.0, "q4": 1.0, "q44": 0.0})
        assert score(f, back) == score(f, wv)


def test_from_dict_defaults_and_errors():
    wv = weight_vector_from_dict({"coefficients": {"q4": 1}})
    assert wv == WeightVector(coefficients={"q4": 1.0})
    assert isinstance(wv.coefficients["q4"], float)
    with pytest.raises(WeightsError, match=r"unknown field 'coefficient' \(did you mean 'coefficients'\?\)"):
        weight_vector_from_dict({"coefficient": {}})
    with pytest.raises(WeightsError, match="coefficients: required"):
        weight_vector_from_dict({})
    with pytest.raises(WeightsError, match="coefficients.q4: must be a finite number"):
        weight_vector_from_dict({"coefficients": {"q4": "x"}})
    with pytest.raises(WeightsError, match="encoding"):
        weight_vector_from_dict({"coefficients": {"q4": 1}, "encoding": "one-hot"})
    with pytest.raises(WeightsError, match="gates.q44"):
        weight_vector_from_dict({"coefficients": {"q4": 1}, "gates": {"q44": 1}})
    with pytest.raises(WeightsError, match="must be an object"):
        weight_vector_from_dict([1, 2])
