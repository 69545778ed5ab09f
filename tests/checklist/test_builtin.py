"""The shipped VisionReward checklists: structure, agreement with the upstream files, and
expand/collapse round trips."""

from __future__ import annotations

import importlib.util
import json
import random
from pathlib import Path

import pytest

from annotator.checklist import (
    BUILTIN_FILES,
    AnswerError,
    Collapse,
    builtin_checklists,
    collapse,
    expand,
    load_builtin,
    parse_checklist,
    validate_options,
)

from .helpers import SHARED, random_option_set

REPO = Path(__file__).resolve().parents[2]
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} is not available")
MEDIA = ("image", "video")


def checklist_of(media_type: str):
    return load_builtin(f"visionreward-{media_type}")


def upstream(media_type: str) -> dict:
    return json.loads((SHARED / f"{media_type}_checklist.json").read_text(encoding="utf-8"))


def question_file(media_type: str) -> list[str]:
    return (SHARED / f"{media_type}_VisionReward_{media_type}_qa.txt").read_text(encoding="utf-8").splitlines()


def best_present(checklist) -> dict:
    return {s.key: next(o.code for o in s.options if not o.not_present) for s in checklist.sub_dimensions}


# --- loading ----------------------------------------------------------------------------


def test_builtins_are_loaded_once_and_keyed():
    first, second = builtin_checklists(), builtin_checklists()
    assert set(first) == {"visionreward-image", "visionreward-video"}
    assert all(first[key] is second[key] for key in first)
    assert load_builtin("visionreward-image") is first["visionreward-image"]
    with pytest.raises(KeyError, match="known: visionreward-image, visionreward-video"):
        load_builtin("visionreward-audio")
    first.clear()  # the cache is not the returned dict
    assert len(builtin_checklists()) == 2


def test_builtin_files_ship_with_the_package():
    for key, path in BUILTIN_FILES.items():
        assert path.is_file() and path.parent == REPO / "annotator" / "checklist" / "builtin"
        assert parse_checklist(path.read_text(encoding="utf-8"), path.name).key == key
    notice = (REPO / "annotator" / "checklist" / "builtin" / "NOTICE").read_text(encoding="utf-8")
    assert "Apache" in notice and "2412.21059" in notice


@pytest.mark.parametrize("media_type", MEDIA)
def test_builtins_round_trip_through_the_canonical_form(media_type):
    from annotator.checklist import checklist_from_dict

    checklist = checklist_of(media_type)
    again = checklist_from_dict(json.loads(json.dumps(checklist.to_dict())))
    assert again == checklist and again.content_hash() == checklist.content_hash()


# --- structure --------------------------------------------------------------------------


def test_image_structure():
    image = checklist_of("image")
    assert image.media_type == "image"
    # Alignment, the paper's fifth image dimension, is computed by a VQA model: not annotated.
    assert [d.key for d in image.dimensions] == ["composition", "quality", "safety_emotion", "fidelity"]
    assert len(image.sub_dimensions) == 17 and len(image.questions) == 59
    assert [q.key for q in image.questions] == [f"q{i}" for i in range(1, 60)]
    assert [q.position for q in image.questions] == list(range(1, 60))
    presence = {q.key: q.sub_dimension for q in image.questions if q.presence}
    assert presence == {
        "q1": "body",
        "q2": "face",
        "q3": "hands",
        "q16": "background",
        "q27": "lighting_distinction",
    }
    gated = {s.key: s.gated_by for s in image.sub_dimensions if s.gated_by}
    assert gated == {"lighting_aesthetic": "q27"}
    assert image.sub_dimension("lighting_aesthetic").not_present_option.label == "no lighting"
    assert [q.key for q in image.sub_dimension("lighting_aesthetic").questions] == ["q28", "q29"]
    # the reference scorer also masks 58 and 59 when there is no body; annotation does not
    assert image.sub_dimension("safety").gated_by is None
    assert image.sub_dimension("object_pairing").hf_field == "object pairing"


def test_video_structure():
    video = checklist_of("video")
    assert video.media_type == "video"
    assert [d.key for d in video.dimensions] == [
        "alignment",
        "composition",
        "stability",
        "quality",
        "preservation",
        "dynamic",
        "fidelity",
        "physics",
        "safety",
    ]
    assert len(video.sub_dimensions) == 20 and len(video.questions) == 64
    assert [q.key for q in video.questions] == [f"q{i}" for i in range(1, 65)]
    with_prompt = [q.key for q in video.questions if "[[prompt]]" in q.text]
    assert with_prompt == ["q1", "q2", "q3", "q4"]
    assert {q.key for q in video.questions if q.presence} == {"q17", "q56"}
    assert not any(s.gated_by for s in video.sub_dimensions)
    assert video.sub_dimension("lighting_aesthetic").hf_field == "lighting aes"
    assert video.render_question("q1", "a dog surfing") == (
        'Does the video meet all the requirements stated in the text "a dog surfing"?'
    )


