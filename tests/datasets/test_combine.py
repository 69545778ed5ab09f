"""Combine rules on hand-made examples: majority, ties, agreement, gating, gold precedence, "all"."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from annotator.checklist import checklist_from_dict, collapse, expand, load_builtin
from datasets_app.export import Answers, ExportError, Item, MediaRef, majority_vote, rows_of
from datasets_app.export.combine import pair_row
from datasets_app.export.items import PairItem
from tests.checklist.helpers import mini_dict, random_option_set
from tests.datasets import answers_for, settings

KEYS = [
    "very_clear",
    "clear",
    "good_light",
    "has_light",
    "beautiful_light",
    "not_ugly_light",
    "good_face",
    "face_present",
    "sharp_eyes",
    "eyes_visible",
    "natural_eyes",
    "not_wrong_eyes",
]


@pytest.fixture(scope="module")
def mini():
    checklist = checklist_from_dict(mini_dict())
    assert list(checklist.question_keys) == KEYS
    return checklist


def opts(**changes) -> dict:
    """A complete valid choice of the mini checklist (everything present and good)."""
    base = {"clarity": 2, "lighting": 3, "light_beauty": 2, "face": 1, "eyes": 1, "eye_color": 7}
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


def item_of(checklist, annotations, gold=None, asset_id=1) -> Item:
    return Item(
        asset_id=asset_id,
        project_id=1,
        prompt="a prompt",
        media_type=checklist.media_type,
        media_path="/nonexistent/a.jpg",
        media_sha256="ab" * 32,
        annotations=tuple(annotations),
        gold=gold,
    )


def ann(checklist, annotation_id, **changes) -> Answers:
    return answers_for(checklist, opts(**changes), annotation_id, f"ann{annotation_id}")


def by_key(values) -> dict:
    return dict(zip(KEYS, values, strict=True))


def test_majority_of_three_with_agreement(mini):
    annotations = [ann(mini, 1, clarity=2), ann(mini, 2, clarity=1), ann(mini, 3, clarity=0)]
    vote = majority_vote(mini, annotations)
    answers, mask, agreement = by_key(vote.answers), by_key(vote.mask), by_key(vote.agreement)
    assert (answers["very_clear"], answers["clear"]) == (0, 1)  # 1 of 3 yes, 2 of 3 yes
    assert agreement["very_clear"] == pytest.approx(2 / 3)
    assert agreement["clear"] == pytest.approx(2 / 3)
    assert agreement["good_light"] == 1.0  # unanimous
    assert all(mask.values())
    assert vote.options["clarity"] == 1  # implied by "not very clear" + "clear"


def test_tie_goes_to_no_without_gold(mini):
    vote = majority_vote(mini, [ann(mini, 1, clarity=2), ann(mini, 2, clarity=0)])
    answers, agreement = by_key(vote.answers), by_key(vote.agreement)
    assert (answers["very_clear"], answers["clear"]) == (0, 0)
    assert agreement["very_clear"] == 0.5
    assert vote.options["clarity"] == 0


def test_tie_goes_to_gold(mini):
    gold = answers_for(mini, opts(clarity=1), None, "reviewer", "gold")
    vote = majority_vote(mini, [ann(mini, 1, clarity=2), ann(mini, 2, clarity=0)], gold)
    answers = by_key(vote.answers)
    assert (answers["very_clear"], answers["clear"]) == (0, 1)  # gold: not very clear, clear
    assert vote.options["clarity"] == 1
    # the gold answer breaks ties only: it is not a vote
    vote = majority_vote(mini, [ann(mini, 1, clarity=2), ann(mini, 2, clarity=2)], gold)
    assert by_key(vote.answers)["very_clear"] == 1


def test_presence_majority_masks_gated_questions(mini):
    annotations = [
        ann(mini, 1, lighting=3),
        ann(mini, 2, lighting=1, light_beauty=None),
        ann(mini, 3, lighting=1, light_beauty=None),
    ]
    vote = majority_vote(mini, annotations)
    answers, mask, agreement = by_key(vote.answers), by_key(vote.mask), by_key(vote.agreement)
    assert (answers["has_light"], mask["has_light"]) == (0, 1)
    assert agreement["has_light"] == pytest.approx(2 / 3)
    for key in ("good_light", "beautiful_light", "not_ugly_light"):
        assert (answers[key], mask[key], agreement[key]) == (0, 0, None)
    assert vote.options["lighting"] == 1  # the not-present option
    assert vote.options["light_beauty"] is None  # gated closed, no not-present option


def test_presence_tie_follows_gold_applicability(mini):
    annotations = [ann(mini, 1, lighting=3, light_beauty=1), ann(mini, 2, lighting=1, light_beauty=None)]
    no_gold = majority_vote(mini, annotations)
    assert by_key(no_gold.mask)["beautiful_light"] == 0
    gold = answers_for(mini, opts(lighting=2, light_beauty=1), None, "reviewer", "gold")
    with_gold = majority_vote(mini, annotations, gold)
    answers, mask = by_key(with_gold.answers), by_key(with_gold.mask)
    assert (answers["has_light"], mask["has_light"]) == (1, 1)
    # gated questions: only rater 1 answered them; they apply because the gate is open
    assert (answers["beautiful_light"], answers["not_ugly_light"]) == (0, 1)
    assert mask["beautiful_light"] == mask["not_ugly_light"] == 1
    assert (answers["good_light"], mask["good_light"]) == (1, 1)  # 1 rater, yes


def test_chained_gates(mini):
    # 5 raters: 3 see a face (so its eyes: a gated sub-dimension whose presence is then implied),
    # 2 see none; eye colour is gated by the eyes.
    annotations = [
        ann(mini, 1, face=1, eyes=1, eye_color=7),
        ann(mini, 2, face=1, eyes=0, eye_color=9),
        ann(mini, 3, face=0, eyes=1, eye_color=8),
        ann(mini, 4, face=-1, eyes=None, eye_color=None),
        ann(mini, 5, face=-1, eyes=None, eye_color=None),
    ]
    vote = majority_vote(mini, annotations)
    answers, mask, agreement = by_key(vote.answers), by_key(vote.mask), by_key(vote.agreement)
    assert (answers["face_present"], agreement["face_present"]) == (1, pytest.approx(3 / 5))
    assert (answers["good_face"], agreement["good_face"]) == (1, pytest.approx(2 / 3))
    assert (answers["eyes_visible"], agreement["eyes_visible"]) == (1, 1.0)
    assert (answers["sharp_eyes"], agreement["sharp_eyes"]) == (1, pytest.approx(2 / 3))
    assert (answers["natural_eyes"], answers["not_wrong_eyes"]) == (0, 1)  # 1 of 3, 2 of 3
    assert all(mask[key] for key in KEYS)
    assert vote.options == {**vote.options, "face": 1, "eyes": 1, "eye_color": 9}
    # the same with a face for 2 raters only: everything behind the face gate is masked
    vote = majority_vote(mini, annotations[:2] + annotations[3:])
    mask = by_key(vote.mask)
    assert mask["face_present"] == 1 and by_key(vote.answers)["face_present"] == 0
    assert not any(mask[key] for key in ("good_face", "sharp_eyes", "eyes_visible", "natural_eyes"))
    assert (vote.options["face"], vote.options["eyes"], vote.options["eye_color"]) == (-1, -1, None)


@pytest.mark.parametrize("name", ["mini", "visionreward-image", "visionreward-video"])
def test_majority_rows_are_consistent_checklist_answers(mini, name):
    """Property: the majority row's options are complete and expand back to its answers and mask."""
    checklist = mini if name == "mini" else load_builtin(name)
    rng = random.Random(5)
    for trial in range(60):
        annotations = [answers_for(checklist, random_option_set(checklist, rng), k) for k in range(rng.randint(1, 6))]
        gold = answers_for(checklist, random_option_set(checklist, rng), None, "r", "gold") if trial % 2 else None
        vote = majority_vote(checklist, annotations, gold)
        implied = collapse(checklist, [a if m else None for a, m in zip(vote.answers, vote.mask, strict=True)])
        assert implied.complete, (trial, implied.inconsistencies, implied.unknown)
        expansion = expand(checklist, {k: v for k, v in vote.options.items() if v is not None})
        assert expansion.answers == vote.answers and expansion.mask == vote.mask
        for value, applicable in zip(vote.agreement, vote.mask, strict=True):
            assert (value is None) == (not applicable)
            assert value is None or 0.5 <= value <= 1.0 or (gold is not None and 0 <= value <= 1)


