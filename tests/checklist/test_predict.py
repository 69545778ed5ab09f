"""A model's P(yes) per question → most likely option per sub-dimension (pure, no database)."""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest

from annotator.checklist import (
    AnswerError,
    checklist_from_dict,
    expand,
    load_builtin,
    options_from_p_yes,
    validate_options,
    validate_p_yes,
)

from .helpers import KEYS_IN_ORDER, mini_dict, valid_option_sets


@pytest.fixture(scope="module")
def mini():
    return checklist_from_dict(mini_dict())


@pytest.fixture(scope="module")
def image():
    return load_builtin("visionreward-image")


def certain(checklist, options: dict) -> dict[str, float]:
    """P(yes) of 1.0 / 0.0 for exactly the answers these options imply."""
    by_key = expand(checklist, options).by_key()
    return {key: float(answer) for key, (answer, _) in by_key.items()}


def brute_force(sub, p_yes: dict, candidates=None) -> dict[int, float]:
    """Normalised likelihood per option code, straight from the definition."""
    options = candidates or sub.options
    weights = {}
    for option in options:
        w = 1.0
        for question in sub.questions:
            p = p_yes[question.key]
            w *= p if sub.is_yes(question, option.code) else 1 - p
        weights[option.code] = w
    total = sum(weights.values())
    return {code: w / total for code, w in weights.items()}


# --- the computation ------------------------------------------------------------------


def test_a_chain_of_thresholds_multiplies_the_implied_answers(mini):
    # clarity: options 2 (very clear), 1 (clear), 0 (blurry); very_clear = "≥ 2", clear = "≥ 1".
    p = {"very_clear": 0.2, "clear": 0.9}
    # 2: yes, yes = .2*.9 = .18;  1: no, yes = .8*.9 = .72;  0: no, no = .8*.1 = .08; total .98
    assert options_from_p_yes(mini, p) == {"clarity": {"option": 1, "confidence": round(0.72 / 0.98, 4)}}
    p = {"very_clear": 0.95, "clear": 0.99}
    result = options_from_p_yes(mini, p)["clarity"]
    assert result["option"] == 2
    assert result["confidence"] == round(0.95 * 0.99 / (0.95 * 0.99 + 0.05 * 0.99 + 0.05 * 0.01), 4)


def test_ties_go_to_the_better_option(mini):
    # every option equally likely: .5 * .5 each
    assert options_from_p_yes(mini, {"very_clear": 0.5, "clear": 0.5})["clarity"] == {
        "option": 2,
        "confidence": round(1 / 3, 4),
    }


def test_confidence_is_rounded_to_four_decimals(mini):
    result = options_from_p_yes(mini, {"very_clear": 0.123456, "clear": 0.987654})["clarity"]
    expected = brute_force(mini.sub_dimension("clarity"), {"very_clear": 0.123456, "clear": 0.987654})
    best = max(expected, key=expected.get)
    assert result == {"option": best, "confidence": round(expected[best], 4)}
    assert result["confidence"] == round(result["confidence"], 4)


def test_only_sub_dimensions_with_every_probability_get_a_prediction(mini):
    assert options_from_p_yes(mini, {}) == {}
    assert options_from_p_yes(mini, {"very_clear": 0.9}) == {}  # clarity also needs "clear"
    result = options_from_p_yes(mini, {"very_clear": 0.9, "clear": 0.9, "good_light": 0.8})
    assert list(result) == ["clarity"]


def test_certain_answers_give_back_the_options_with_full_confidence(mini):
    for options in valid_option_sets(mini):
        predicted = options_from_p_yes(mini, certain(mini, options))
        completed = expand(mini, options).options
        assert {k: v["option"] for k, v in predicted.items()} == {
            k: v for k, v in completed.items() if v is not None
        }, options
        assert all(v["confidence"] == 1.0 for v in predicted.values()), options


def test_contradictory_certainties_still_give_an_answer(mini):
    # "very clear" certainly yes but "clear" certainly no: every option has likelihood 0.
    result = options_from_p_yes(mini, {"very_clear": 1.0, "clear": 0.0})["clarity"]
    assert result["option"] in (2, 1, 0) and 0 <= result["confidence"] <= 1


