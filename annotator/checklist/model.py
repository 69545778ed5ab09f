"""The checklist as frozen, validated data: dimension → sub-dimension → options → questions.

Instances are built by :func:`annotator.checklist.checklist_from_dict` (or
:func:`~annotator.checklist.parse_checklist`), which validates everything; the invariants the
methods below rely on (unique keys, thresholds that are options, an acyclic gating graph…)
hold for every instance built that way.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cached_property

PROMPT_PLACEHOLDER = "[[prompt]]"

# Texts in other languages: ((language, ((field, text), ...)), ...), sorted; docs/checklist-format.md.
Translations = tuple[tuple[str, tuple[tuple[str, str], ...]], ...]


def translations_dict(translations: Translations) -> dict[str, dict[str, str]]:
    return {language: dict(texts) for language, texts in translations}


def _with_translations(out: dict, translations: Translations) -> dict:
    """The canonical form carries translations only where there are some (hashes of files without stay)."""
    if translations:
        out["translations"] = translations_dict(translations)
    return out


PLACEHOLDER_RE = re.compile(r"\[\[(.*?)\]\]")


@dataclass(frozen=True)
class Option:
    """One ordinal level of a sub-dimension (``code`` as stored in the dataset)."""

    code: int
    label: str
    description: str = ""
    not_present: bool = False
    translations: Translations = ()

    def to_dict(self) -> dict:
        out = {
            "code": self.code,
            "label": self.label,
            "description": self.description,
            "not_present": self.not_present,
        }
        return _with_translations(out, self.translations)


@dataclass(frozen=True)
class Question:
    """One binary question: *yes* iff the chosen option of its sub-dimension is at or above
    (equal or better than, by position in the best → worst list) ``yes_if_at_least``."""

    key: str
    text: str
    position: int
    sub_dimension: str
    dimension: str
    yes_if_at_least: int
    presence: bool = False
    paper_accuracy_percent: float | None = None
    translations: Translations = ()

    @property
    def index(self) -> int:
        """0-based index in the answer vector (``position - 1``)."""
        return self.position - 1

    def render(self, prompt: str) -> str:
        return self.text.replace(PROMPT_PLACEHOLDER, prompt)

    def render_in(self, prompt: str, language: str) -> str:
        """The text in ``language`` (the file's own where it has no translation), prompt filled in."""
        return (
            dict(dict(self.translations).get(language, ())).get("text", self.text).replace(PROMPT_PLACEHOLDER, prompt)
        )

    def to_dict(self) -> dict:
        out = {
            "key": self.key,
            "text": self.text,
            "yes_if_at_least": self.yes_if_at_least,
            "presence": self.presence,
            "position": self.position,
            "paper_accuracy_percent": self.paper_accuracy_percent,
        }
        return _with_translations(out, self.translations)


@dataclass(frozen=True)
class SubDimension:
    """An annotated sub-dimension: the annotator chooses one of ``options`` (best first).

    ``questions`` are ordered by threshold, best first (the chain "at least very good",
    "at least good", …); ``gated_by`` is the key of a presence question of another
    sub-dimension that must be answered *yes* for this one to apply.
    """

    key: str
    title: str
    description: str
    hf_field: str
    options: tuple[Option, ...]
    questions: tuple[Question, ...]
    gated_by: str | None
    dimension: str
    translations: Translations = ()

    @cached_property
    def _rank(self) -> dict[int, int]:
        return {option.code: index for index, option in enumerate(self.options)}

    @property
    def codes(self) -> tuple[int, ...]:
        return tuple(option.code for option in self.options)

    def option(self, code: int) -> Option:
        """The option with this code; ``KeyError`` if there is none."""
        if isinstance(code, bool) or not isinstance(code, int) or code not in self._rank:
            raise KeyError(f"{code!r} is not an option code of sub-dimension {self.key!r}")
        return self.options[self._rank[code]]

    def has_option(self, code: object) -> bool:
        return isinstance(code, int) and not isinstance(code, bool) and code in self._rank

    def rank(self, code: int) -> int:
        """0 for the best option, ``len(options) - 1`` for the worst; ``KeyError`` if unknown."""
        self.option(code)
        return self._rank[code]

    def threshold_rank(self, question: Question) -> int:
        return self._rank[question.yes_if_at_least]

    def is_yes(self, question: Question, code: int) -> bool:
        """The answer to ``question`` implied by choosing ``code`` (ignores applicability)."""
        return self.rank(code) <= self._rank[question.yes_if_at_least]

    @cached_property
    def not_present_option(self) -> Option | None:
        last = self.options[-1]
        return last if last.not_present else None

    @cached_property
    def presence_question(self) -> Question | None:
        return next((question for question in self.questions if question.presence), None)

    def to_dict(self) -> dict:
        out = {
            "key": self.key,
            "title": self.title,
            "description": self.description,
            "hf_field": self.hf_field,
            "gated_by": self.gated_by,
            "options": [option.to_dict() for option in self.options],
            "questions": [question.to_dict() for question in self.questions],
        }
        return _with_translations(out, self.translations)


@dataclass(frozen=True)
class Dimension:
    key: str
    title: str
    description: str
    sub_dimensions: tuple[SubDimension, ...]
    translations: Translations = ()

    @property
    def questions(self) -> tuple[Question, ...]:
        """This dimension's questions, ordered by position."""
        return tuple(sorted((q for sub in self.sub_dimensions for q in sub.questions), key=lambda q: q.position))

    def to_dict(self) -> dict:
        out = {
            "key": self.key,
            "title": self.title,
            "description": self.description,
            "sub_dimensions": [sub.to_dict() for sub in self.sub_dimensions],
        }
        return _with_translations(out, self.translations)


@dataclass(frozen=True)
class Checklist:
    key: str
    title: str
    media_type: str
    description: str
    instructions: str
    dimensions: tuple[Dimension, ...]
    translations: Translations = ()

    # --- navigation -------------------------------------------------------------------

    @cached_property
    def sub_dimensions(self) -> tuple[SubDimension, ...]:
        """All sub-dimensions in hierarchy (document) order."""
        return tuple(sub for dimension in self.dimensions for sub in dimension.sub_dimensions)

    @cached_property
    def questions(self) -> tuple[Question, ...]:
        """All questions ordered by position (the order of answer vectors and question files)."""
        return tuple(sorted((q for sub in self.sub_dimensions for q in sub.questions), key=lambda q: q.position))

    @property
    def question_keys(self) -> tuple[str, ...]:
        return tuple(question.key for question in self.questions)

    @cached_property
    def _questions_by_key(self) -> dict[str, Question]:
        return {question.key: question for question in self.questions}

    @cached_property
    def _sub_dimensions_by_key(self) -> dict[str, SubDimension]:
        return {sub.key: sub for sub in self.sub_dimensions}

    @cached_property
    def _dimensions_by_key(self) -> dict[str, Dimension]:
        return {dimension.key: dimension for dimension in self.dimensions}

    def question(self, key: str) -> Question:
        """The question with this key; ``KeyError`` if there is none."""
        try:
            return self._questions_by_key[key]
        except KeyError:
            raise KeyError(f"checklist {self.key!r} has no question {key!r}") from None

    def sub_dimension(self, key: str) -> SubDimension:
        """The sub-dimension with this key; ``KeyError`` if there is none."""
        try:
            return self._sub_dimensions_by_key[key]
        except KeyError:
            raise KeyError(f"checklist {self.key!r} has no sub-dimension {key!r}") from None

    def dimension(self, key: str) -> Dimension:
        """The dimension with this key; ``KeyError`` if there is none."""
        try:
            return self._dimensions_by_key[key]
        except KeyError:
            raise KeyError(f"checklist {self.key!r} has no dimension {key!r}") from None

    def dimension_of(self, sub_dimension_key: str) -> Dimension:
        """The dimension a sub-dimension belongs to; ``KeyError`` for an unknown key."""
        return self._dimensions_by_key[self.sub_dimension(sub_dimension_key).dimension]

    def sub_dimension_of(self, question_key: str) -> SubDimension:
        return self._sub_dimensions_by_key[self.question(question_key).sub_dimension]

    @cached_property
    def gate_order(self) -> tuple[SubDimension, ...]:
        """Sub-dimensions ordered so that each comes after the one holding its gate question
        (hierarchy order otherwise). Valid checklists have no gating cycles."""
        done: dict[str, SubDimension] = {}

        def visit(sub: SubDimension) -> None:
            if sub.key in done:
                return
            if sub.gated_by is not None:
                visit(self.sub_dimension_of(sub.gated_by))
            done[sub.key] = sub

        for sub in self.sub_dimensions:
            visit(sub)
        return tuple(done.values())

    def gated_by_question(self, question_key: str) -> tuple[SubDimension, ...]:
        """The sub-dimensions directly gated by this (presence) question."""
        return tuple(sub for sub in self.sub_dimensions if sub.gated_by == question_key)

    # --- text -------------------------------------------------------------------------

    def render_question(self, question: Question | str, prompt: str) -> str:
        """The question text with ``[[prompt]]`` replaced by the generation prompt."""
        if isinstance(question, str):
            question = self.question(question)
        return question.render(prompt)

    # --- canonical form ---------------------------------------------------------------

    def to_dict(self) -> dict:
        """The canonical, normalized definition: every field explicit, explicit positions,
        questions of a sub-dimension ordered by threshold (best first). ``checklist_from_dict``
        accepts it back and gives an equal checklist."""
        out = {
            "key": self.key,
            "title": self.title,
            "media_type": self.media_type,
            "description": self.description,
            "instructions": self.instructions,
            "dimensions": [dimension.to_dict() for dimension in self.dimensions],
        }
        return _with_translations(out, self.translations)

    def canonical_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)

    def content_hash(self) -> str:
        """sha256 (hex) of the canonical JSON: equal for cosmetic variants of the same
        definition (YAML or JSON, key order, omitted defaults, surrounding whitespace),
        different for any change of structure or text."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()