def test_single_annotation_majority_equals_it(mini):
    single = ann(mini, 1, clarity=0, lighting=1, light_beauty=None, face=-1, eyes=None, eye_color=None)
    vote = majority_vote(mini, [single])
    assert (vote.answers, vote.mask) == (single.answers, single.mask)
    assert vote.options == {**single.options}


def test_rows_majority(mini):
    item = item_of(mini, [ann(mini, 1, clarity=2), ann(mini, 2, clarity=1), ann(mini, 3, clarity=1)])
    (row,) = rows_of(item, mini, settings(combine="majority"))
    assert row["id"] == "1" and row["source"] == "majority" and row["annotator"] is None and row["state"] is None
    assert row["num_annotations"] == 3
    assert row["options"]["clarity"] == 1
    assert list(row["options"]) == [sub.key for sub in mini.sub_dimensions]
    assert row["image"] == MediaRef("/nonexistent/a.jpg")  # identified by content on export
    assert row["media_sha256"] == "ab" * 32
    assert row["metadata"] == "{}"
    assert row["dimension_scores"] is None and row["score"] is None


def test_rows_all_counts_every_annotation_and_gold(mini):
    gold = answers_for(mini, opts(clarity=0), 99, "reviewer", "gold")
    annotations = [ann(mini, 11), ann(mini, 12, clarity=1), replace(ann(mini, 13), state="reviewed")]
    rows = rows_of(item_of(mini, annotations, gold, asset_id=5), mini, settings(combine="all"))
    assert [row["id"] for row in rows] == ["5-11", "5-12", "5-13", "5-gold"]
    assert [row["source"] for row in rows] == ["annotation"] * 3 + ["gold"]
    assert [row["state"] for row in rows] == ["submitted", "submitted", "reviewed", "gold"]
    assert [row["annotator"] for row in rows] == ["ann11", "ann12", "ann13", "reviewer"]
    assert all(row["agreement"] is None and row["num_annotations"] == 3 for row in rows)
    assert rows[1]["answers"] == list(annotations[1].answers)
    assert rows[3]["options"]["clarity"] == 0
    anonymous = [replace(ann(mini, 1), annotation_id=None), replace(ann(mini, 2), annotation_id=None)]
    rows = rows_of(item_of(mini, anonymous, asset_id=6), mini, settings(combine="all"))
    assert [row["id"] for row in rows] == ["6-n0", "6-n1"]