def test_integers_and_other_real_numbers_are_probabilities(mini):
    assert options_from_p_yes(mini, {"very_clear": 0, "clear": 1}) == {"clarity": {"option": 1, "confidence": 1.0}}
    assert options_from_p_yes(mini, {"very_clear": Fraction(1, 4), "clear": Fraction(3, 4)})["clarity"]["option"] == 1


# --- gates ----------------------------------------------------------------------------


def test_a_gate_predicted_closed_makes_the_gated_sub_dimension_not_applicable(mini):
    p = {"good_light": 0.1, "has_light": 0.2, "beautiful_light": 0.9, "not_ugly_light": 0.9}
    result = options_from_p_yes(mini, p)
    # lighting: good .1*.2 = .02, ordinary .9*.2 = .18, no lighting .9*.8 = .72
    assert result["lighting"] == {"option": 1, "confidence": round(0.72 / 0.92, 4)}
    # light_beauty's own answers say "beautiful", but there is no lighting to judge, and it
    # has no not-present option: no prediction (a valid draft leaves it unanswered)
    assert "light_beauty" not in result
    assert validate_options(mini, {k: v["option"] for k, v in result.items()}, partial=True) == []


def test_a_gate_predicted_open_rules_out_not_present(mini):
    # face present: eyes is chosen among "sharp"/"blurred" only, normalised over those two
    p = {"good_face": 0.9, "face_present": 0.99, "sharp_eyes": 0.1, "eyes_visible": 0.3}
    result = options_from_p_yes(mini, p)
    assert result["face"]["option"] == 1
    # unconditioned, "eyes hidden" (.9 * .7 = .63) would win; given the face, "blurred" does
    expected = brute_force(mini.sub_dimension("eyes"), p, [o for o in mini.sub_dimension("eyes").options[:2]])
    assert result["eyes"] == {"option": 0, "confidence": round(expected[0], 4)}


def test_a_closed_gate_closes_the_chain_below_it(mini):
    p = {key: 0.5 for key in KEYS_IN_ORDER}
    p.update({"good_face": 0.05, "face_present": 0.02})  # no face
    result = options_from_p_yes(mini, p)
    assert result["face"]["option"] == -1
    assert result["eyes"] == {"option": -1, "confidence": result["face"]["confidence"]}
    assert "eye_color" not in result  # not applicable, and it has no not-present option
    assert validate_options(mini, {k: v["option"] for k, v in result.items()}, partial=False) == []


def test_a_gate_without_a_prediction_leaves_the_gated_sub_dimension_unconditioned(mini):
    p = {"sharp_eyes": 0.1, "eyes_visible": 0.3}  # no face probabilities
    result = options_from_p_yes(mini, p)
    assert list(result) == ["eyes"]
    assert result["eyes"]["option"] == -1  # eyes hidden: .9 * .7 over all three options


def test_random_probabilities_always_give_a_valid_answer(mini, image):
    rng = random.Random(7)
    for checklist in (mini, image, load_builtin("visionreward-video")):
        for _ in range(200):
            p = {key: rng.choice([0.0, 1.0, rng.random()]) for key in checklist.question_keys}
            result = options_from_p_yes(checklist, p)
            options = {k: v["option"] for k, v in result.items()}
            expand(checklist, options)  # complete and consistent with every gate
            for key, value in result.items():
                assert 0.0 <= value["confidence"] <= 1.0 and not math.isnan(value["confidence"])
                assert checklist.sub_dimension(key).has_option(value["option"])


def test_the_argmax_matches_brute_force_on_ungated_sub_dimensions(image):
    rng = random.Random(11)
    for _ in range(100):
        p = {key: rng.random() for key in image.question_keys}
        result = options_from_p_yes(image, p)
        for sub in image.sub_dimensions:
            if sub.gated_by is not None:
                continue
            expected = brute_force(sub, p)
            best = max(expected.values())
            first_best = next(code for code in sub.codes if expected[code] == best)  # ties: the better
            assert result[sub.key] == {"option": first_best, "confidence": round(best, 4)}, sub.key


# --- the builtin image checklist ------------------------------------------------------


