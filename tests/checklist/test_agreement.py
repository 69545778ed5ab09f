"""Agreement statistics against hand-computed and published values (no database)."""

from fractions import Fraction

import pytest

from annotator.agreement import (
    AgreementAccumulator,
    binary_agreement,
    disagreements,
    fleiss_kappa,
    krippendorff_alpha,
    ordinal_agreement,
    preference_disagreements,
)
from annotator.checklist import checklist_from_dict

from .helpers import mini_dict

# Fleiss (1971) as tabulated on Wikipedia: 10 subjects, 14 raters each, 5 categories.
FLEISS_TABLE = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C: 4 coders,
# 12 units, missing values. Published: nominal .743, ordinal .815, interval .849.
_ = None
RELIABILITY_DATA = list(
    zip(
        [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
        [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
        strict=True,
    )
)


def test_fleiss_kappa_of_the_textbook_example():
    assert fleiss_kappa(FLEISS_TABLE) == pytest.approx(0.2099, abs=1e-4)
    accumulator = AgreementAccumulator()
    for row in FLEISS_TABLE:
        accumulator.add([c for c, n in enumerate(row) for _ in range(n)])
    assert accumulator.n_items == 10
    assert accumulator.percent_agreement() == pytest.approx(0.378, abs=1e-3)  # P-bar in the example


def test_binary_agreement_with_a_varying_number_of_raters_by_hand():
    items = [
        [True, True, True],  # P = 1
        [1, 0, None],  # two ratings that differ: P = 0
        [0, 0, 1],  # 1 agreeing pair of 3: P = 1/3
        [1, None],  # one rating: not counted
        [None, None],
        [],
    ]
    result = binary_agreement(items)
    assert result.n_items == 3
    assert result.percent_agreement == pytest.approx(float(Fraction(4, 9)))
    # p_yes = 5/8, p_no = 3/8 → P_e = 17/32; κ = (4/9 − 17/32) / (15/32) = −5/27
    assert result.kappa == pytest.approx(float(Fraction(-5, 27)))


def test_binary_agreement_is_undefined_without_variance_or_items():
    unanimous = binary_agreement([[1, 1], [1, 1, 1]])
    assert (unanimous.n_items, unanimous.percent_agreement, unanimous.kappa) == (2, 1.0, None)
    empty = binary_agreement([[1], [None, 0]])
    assert (empty.n_items, empty.percent_agreement, empty.kappa) == (0, None, None)
    perfect = binary_agreement([[1, 1], [0, 0]])
    assert perfect.kappa == pytest.approx(1.0)
    with pytest.raises(ValueError, match="binary"):
        binary_agreement([[1, 2]])


def test_with_equal_raters_the_generalised_kappa_is_fleiss_kappa():
    items = [[1, 1, 0], [0, 0, 0], [1, 0, 1], [1, 1, 1]]
    table = [[row.count(0), row.count(1)] for row in items]
    assert binary_agreement(items).kappa == pytest.approx(fleiss_kappa(table))


@pytest.mark.parametrize(("metric", "expected"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)])
def test_krippendorff_alpha_of_the_published_example(metric, expected):
    assert krippendorff_alpha(RELIABILITY_DATA, metric) == pytest.approx(expected, abs=5e-4)


def test_ordinal_agreement_by_hand():
    # ranks (0 = best): (0, 0), (0, 1), (2, 2) → n_0 = 3, n_1 = 1, n_2 = 2; D_o·n = 8, D_e·n(n−1) = 180
    result = ordinal_agreement([[0, 0], [0, 1], [2, 2], [1, None]])
    assert result.n_items == 3
    assert result.percent_agreement == pytest.approx(2 / 3)
    assert result.alpha == pytest.approx(1 - 5 * 8 / 180)  # 7/9
    assert ordinal_agreement([[1, 1], [1, 1]]).alpha is None  # one value only: undefined
    assert ordinal_agreement([[0, 0], [1, 1]]).alpha == pytest.approx(1.0)
    with pytest.raises(ValueError, match="metric"):
        krippendorff_alpha([[0, 1]], "ratio")


def test_disagreements_name_the_sub_dimensions_in_checklist_order():
    checklist = checklist_from_dict(mini_dict())
    a = {"clarity": 2, "lighting": 1, "face": 1, "eyes": 1, "eye_color": 7}
    b = {"clarity": 1, "lighting": 1, "face": 1, "eyes": -1, "eye_color": 7}
    c = {"eye_color": 7, "clarity": 2, "lighting": 1, "face": 1, "eyes": 1}
    assert disagreements([a, b], checklist) == ["clarity", "eyes"]
    assert disagreements([a, c], checklist) == []
    assert disagreements([a], checklist) == []
    gated = {"clarity": 1, "lighting": 1, "face": 1, "eyes": -1}  # eye_color gated closed: absent
    assert disagreements([b, gated], checklist) == ["eye_color"]
    assert disagreements([{"x": [1]}, {"x": [1]}, {"x": [2]}]) == ["x"]


def test_preference_disagreements():
    assert preference_disagreements([2, 2]) == []
    assert preference_disagreements([2, 4, 2]) == ["preference"]
    assert preference_disagreements([]) == []
