"""The quality-control math (pure): a task's disagreement, agreement with peers, accuracy on gold."""

import pytest

from annotator.agreement import (
    GoldAccuracyAccumulator,
    PairGoldAccumulator,
    PeerAgreementAccumulator,
    preference_disagreement,
    preference_side,
    task_disagreement,
)


def test_task_disagreement_is_the_share_of_differing_pairs_where_both_apply():
    # two annotators, 4 questions; the third does not apply to the second annotator
    a = ([1, 1, 0, 1], [1, 1, 1, 1])
    b = ([1, 0, 1, 0], [1, 1, 0, 1])
    assert task_disagreement([a, b]) == pytest.approx(2 / 3)  # q2 and q4 differ of q1, q2, q4
    c = ([1, 1, 1, 1], [1, 1, 1, 1])
    # pairs: a-b 2 of 3, a-c 1 of 4 (q3), b-c 2 of 3 → 5 of 10
    assert task_disagreement([a, b, c]) == pytest.approx(5 / 10)
    assert task_disagreement([a, a]) == 0.0
    assert task_disagreement([a]) is None and task_disagreement([]) is None
    assert task_disagreement([([1], [0]), ([0], [1])]) is None  # nothing applies to both


def test_preference_disagreement():
    assert preference_disagreement([1, 1]) == 0.0
    assert preference_disagreement([1, 2, 2]) == pytest.approx(2 / 3)
    assert preference_disagreement([3, None]) is None


def test_peer_agreement_per_annotator():
    peers = PeerAgreementAccumulator()
    peers.add([("a", [1, 1], [1, 1]), ("b", [1, 0], [1, 1]), ("c", [0, 0], [1, 0])])
    peers.add([("a", [0], [1])])  # alone: nothing to compare
    # a: vs b 1/2, vs c 0/1 → 1/3; b: vs a 1/2, vs c 0/1 → 1/3; c: vs a 0/1, vs b 0/1
    assert (peers.result("a").n, peers.result("a").value) == (3, pytest.approx(1 / 3))
    assert peers.result("b").hits == 1 and peers.result("c").value == 0.0
    assert peers.result("nobody").value is None and peers.annotators() == {"a", "b", "c"}


def test_gold_accuracy_counts_expected_questions_and_options():
    gold = GoldAccuracyAccumulator()
    expected = {"answers": [1, 0, 1], "mask": [1, 1, 0], "options": {"x": 2, "y": 1}}
    # right on q1, marked q2 not applicable (wrong); q3 does not count; x right, y missing
    gold.add("a", [1, 0, 1], [1, 0, 1], {"x": 2}, expected["answers"], expected["mask"], expected["options"])
    assert (gold.checks("a"), gold.binary("a").n, gold.binary("a").value) == (1, 2, 0.5)
    assert (gold.options("a").n, gold.options("a").value) == (2, 0.5)
    assert gold.sub_dimension("a", "x").value == 1.0 and gold.sub_dimension("a", "y").value == 0.0
    # vectors of another width (another checklist version) count options only
    gold.add("b", [1], [1], {"x": 2, "y": 1}, expected["answers"], expected["mask"], expected["options"])
    assert gold.binary("b").n == 0 and gold.options("b").value == 1.0
    assert gold.annotators() == {"a", "b"}


# --- pair gold checks -------------------------------------------------------------------


def test_a_preference_takes_a_side_and_a_tie_is_a_side_of_its_own():
    assert [preference_side(p) for p in (1, 2, 3, 4, 5)] == ["A", "A", "tie", "B", "B"]
    assert [preference_side(p) for p in (None, 0, 6, True, "2", 2.0)] == [None] * 6


def test_pair_gold_agreement_counts_sides_not_strength():
    acc = PairGoldAccumulator()
    acc.add("a", 1, {"quality": 5}, 2, {"quality": 4})  # A vs A: agrees; B vs B on quality
    acc.add("a", 3, {}, 3, {"quality": 1})  # tie vs tie: agrees; quality left out: does not
    acc.add("b", 3, {}, 2, {})  # a tie does not agree with "A better"
    acc.add("b", 4, {}, None, {})  # no gold preference: nothing compared
    assert (acc.checks("a"), acc.preference("a").n, acc.preference("a").value) == (2, 2, 1.0)
    assert (acc.dimensions("a").n, acc.dimensions("a").value) == (2, 0.5)
    assert (acc.checks("b"), acc.preference("b").n, acc.preference("b").value) == (2, 1, 0.0)
    assert acc.dimensions("b").value is None and acc.annotators() == {"a", "b"}
