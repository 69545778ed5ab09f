"""Model-vs-human agreement per question (pure functions, no database)."""

import pytest

from annotator.agreement import ModelAgreement, ModelAgreementAccumulator, model_agreement


def test_a_known_case_by_hand():
    # three questions; the third never applies; None: the model gave no probability
    items = [
        ([0.8, 0.6, 0.5], [1, 1, 0], [1, 1, 0]),
        ([0.8, 0.6, 0.5], [0, 1, 0], [1, 1, 0]),
        ([0.4, 0.7, 0.5], [0, 0, 0], [1, 1, 0]),
        ([None, 0.2, 0.5], [1, 0, 1], [1, 1, 0]),
    ]
    first, second, third = model_agreement(items, width=3)
    # q1: (0.8 yes ✓), (0.8 no ✗), (0.4 no ✓); brier (.04 + .64 + .16) / 3; p(human) (.8 + .2 + .6) / 3
    assert first.n == 3
    assert first.accuracy == pytest.approx(2 / 3)
    assert first.brier == pytest.approx(0.28)
    assert first.mean_p_human == pytest.approx(1.6 / 3)
    # q2: (0.6 yes ✓), (0.6 yes ✓), (0.7 no ✗), (0.2 no ✓)
    assert second == ModelAgreement(
        4,
        pytest.approx(0.75),
        pytest.approx((0.16 + 0.16 + 0.49 + 0.04) / 4),
        pytest.approx((0.6 + 0.6 + 0.3 + 0.8) / 4),
    )
    assert third == ModelAgreement(0, None, None, None)


def test_half_counts_as_yes_and_booleans_are_answers():
    accumulator = ModelAgreementAccumulator(1)
    accumulator.add([0.5], [True], [True])
    accumulator.add([0.5], [False], [1])
    (result,) = accumulator.results()
    assert (result.n, result.accuracy, result.brier, result.mean_p_human) == (2, 0.5, 0.25, 0.5)


def test_perfect_and_confidently_wrong_models():
    (perfect,) = model_agreement([([1.0], [1], [1]), ([0.0], [0], [1])], width=1)
    assert (perfect.accuracy, perfect.brier, perfect.mean_p_human) == (1.0, 0.0, 1.0)
    (wrong,) = model_agreement([([0.0], [1], [1]), ([1.0], [0], [1])], width=1)
    assert (wrong.accuracy, wrong.brier, wrong.mean_p_human) == (0.0, 1.0, 0.0)


def test_bad_input_is_refused():
    accumulator = ModelAgreementAccumulator(2)
    with pytest.raises(ValueError, match="expected 2 values each"):
        accumulator.add([0.5], [1, 0], [1, 1])
    with pytest.raises(ValueError, match="not a probability"):
        accumulator.add([0.5, 1.5], [1, 0], [1, 1])  # refused whole: q1 is not counted either
    accumulator.add([0.5, 2.0], [1, None], [1, 1])  # an unanswered question is skipped before its check
    assert [r.n for r in accumulator.results()] == [1, 0]