def test_rows_gold_takes_precedence(mini):
    gold = answers_for(mini, opts(clarity=0), None, "reviewer", "gold")
    annotations = [ann(mini, 1, clarity=2), ann(mini, 2, clarity=2), ann(mini, 3, clarity=0)]
    (row,) = rows_of(item_of(mini, annotations, gold), mini, settings(combine="gold"))
    assert row["source"] == "gold" and row["annotator"] == "reviewer" and row["id"] == "1"
    assert row["answers"] == list(gold.answers) and row["options"]["clarity"] == 0
    agreement = by_key(row["agreement"])
    assert agreement["very_clear"] == pytest.approx(1 / 3)  # 1 of 3 raters said "not very clear"
    assert agreement["good_light"] == 1.0
    # without gold: the majority row
    (row,) = rows_of(item_of(mini, annotations), mini, settings(combine="gold"))
    assert row["source"] == "majority" and row["options"]["clarity"] == 2


def test_items_without_annotations(mini):
    assert rows_of(item_of(mini, []), mini, settings(combine="majority")) == []
    assert rows_of(item_of(mini, []), mini, settings(combine="all")) == []
    gold = answers_for(mini, opts(), None, "reviewer", "gold")
    (row,) = rows_of(item_of(mini, [], gold), mini, settings(combine="majority"))
    assert row["source"] == "gold" and row["num_annotations"] == 0
    assert all(value is None for value in row["agreement"])