def test_builtin_image_confident_model(image):
    best = {s.key: next(o.code for o in s.options if not o.not_present) for s in image.sub_dimensions}
    p = {key: 0.97 for key in image.question_keys}
    result = options_from_p_yes(image, p)
    assert list(result) == [s.key for s in image.sub_dimensions]  # hierarchy order, every one
    assert {k: v["option"] for k, v in result.items()} == best
    assert all(0.8 < v["confidence"] < 1 for v in result.values())


def test_builtin_image_no_lighting(image):
    p = {key: 0.9 for key in image.question_keys}
    p.update({"q25": 0.01, "q26": 0.02, "q27": 0.03})  # lighting_distinction: "is there lighting?" no
    result = options_from_p_yes(image, p)
    absent = image.sub_dimension("lighting_distinction").not_present_option.code
    assert result["lighting_distinction"]["option"] == absent
    # lighting_aesthetic is gated by q27: not present, with the confidence of what closed it
    assert result["lighting_aesthetic"] == {
        "option": image.sub_dimension("lighting_aesthetic").not_present_option.code,
        "confidence": result["lighting_distinction"]["confidence"],
    }


def test_builtin_image_lighting_present_never_predicts_no_lighting_aesthetic(image):
    p = {key: 0.9 for key in image.question_keys}
    p.update({"q28": 0.0, "q29": 0.0})  # aesthetic: neither "≥ 2" nor "≥ 1": option 0 (or not present)
    result = options_from_p_yes(image, p)
    assert result["lighting_distinction"]["option"] != -1
    assert result["lighting_aesthetic"] == {"option": 0, "confidence": 1.0}


# --- validation -------------------------------------------------------------------------


def test_validate_accepts_a_complete_mapping(mini, image):
    assert validate_p_yes(mini, dict.fromkeys(KEYS_IN_ORDER, 0.5)) == []
    assert validate_p_yes(image, {key: 0 if i % 2 else 1 for i, key in enumerate(image.question_keys)}) == []


def test_validate_names_unknown_keys_with_a_suggestion(mini):
    p = dict.fromkeys(KEYS_IN_ORDER, 0.5)
    p["very_clearr"] = 0.3
    problems = validate_p_yes(mini, p)
    assert [pr.path for pr in problems] == ["very_clearr"]
    assert "did you mean 'very_clear'" in problems[0].message


def test_validate_rejects_values_that_are_not_probabilities(mini):
    p = dict.fromkeys(KEYS_IN_ORDER, 0.5)
    p.update({"clear": 1.5, "good_light": -0.1, "has_light": "0.4", "good_face": True, "eyes_visible": math.nan})
    p["sharp_eyes"] = None
    problems = validate_p_yes(mini, p)
    assert [pr.path for pr in problems] == [
        "clear",
        "good_light",
        "has_light",
        "good_face",
        "sharp_eyes",
        "eyes_visible",
    ]
    assert all("between 0 and 1" in pr.message for pr in problems)
    assert "got '0.4'" in problems[2].message


def test_validate_reports_missing_questions_unless_partial(mini):
    p = dict.fromkeys(KEYS_IN_ORDER[:-2], 0.5)
    problems = validate_p_yes(mini, p)
    assert [pr.path for pr in problems] == ["natural_eyes", "not_wrong_eyes"]
    assert "no probability" in problems[0].message
    assert validate_p_yes(mini, p, partial=True) == []


def test_validate_orders_unknown_keys_first_then_by_position(image):
    p = {key: 0.5 for key in image.question_keys if key not in ("q3", "q50")}
    p["q7"] = 2
    p["q99"] = 0.5
    assert [pr.path for pr in validate_p_yes(image, p)] == ["q99", "q3", "q7", "q50"]


def test_validate_rejects_a_non_mapping(mini):
    for bad in (None, [0.5] * 12, "q1=0.5", 0.5):
        problems = validate_p_yes(mini, bad)
        assert len(problems) == 1 and problems[0].path == "" and "object" in problems[0].message


def test_options_from_p_yes_raises_on_bad_input(mini):
    with pytest.raises(AnswerError) as info:
        options_from_p_yes(mini, {"very_clear": 2, "clearr": 0.5})
    assert [p.path for p in info.value.problems] == ["clearr", "very_clear"]
    with pytest.raises(AnswerError):
        options_from_p_yes(mini, None)
