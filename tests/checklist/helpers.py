"""Small hand-written checklists and option samplers for the checklist tests."""

from __future__ import annotations

import copy
import random
from pathlib import Path

from annotator.checklist import Checklist

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "visionreward"


def mini_dict() -> dict:
    """A small checklist exercising everything: a presence question, a gate, a chain of gates
    (face → eyes → eye_color) and option codes that do not decrease along the list."""
    return copy.deepcopy(
        {
            "key": "mini",
            "title": "Mini checklist",
            "media_type": "image",
            "description": "For tests.",
            "instructions": "Choose one option per sub-dimension.",
            "dimensions": [
                {
                    "key": "quality",
                    "title": "Quality",
                    "sub_dimensions": [
                        {
                            "key": "clarity",
                            "title": "Clarity",
                            "options": [
                                {"code": 2, "label": "very clear"},
                                {"code": 1, "label": "clear"},
                                {"code": 0, "label": "blurry"},
                            ],
                            "questions": [
                                {"key": "very_clear", "text": "Is it very clear?", "yes_if_at_least": 2},
                                {"key": "clear", "text": "Is it clear?", "yes_if_at_least": 1},
                            ],
                        },
                        {
                            "key": "lighting",
                            "title": "Lighting",
                            "options": [
                                {"code": 3, "label": "good"},
                                {"code": 2, "label": "ordinary"},
                                {"code": 1, "label": "no lighting", "not_present": True},
                            ],
                            "questions": [
                                {"key": "good_light", "text": "Is the lighting good?", "yes_if_at_least": 3},
                                {
                                    "key": "has_light",
                                    "text": "Is there lighting?",
                                    "yes_if_at_least": 2,
                                    "presence": True,
                                },
                            ],
                        },
                        {
                            "key": "light_beauty",
                            "title": "Lighting beauty",
                            "gated_by": "has_light",
                            "options": [
                                {"code": 2, "label": "beautiful"},
                                {"code": 1, "label": "plain"},
                                {"code": 0, "label": "ugly"},
                            ],
                            "questions": [
                                {"key": "beautiful_light", "text": "Is the lighting beautiful?", "yes_if_at_least": 2},
                                {"key": "not_ugly_light", "text": "Is the lighting not ugly?", "yes_if_at_least": 1},
                            ],
                        },
                    ],
                },
                {
                    "key": "people",
                    "title": "People",
                    "sub_dimensions": [
                        {
                            "key": "face",
                            "title": "Face",
                            "options": [
                                {"code": 1, "label": "good"},
                                {"code": 0, "label": "bad"},
                                {"code": -1, "label": "no face", "not_present": True},
                            ],
                            "questions": [
                                {"key": "good_face", "text": "Is the face good?", "yes_if_at_least": 1},
                                {
                                    "key": "face_present",
                                    "text": "Is there a face?",
                                    "yes_if_at_least": 0,
                                    "presence": True,
                                },
                            ],
                        },
                        {
                            "key": "eyes",
                            "title": "Eyes",
                            "gated_by": "face_present",
                            "options": [
                                {"code": 1, "label": "sharp"},
                                {"code": 0, "label": "blurred"},
                                {"code": -1, "label": "eyes hidden", "not_present": True},
                            ],
                            "questions": [
                                {"key": "sharp_eyes", "text": "Are the eyes sharp?", "yes_if_at_least": 1},
                                {
                                    "key": "eyes_visible",
                                    "text": "Are the eyes visible?",
                                    "yes_if_at_least": 0,
                                    "presence": True,
                                },
                            ],
                        },
                        {
                            "key": "eye_color",
                            "title": "Eye colour",
                            "gated_by": "eyes_visible",
                            "options": [
                                {"code": 7, "label": "natural"},
                                {"code": 9, "label": "odd"},
                                {"code": 8, "label": "wrong"},
                            ],
                            "questions": [
                                {"key": "natural_eyes", "text": "Is the eye colour natural?", "yes_if_at_least": 7},
                                {"key": "not_wrong_eyes", "text": "Is the eye colour not wrong?", "yes_if_at_least": 9},
                            ],
                        },
                    ],
                },
            ],
        }
    )


def at(data: dict, path: str):
    """The object at a dotted/indexed path of a definition dict (``dimensions[0].title``)."""
    node = data
    for part in path.replace("[", ".[").split("."):
        if not part:
            continue
        node = node[int(part[1:-1])] if part.startswith("[") else node[part]
    return node


def _gate_closed(checklist: Checklist, sub, chosen: dict) -> bool:
    if sub.gated_by is None:
        return False
    source = checklist.sub_dimension(checklist.question(sub.gated_by).sub_dimension)
    if source.key not in chosen:
        return True  # the source is itself closed
    absent = source.not_present_option
    return absent is not None and chosen[source.key] == absent.code


def valid_option_sets(checklist: Checklist):
    """Every valid complete choice (gated-closed sub-dimensions omitted); small checklists only."""

    def walk(index: int, chosen: dict):
        subs = checklist.gate_order
        if index == len(subs):
            yield dict(chosen)
            return
        sub = subs[index]
        if _gate_closed(checklist, sub, chosen):
            yield from walk(index + 1, chosen)
            return
        choices = [o.code for o in sub.options if not (o.not_present and sub.gated_by is not None)]
        for code in choices:
            chosen[sub.key] = code
            yield from walk(index + 1, chosen)
            del chosen[sub.key]

    yield from walk(0, {})


def random_option_set(checklist: Checklist, rng: random.Random, absent_rate: float = 0.3) -> dict:
    """A random valid complete choice, with not-present options chosen often."""
    chosen: dict = {}
    for sub in checklist.gate_order:
        if _gate_closed(checklist, sub, chosen):
            continue
        options = [o for o in sub.options if not (o.not_present and sub.gated_by is not None)]
        absent = [o for o in options if o.not_present]
        if absent and rng.random() < absent_rate:
            chosen[sub.key] = absent[0].code
        else:
            chosen[sub.key] = rng.choice([o for o in options if not o.not_present]).code
    return chosen


def count(iterable) -> int:
    return sum(1 for _ in iterable)


# Question keys of mini_dict() in position order.
KEYS_IN_ORDER = [
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