# --- agreement with the upstream files -----------------------------------------------------


@needs_shared
@pytest.mark.parametrize("media_type", MEDIA)
def test_builtins_match_the_upstream_structure(media_type):
    checklist, source = checklist_of(media_type), upstream(media_type)
    assert checklist.key == source["key"] and checklist.media_type == source["media_type"]
    assert [d.key for d in checklist.dimensions] == [d["key"] for d in source["dimensions"]]
    for dimension, source_dimension in zip(checklist.dimensions, source["dimensions"], strict=True):
        assert dimension.title == source_dimension["title"]
        assert [s.key for s in dimension.sub_dimensions] == [s["key"] for s in source_dimension["sub_dimensions"]]
        for sub, source_sub in zip(dimension.sub_dimensions, source_dimension["sub_dimensions"], strict=True):
            assert sub.title == source_sub["title"]
            assert sub.hf_field == source_sub["hf_field"]
            assert [(o.code, o.label) for o in sub.options] == [(o["code"], o["label"]) for o in source_sub["options"]]
            own = [q for q in source_sub["questions"] if not q["shared_with_other_sub_dimension"]]
            assert {q.key for q in sub.questions} == {f"q{q['qid']}" for q in own}
            for source_question in own:
                question = checklist.question(f"q{source_question['qid']}")
                assert question.text == source_question["text"]
                assert question.yes_if_at_least == source_question["yes_if_option_at_least"]
                assert question.position == source_question["qid"]
                assert question.paper_accuracy_percent == source_question["paper_accuracy_percent"]
                assert question.sub_dimension == sub.key and question.dimension == dimension.key
            shared = [q for q in source_sub["questions"] if q["shared_with_other_sub_dimension"]]
            assert [f"q{q['qid']}" for q in shared] == ([sub.gated_by] if sub.gated_by else [])


@needs_shared
def test_image_presence_questions_match_upstream():
    image, source = checklist_of("image"), upstream("image")
    assert {q.position for q in image.questions if q.presence} == {int(qid) for qid in source["presence_questions"]}


@needs_shared
@pytest.mark.parametrize("media_type", MEDIA)
def test_question_at_position_i_is_line_i_of_the_question_file(media_type):
    lines = question_file(media_type)
    checklist = checklist_of(media_type)
    assert len(lines) == len(checklist.questions)
    for question, line in zip(checklist.questions, lines, strict=True):
        assert question.text == line.strip(), question.key


@needs_shared
@pytest.mark.parametrize("media_type", MEDIA)
def test_every_option_reproduces_the_upstream_answer_rule(media_type):
    """yes iff the chosen code >= yes_if_option_at_least, for every question listed under the
    sub-dimension upstream (including question 27 listed under both lighting sub-dimensions)."""
    checklist, source = checklist_of(media_type), upstream(media_type)
    base = best_present(checklist)
    for source_dimension in source["dimensions"]:
        for source_sub in source_dimension["sub_dimensions"]:
            sub = checklist.sub_dimension(source_sub["key"])
            for option in source_sub["options"]:
                options = dict(base)
                options[sub.key] = option["code"]
                if sub.gated_by:  # keep the gate consistent with the choice
                    gate = checklist.sub_dimension_of(sub.gated_by)
                    absent = option["code"] == sub.not_present_option.code
                    options[gate.key] = gate.not_present_option.code if absent else base[gate.key]
                for sub_key in [s.key for s in checklist.sub_dimensions if s.gated_by]:
                    gate = checklist.sub_dimension_of(checklist.sub_dimension(sub_key).gated_by)
                    if options[gate.key] == gate.not_present_option.code:
                        options.pop(sub_key)
                by_key = expand(checklist, options).by_key()
                for source_question in source_sub["questions"]:
                    expected = int(option["code"] >= source_question["yes_if_option_at_least"])
                    answer, _ = by_key[f"q{source_question['qid']}"]
                    assert answer == expected, (sub.key, option, source_question["qid"])