def test_bad_answers_are_rejected(mini):
    good = ann(mini, 1)
    with pytest.raises(ExportError, match="expected 12 answers") as error:
        rows_of(item_of(mini, [replace(good, answers=good.answers[:-1])]), mini, settings())
    assert "annotations[0]" in error.value.field
    with pytest.raises(ExportError, match="0 or 1"):
        rows_of(item_of(mini, [replace(good, mask=(2,) * 12)]), mini, settings())
    with pytest.raises(ExportError, match="not an option code"):
        rows_of(item_of(mini, [replace(good, options={**good.options, "clarity": 5})]), mini, settings())
    with pytest.raises(ExportError, match="unknown sub-dimension"):
        rows_of(item_of(mini, [replace(good, options={"nope": 1})]), mini, settings())
    with pytest.raises(ExportError, match="unknown state"):
        rows_of(item_of(mini, [replace(good, state="draft")]), mini, settings())
    with pytest.raises(ExportError) as error:
        rows_of(replace(item_of(mini, [good]), dimension_scores={"nope": 1.0}), mini, settings())
    assert error.value.field == "dimension_scores"
    with pytest.raises(ExportError) as error:
        rows_of(replace(item_of(mini, [good]), media_type="video"), mini, settings())
    assert error.value.field == "media_type"
    with pytest.raises(ExportError) as error:
        rows_of(replace(item_of(mini, [good]), media_path=""), mini, settings())
    assert error.value.field == "media_path"
    assert rows_of(replace(item_of(mini, []), media_path=""), mini, settings()) == []  # nothing to export


def test_pair_rows():
    def pair(ratings, gold=None):
        return PairItem(1, 2, "p", 10, 11, "/a.jpg", "/b.jpg", tuple(ratings), gold)

    row = pair_row(pair([1, 2, 4]), "image")
    assert row["preference_mean"] == pytest.approx(7 / 3)
    assert (row["label"], row["standard_answer"]) == (1.0, "1")
    row = pair_row(pair([2, 4]), "image")
    assert (row["label"], row["standard_answer"]) == (0.5, "0")
    row = pair_row(pair([1, 1], gold=5), "image")
    assert (row["label"], row["standard_answer"], row["gold_rating"]) == (0.0, "2", 5)
    row = pair_row(pair([], gold=3), "video")
    assert row["preference_mean"] is None and row["label"] == 0.5
    assert row["video_a_path"] == MediaRef("/a.jpg", embed=False)
    assert pair_row(pair([]), "image") is None
    with pytest.raises(ExportError) as error:
        pair_row(pair([0]), "image")
    assert error.value.field == "ratings"


def test_late_extras_count_only_when_the_settings_include_them(mini):
    from datasets_app.export.combine import counted, counted_pair
    from datasets_app.export.items import ExportSettings

    on_time = [ann(mini, 1), ann(mini, 2, clarity=0)]
    late = replace(ann(mini, 3, clarity=0), late=True)
    item = item_of(mini, [*on_time, late])
    left_out, included = ExportSettings(combine="all"), ExportSettings(combine="all", include_late=True)
    assert counted(item, left_out).annotations == tuple(on_time)
    assert counted(item, included) is item
    assert len(rows_of(counted(item, left_out), mini, left_out)) == 2
    assert len(rows_of(counted(item, included), mini, included)) == 3

    pair = PairItem(1, 1, "p", asset_a=1, asset_b=2, media_a="", media_b="", ratings=(1,), late_ratings=(5,))
    assert counted_pair(pair, left_out).ratings == (1,)
    assert counted_pair(pair, included).ratings == (1, 5)
    assert counted_pair(replace(pair, ratings=()), left_out).ratings == ()
    assert pair_row(counted_pair(replace(pair, ratings=()), left_out), "image") is None


@pytest.mark.parametrize("source", ["mini", "visionreward-image", "visionreward-video"])
def test_collapsed_options_match_collapse_on_every_kind_of_vector(source):
    """The export's memoised collapse gives exactly ``collapse(...).options``: on the answers of
    valid option sets, on random 0 / 1 / unknown vectors (inconsistent ones included) and on
    the majority vectors of random annotations, for checklists with gates and presence."""
    from datasets_app.export.combine import collapsed_options

    checklist = checklist_from_dict(mini_dict()) if source == "mini" else load_builtin(source)
    rng = random.Random(17)
    n = len(checklist.questions)
    vectors = []
    for _ in range(300):
        expansion = expand(checklist, random_option_set(checklist, rng))
        vectors.append([a if m else None for a, m in zip(expansion.answers, expansion.mask, strict=True)])
        vectors.append([rng.choice((0, 1, None)) for _ in range(n)])
        noisy = list(vectors[-2])
        noisy[rng.randrange(n)] = rng.choice((0, 1, None))
        vectors.append(noisy)
    for values in vectors:
        assert collapsed_options(checklist, values) == dict(collapse(checklist, values).options)
    # the same checklist object keeps its memo; another object gets its own
    again = checklist_from_dict(mini_dict()) if source == "mini" else load_builtin(source)
    assert collapsed_options(again, vectors[0]) == dict(collapse(again, vectors[0]).options)
