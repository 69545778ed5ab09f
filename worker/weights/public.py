"""The public VisionReward weights (THUDM/VisionReward, Apache-2.0) as keyed weight vectors.

The upstream files (copied unchanged into ``public/``, see ``public/NOTICE``) are positional:
a question file (one question per line) and a weight file. Here every line is matched, by its
text with surrounding whitespace stripped, to the question of the built-in checklist with the
same text, and the coefficients are keyed by our question keys:

* **image** (``visionreward-image``): ``coef[0]`` is the alignment feature (an extra feature
  with default 0.7, the value the reference scorer hardcodes); the remaining coefficients belong
  to the file's questions minus its presence questions, in file order. ``which="full"`` reads
  ``image_weight.json`` (54 question coefficients, many 0) against the 59-question file,
  ``which="select"`` reads ``image_weight_select.json`` (27) against the 30-question file; both
  give the same scores. The reference masks (body presence zeroes the body-correctness and the
  two harm questions, face presence the face questions, hands presence the hands questions)
  become ``gates``; for ``"full"`` they also cover the body / face / hands questions whose
  coefficient is 0. Normalization ``"sum"``, encoding ``"signed"``, intercept from the file.
* **video** (``visionreward-video``): the 29 questions of the select file with the weights of
  ``video_weight.json`` (upstream ships no others, so ``which`` may be ``"full"`` or
  ``"select"`` and gives the same vector), normalization ``"mean"``, no gates, no extra, and
  encoding ``"unmasked"``: the reference video scorer has no presence masks, so every one of its
  questions counts +1 or −1. The built-in video checklist still marks q17 ("Is there any
  lighting present?") and q56 ("Are there any letters present?") as presence questions, so
  choosing "no lighting" / "no letters" masks q15, q16 / q54, q55 (the annotator's screen and
  the exported ``mask``); under ``"unmasked"`` those masked questions count as the *no* their
  thresholds give (the not-present option is the lowest), exactly as the reference scores the
  same answers. With ``"signed"`` they would count 0 and "no lighting" would score 0.2020
  instead of the reference's 0.1889.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

from annotator.checklist.model import Checklist

from .features import checklist_dimensions
from .types import WeightsError, WeightVector

__all__ = [
    "PUBLIC_ATTRIBUTION",
    "PUBLIC_DIR",
    "public_question_keys",
    "public_weight_vector",
    "read_question_lines",
    "read_weight_file",
]

PUBLIC_DIR = Path(__file__).resolve().parent / "public"

PUBLIC_ATTRIBUTION = (
    "Weights and question lists from VisionReward (https://github.com/THUDM/VisionReward), "
    'Apache License 2.0; Jiazheng Xu et al., "VisionReward: Fine-Grained Multi-Dimensional Human '
    'Preference Learning for Image and Video Generation", arXiv:2412.21059 (2024). '
    "Files copied unchanged (renamed); see worker/weights/public/NOTICE."
)

IMAGE, VIDEO = "visionreward-image", "visionreward-video"
WHICH = ("full", "select")
ALIGNMENT = "alignment"
ALIGNMENT_DEFAULT = 0.7  # the reference image scorer's hardcoded alignment score

# file names under PUBLIC_DIR: (checklist key, which) → (question file, weight file)
QUESTION_FILES: dict[tuple[str, str], str] = {
    (IMAGE, "full"): "image_VisionReward_image_qa.txt",
    (IMAGE, "select"): "image_VisionReward_image_qa_select.txt",
    (VIDEO, "full"): "video_VisionReward_video_qa.txt",
    (VIDEO, "select"): "video_VisionReward_video_qa_select.txt",
}
WEIGHT_FILES: dict[tuple[str, str], str] = {
    (IMAGE, "full"): "image_weight.json",
    (IMAGE, "select"): "image_weight_select.json",
    (VIDEO, "select"): "video_weight.json",
}

# The reference image scorer's masks (inference-image.py, MASK_FEATURE_MAP), by 0-based line
# index of the select question file: presence line → the lines it zeroes when not "yes".
IMAGE_SELECT_MASKS: dict[int, tuple[int, ...]] = {0: (22, 23, 24, 28, 29), 1: (25, 26), 2: (27,)}


@cache
def read_question_lines(name: str) -> tuple[str, ...]:
    """The lines of a question file in ``public/``, whitespace-stripped (trailing spaces and a
    missing final newline are tolerated; blank lines are an error)."""
    lines = tuple(line.strip() for line in (PUBLIC_DIR / name).read_text(encoding="utf-8").splitlines())
    for number, line in enumerate(lines, start=1):
        if not line:
            raise WeightsError(f"{name}, line {number}: blank line in a question file", field=name)
    return lines


@cache
def _weight_file(name: str) -> tuple[tuple[float, ...], float]:
    data = json.loads((PUBLIC_DIR / name).read_text(encoding="utf-8"))
    if isinstance(data, dict):
        coef, intercept = data.get("coef"), data.get("intercept", [0.0])
        if isinstance(intercept, list):
            if len(intercept) != 1:
                raise WeightsError(f"{name}: intercept must hold one value (got {intercept!r})", field=name)
            intercept = intercept[0]
    else:
        coef, intercept = data, 0.0
    if not isinstance(coef, list) or not coef:
        raise WeightsError(f"{name}: no coefficient list", field=name)
    values = []
    for index, value in enumerate([*coef, intercept]):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise WeightsError(f"{name}: value {index} is not a finite number ({value!r})", field=name)
        values.append(float(value))
    return tuple(values[:-1]), values[-1]


def read_weight_file(name: str) -> tuple[list[float], float]:
    """``(coefficients, intercept)`` of a weight file in ``public/``: ``{"coef": [...],
    "intercept": [b]}`` (image) or a bare list (video, intercept 0)."""
    coef, intercept = _weight_file(name)
    return list(coef), intercept


def _check(checklist: Checklist, which: str) -> None:
    if not isinstance(checklist, Checklist):
        raise WeightsError(f"expected a Checklist (got {type(checklist).__name__})", field="checklist")
    if checklist.key not in (IMAGE, VIDEO):
        raise WeightsError(
            f"checklist {checklist.key!r} is not a VisionReward built-in; public weights exist for "
            f"{IMAGE!r} and {VIDEO!r} only",
            field="checklist",
        )
    if which not in WHICH:
        raise WeightsError(f"which must be 'full' or 'select' (got {which!r})", field="which")


def public_question_keys(checklist: Checklist, which: str = "full") -> list[str]:
    """Our question keys for the lines of the upstream question file, in file order.

    ``which="full"``: the full list (image 59, video 64); ``"select"``: the scorer's list (image
    30, video 29). Raises :class:`WeightsError` when the checklist is not a VisionReward
    built-in or when a line matches no question of it (or two lines the same one)."""
    _check(checklist, which)
    name = QUESTION_FILES[(checklist.key, which)]
    by_text: dict[str, str] = {}
    for question in checklist.questions:
        by_text.setdefault(question.text.strip(), question.key)
    keys: list[str] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(read_question_lines(name), start=1):
        key = by_text.get(line)
        if key is None:
            raise WeightsError(
                f"{name}, line {number}: {line!r} matches no question of checklist {checklist.key!r}", field=name
            )
        if key in seen:
            raise WeightsError(
                f"{name}, lines {seen[key]} and {number} both match question {key} of checklist {checklist.key!r}",
                field=name,
            )
        seen[key] = number
        keys.append(key)
    return keys


def _image_gates(checklist: Checklist, which: str, coefficient_keys: set[str]) -> dict[str, str]:
    """The reference masks as gates, restricted to keys with a coefficient. For ``"full"`` the
    other non-presence questions of the body / face / hands sub-dimensions are gated too (their
    coefficients are 0, so the score is the same; they are gated for consistency)."""
    select_keys = public_question_keys(checklist, "select")
    gates: dict[str, str] = {}
    for presence_line, lines in IMAGE_SELECT_MASKS.items():
        presence = select_keys[presence_line]
        if not checklist.question(presence).presence:
            raise WeightsError(f"{presence} should be a presence question of {checklist.key!r}", field="gates")
        if which == "full":
            for question in checklist.sub_dimension_of(presence).questions:
                if not question.presence:
                    gates[question.key] = presence
        for line in lines:
            gates[select_keys[line]] = presence
    order = {key: index for index, key in enumerate(checklist.question_keys)}
    return {key: gates[key] for key in sorted(gates, key=order.__getitem__) if key in coefficient_keys}


def public_weight_vector(checklist: Checklist, which: str = "full") -> WeightVector:
    """The upstream weights as a :class:`WeightVector` for a VisionReward built-in checklist
    (rules in the module docstring). ``which`` is ``"full"`` or ``"select"``.

    Raises :class:`WeightsError` when the checklist is not a VisionReward built-in, when an
    upstream line matches no question of it, or when the numbers of coefficients and questions
    disagree."""
    _check(checklist, which)
    dimensions = checklist_dimensions(checklist)
    if checklist.key == VIDEO:
        keys = public_question_keys(checklist, "select")
        name = WEIGHT_FILES[(VIDEO, "select")]
        coef, intercept = read_weight_file(name)
        if len(coef) != len(keys):
            raise WeightsError(f"{name}: {len(coef)} coefficients for {len(keys)} questions", field=name)
        return WeightVector(
            coefficients=dict(zip(keys, coef, strict=True)),
            encoding="unmasked",
            normalization="mean",
            intercept=intercept,
            dimensions=dimensions,
        )
    keys = [key for key in public_question_keys(checklist, which) if not checklist.question(key).presence]
    name = WEIGHT_FILES[(IMAGE, which)]
    coef, intercept = read_weight_file(name)
    if len(coef) != len(keys) + 1:
        raise WeightsError(
            f"{name}: {len(coef)} coefficients, expected {len(keys) + 1} (alignment + {len(keys)} non-presence "
            "questions)",
            field=name,
        )
    coefficients = dict(zip(keys, coef[1:], strict=True))
    return WeightVector(
        coefficients=coefficients,
        encoding="signed",
        normalization="sum",
        intercept=intercept,
        extra={ALIGNMENT: coef[0]},
        extra_defaults={ALIGNMENT: ALIGNMENT_DEFAULT},
        gates=_image_gates(checklist, which, set(coefficients)),
        dimensions=dimensions,
    )