@needs_shared
def test_the_generator_output_is_what_is_committed():
    spec = importlib.util.spec_from_file_location(
        "generate_builtin", REPO / "scripts" / "generate_builtin_checklists.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for path, text in module.outputs(SHARED).items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: run the generator"
    assert module.main(["--check", "--source", str(SHARED)]) == 0


# --- masks on the built-ins -----------------------------------------------------------------


def test_image_presence_masks():
    image = checklist_of("image")
    options = best_present(image)
    options.update(body=-4, face=-3, hands=-4, background=-1, lighting_distinction=-1)
    del options["lighting_aesthetic"]
    expansion = expand(image, options)
    table = expansion.by_key()
    for presence in ("q1", "q2", "q3", "q16", "q27"):
        assert table[presence] == (0, 1), presence
    masked = {f"q{i}" for i in [*range(44, 56), 14, 15, 25, 26, 28, 29]}
    for key, (answer, mask) in table.items():
        if key in masked:
            assert (answer, mask) == (0, 0), key
        elif key not in ("q1", "q2", "q3", "q16", "q27"):
            assert (answer, mask) == (1, 1), key  # safety (56-59) stays applicable
    assert expansion.options["lighting_aesthetic"] == -1
    assert sum(expansion.mask) == 59 - len(masked)


def test_image_lighting_gate_errors():
    image = checklist_of("image")
    options = best_present(image)
    with pytest.raises(AnswerError) as info:
        expand(image, {**options, "lighting_aesthetic": -1})
    assert [p.path for p in info.value.problems] == ["lighting_aesthetic"]
    assert [p.path for p in validate_options(image, {"lighting_distinction": -1, "lighting_aesthetic": 2})] == [
        "lighting_aesthetic"
    ]
    assert validate_options(image, {"lighting_distinction": -1, "lighting_aesthetic": -1}) == []


def test_video_not_present_options():
    video = checklist_of("video")
    options = best_present(video) | {"letters": 1, "lighting_accurate": 1}
    table = expand(video, options).by_key()
    assert table["q56"] == (0, 1) and table["q54"] == (0, 0) and table["q55"] == (0, 0)
    assert table["q17"] == (0, 1) and table["q15"] == (0, 0) and table["q16"] == (0, 0)
    assert table["q18"] == (1, 1)  # lighting aesthetic is not gated in the video checklist


# --- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("media_type", MEDIA)
def test_collapse_round_trips_every_option_of_every_sub_dimension(media_type):
    checklist = checklist_of(media_type)
    base = best_present(checklist)
    tried = 0
    for sub in checklist.sub_dimensions:
        for option in sub.options:
            options = dict(base)
            options[sub.key] = option.code
            if option.not_present and sub.gated_by:
                gate = checklist.sub_dimension_of(sub.gated_by)
                options[gate.key] = gate.not_present_option.code
            for other in checklist.sub_dimensions:  # leave out sub-dimensions the choice closes
                if other.gated_by and other.key != sub.key:
                    gate = checklist.sub_dimension_of(other.gated_by)
                    if options[gate.key] == gate.not_present_option.code:
                        del options[other.key]
            expansion = expand(checklist, options)
            assert collapse(checklist, expansion.answers) == Collapse(expansion.options, [], []), (sub.key, option)
            by_key = dict(zip(checklist.question_keys, expansion.answers, strict=True))
            assert collapse(checklist, by_key).options == expansion.options
            tried += 1
    assert tried == sum(len(s.options) for s in checklist.sub_dimensions)


@pytest.mark.parametrize(("media_type", "samples"), [("video", 3000), ("image", 1000)])
def test_collapse_round_trips_random_choices(media_type, samples):
    checklist = checklist_of(media_type)
    rng = random.Random(20241230)
    for _ in range(samples):
        options = random_option_set(checklist, rng)
        expansion = expand(checklist, options)
        assert validate_options(checklist, options, partial=False) == []
        result = collapse(checklist, expansion.answers)
        assert result.options == expansion.options, options
        assert result.inconsistencies == [] and result.unknown == []
        applicable_only = {
            key: answer
            for key, answer, mask in zip(checklist.question_keys, expansion.answers, expansion.mask, strict=True)
            if mask
        }
        assert collapse(checklist, applicable_only).options == expansion.options


@pytest.mark.parametrize("media_type", MEDIA)
def test_flipping_one_answer_is_never_silently_accepted(media_type):
    """Changing one applicable, non-presence answer of a valid expansion either describes
    another valid choice (whose expansion gives exactly the flipped answers) or is reported."""
    checklist = checklist_of(media_type)
    rng = random.Random(7)
    reported = accepted = 0
    for _ in range(400):
        expansion = expand(checklist, random_option_set(checklist, rng))
        candidates = [
            index
            for index, (question, mask) in enumerate(zip(checklist.questions, expansion.mask, strict=True))
            if mask and not question.presence
        ]
        index = rng.choice(candidates)
        answers = list(expansion.answers)
        answers[index] = 1 - answers[index]
        result = collapse(checklist, answers)
        if result.inconsistencies:
            assert [p.path for p in result.inconsistencies] == [checklist.questions[index].sub_dimension]
            reported += 1
            continue
        assert result.unknown == []
        again = expand(checklist, {k: v for k, v in result.options.items() if v is not None})
        assert list(again.answers) == answers
        accepted += 1
    assert reported and accepted
