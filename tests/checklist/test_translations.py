"""Checklist texts in other languages (``translations: {zh-CN: {...}}`` on the checklist, a
dimension, a sub-dimension, an option or a question): kept in the canonical form and the content
hash, round-tripped, absent from the canonical form of a file without any (hashes unchanged), and
every problem reported at its path."""

from __future__ import annotations

import pytest

from annotator.checklist import ChecklistError, checklist_from_dict

from .helpers import mini_dict

CLARITY = "dimensions[0].sub_dimensions[0]"


def translated() -> dict:
    data = mini_dict()
    data["translations"] = {"zh-CN": {"title": "迷你清单", "instructions": "每个子维度选一个选项。"}}
    dim = data["dimensions"][0]
    dim["translations"] = {"zh-CN": {"title": "质量"}}
    sub = dim["sub_dimensions"][0]
    sub["translations"] = {"zh-CN": {"title": "清晰度"}}
    sub["options"][0]["translations"] = {"zh-CN": {"label": "非常清晰"}}
    sub["questions"][0]["translations"] = {"zh-CN": {"text": "图像非常清晰吗？"}}
    return data


def test_translations_are_kept_in_the_canonical_form_and_the_hash():
    plain = checklist_from_dict(mini_dict())
    assert "translations" not in plain.canonical_json()  # a file without any: hash as before

    checklist = checklist_from_dict(translated())
    out = checklist.to_dict()
    assert out["translations"] == {"zh-CN": {"title": "迷你清单", "instructions": "每个子维度选一个选项。"}}
    sub = out["dimensions"][0]["sub_dimensions"][0]
    assert sub["translations"] == {"zh-CN": {"title": "清晰度"}}
    assert sub["options"][0]["translations"] == {"zh-CN": {"label": "非常清晰"}}
    assert "translations" not in sub["options"][1]
    assert checklist.content_hash() != plain.content_hash()
    assert checklist_from_dict(out) == checklist  # round trip

    question = checklist.question("very_clear")
    assert question.render_in("a cat", "zh-CN") == "图像非常清晰吗？"
    assert question.render_in("a cat", "fr") == "Is it very clear?"  # no French: the file's own text


@pytest.mark.parametrize(
    "where, value, path, words",
    [
        ("", {"zh_cn!": {"title": "x"}}, "translations.zh_cn!", "not a language tag"),
        ("", ["zh-CN"], "translations", "must be a mapping"),
        ("", {"zh-CN": "清单"}, "translations.zh-CN", "must be a mapping"),
        ("", {"zh-CN": {"key": "x"}}, "translations.zh-CN.key", "not a translatable field"),
        (CLARITY, {"zh-CN": {"titel": "x"}}, f"{CLARITY}.translations.zh-CN.titel", "did you mean 'title'"),
        (CLARITY, {"zh-CN": {"title": ""}}, f"{CLARITY}.translations.zh-CN.title", "non-empty string"),
        (CLARITY, {"zh-CN": {"title": 3}}, f"{CLARITY}.translations.zh-CN.title", "non-empty string"),
        (
            f"{CLARITY}.questions[0]",
            {"zh-CN": {"text": "[[prompts]] 清晰吗？"}},
            f"{CLARITY}.questions[0].translations.zh-CN.text",
            "unknown placeholder",
        ),
        (
            f"{CLARITY}.options[0]",
            {"zh-CN": {"code": "2"}},
            f"{CLARITY}.options[0].translations.zh-CN.code",
            "translatable",
        ),
    ],
)
def test_every_translation_problem_has_its_path(where, value, path, words):
    from .helpers import at

    data = mini_dict()
    (at(data, where) if where else data)["translations"] = value
    with pytest.raises(ChecklistError) as info:
        checklist_from_dict(data)
    problems = {p.path: p.message for p in info.value.problems}
    assert path in problems, problems
    assert words in problems[path]
