"""The rules of a checklist definition (fields, keys, options, thresholds, presence questions,
gates, positions) and the problems they find, each with its path in the file
(``dimensions[2].sub_dimensions[0].questions[3].yes_if_at_least``).

Validation collects every problem before raising, so an admin can fix a file in one pass. The
format is documented in ``docs/checklist-format.md``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from .build import DimensionDraft, OptionDraft, QuestionDraft, SubDimensionDraft, build_checklist
from .errors import ChecklistError, Problem, join_path, suggestion
from .model import PLACEHOLDER_RE, Checklist

MEDIA_TYPES = ("image", "video")
PLACEHOLDERS = ("prompt",)
SLUG_RE = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")
SLUG_MAX = 64

# Allowed fields per object kind: name -> required?
FIELDS: dict[str, dict[str, bool]] = {
    "checklist": {
        "key": True,
        "title": True,
        "media_type": True,
        "description": False,
        "instructions": False,
        "dimensions": True,
        "translations": False,
    },
    "dimension": {"key": True, "title": True, "description": False, "sub_dimensions": True, "translations": False},
    "sub_dimension": {
        "key": True,
        "title": True,
        "description": False,
        "hf_field": False,
        "gated_by": False,
        "options": True,
        "questions": True,
        "translations": False,
    },
    "option": {"code": True, "label": True, "description": False, "not_present": False, "translations": False},
    "question": {
        "key": True,
        "text": True,
        "yes_if_at_least": True,
        "presence": False,
        "position": False,
        "paper_accuracy_percent": False,
        "translations": False,
    },
}

# The texts a translation may give, per object kind (the other fields are the same in every language).
TRANSLATABLE: dict[str, tuple[str, ...]] = {
    "checklist": ("title", "description", "instructions"),
    "dimension": ("title", "description"),
    "sub_dimension": ("title", "description"),
    "option": ("label", "description"),
    "question": ("text",),
}
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")

_MISSING = object()


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Validator:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    # --- field helpers ---------------------------------------------------------------

    def mapping(self, value: Any, path: str, what: str) -> bool:
        if isinstance(value, dict):
            return True
        self.add(path, f"{what} must be a mapping (got {_type_name(value)} {_shown(value)})")
        return False

    def fields(self, data: dict, path: str, kind: str) -> None:
        allowed = FIELDS[kind]
        for name in data:
            if not isinstance(name, str):
                self.add(path, f"field names must be strings (got {_type_name(name)} {_shown(name)})")
            elif name not in allowed:
                hint = suggestion(name, allowed) or f"; allowed here: {', '.join(allowed)}"
                self.add(join_path(path, name), f"unknown field {name!r}{hint}")
        for name, required in allowed.items():
            if required and name not in data:
                self.add(join_path(path, name), "required field is missing")

    def _get(self, data: dict, name: str, path: str, required: bool) -> Any:
        """The value of a field; _MISSING when absent (or null for an optional field)."""
        value = data.get(name, _MISSING)
        if value is None:
            if required:
                self.add(join_path(path, name), "required field is empty (null)")
            return _MISSING
        return value

    def text(self, data: dict, name: str, path: str, *, required: bool, default: str | None = "") -> str | None:
        value = self._get(data, name, path, required)
        if value is _MISSING:
            return None if required else default
        if not isinstance(value, str):
            hint = " (quote it)" if isinstance(value, int | float | bool) else ""
            self.add(join_path(path, name), f"must be a string (got {_type_name(value)} {_shown(value)}){hint}")
            return None
        value = value.strip()
        if required and not value:
            self.add(join_path(path, name), "must not be empty")
            return None
        return value

    def slug(self, data: dict, name: str, path: str) -> str | None:
        value = self._get(data, name, path, True)
        if value is _MISSING:
            return None
        if not isinstance(value, str):
            self.add(join_path(path, name), f"must be a string slug (got {_type_name(value)} {_shown(value)})")
            return None
        if len(value) > SLUG_MAX or not SLUG_RE.match(value):
            self.add(
                join_path(path, name),
                f"{value!r} is not a valid key: use a slug of at most {SLUG_MAX} characters, lowercase letters "
                "and digits separated by single '-' or '_', starting with a letter (e.g. 'detail_realism')",
            )
            return None
        return value

    def integer(self, data: dict, name: str, path: str, *, required: bool) -> int | None:
        value = self._get(data, name, path, required)
        if value is _MISSING:
            return None
        if not _is_int(value):
            self.add(join_path(path, name), f"must be an integer (got {_type_name(value)} {_shown(value)})")
            return None
        return value

    def boolean(self, data: dict, name: str, path: str) -> bool:
        value = self._get(data, name, path, False)
        if value is _MISSING:
            return False
        if not isinstance(value, bool):
            self.add(join_path(path, name), f"must be true or false (got {_type_name(value)} {_shown(value)})")
            return False
        return value

    def sequence(self, data: dict, name: str, path: str) -> list | None:
        value = self._get(data, name, path, True)
        if value is _MISSING:
            return None
        if not isinstance(value, list):
            self.add(join_path(path, name), f"must be a list (got {_type_name(value)} {_shown(value)})")
            return None
        return value

    def translations(self, data: dict, path: str, kind: str) -> tuple:
        """``translations: {zh-CN: {title: …}}``: language tags, translatable fields, non-empty texts."""
        value = self._get(data, "translations", path, False)
        if value is _MISSING:
            return ()
        path = join_path(path, "translations")
        if not self.mapping(value, path, "translations"):
            return ()
        allowed = TRANSLATABLE[kind]
        out = []
        for language, texts in value.items():
            lpath = f"{path}.{language}"
            if not isinstance(language, str) or not LANGUAGE_RE.match(language):
                self.add(lpath, f"{_shown(language)} is not a language tag: write it as zh-CN, en, ja, pt-BR")
                continue
            if not self.mapping(texts, lpath, "a translation"):
                continue
            clean = []
            for name, text in texts.items():
                tpath = f"{lpath}.{name}"
                if name not in allowed:
                    hint = suggestion(str(name), allowed) or f"; translatable here: {', '.join(allowed)}"
                    self.add(tpath, f"{_shown(name)} is not a translatable field{hint}")
                elif not isinstance(text, str) or not text.strip():
                    self.add(tpath, f"must be a non-empty string (got {_type_name(text)} {_shown(text)})")
                else:
                    if name == "text":
                        self.check_placeholders(text.strip(), tpath)
                    clean.append((name, text.strip()))
            if clean:
                out.append((language, tuple(sorted(clean))))
        return tuple(sorted(out))

    # --- objects ---------------------------------------------------------------------

    def checklist(self, data: Any) -> Checklist | None:
        if not isinstance(data, dict):
            self.add(
                "", f"a checklist must be a mapping with key, title, media_type and dimensions (got {_type_name(data)})"
            )
            return None
        self.fields(data, "", "checklist")
        key = self.slug(data, "key", "")
        title = self.text(data, "title", "", required=True)
        media_type = self.text(data, "media_type", "", required=True)
        if media_type is not None and media_type not in MEDIA_TYPES:
            self.add(
                "media_type", f"must be 'image' or 'video' (got {media_type!r}){suggestion(media_type, MEDIA_TYPES)}"
            )
        description = self.text(data, "description", "", required=False)
        instructions = self.text(data, "instructions", "", required=False)
        translations = self.translations(data, "", "checklist")
        raw_dims = self.sequence(data, "dimensions", "")
        dims: list[DimensionDraft] = []
        if raw_dims is not None:
            if not raw_dims:
                self.add("dimensions", "a checklist needs at least one dimension")
            for index, raw in enumerate(raw_dims):
                dim = self.dimension(raw, f"dimensions[{index}]")
                if dim is not None:
                    dims.append(dim)
        subs = [sub for dim in dims for sub in dim.subs]
        questions = [q for sub in subs for q in (sub.questions or [])]
        for order, question in enumerate(questions):
            question.order = order
        self.check_unique_keys(dims, subs, questions)
        for sub in subs:
            self.check_sub_dimension(sub)
        by_key = {q.key: q for q in questions if q.key is not None}
        self.check_gates(subs, by_key)
        self.check_positions(questions)
        if self.problems:
            return None
        return build_checklist(key, title, media_type, description, instructions, dims, questions, translations)

    def dimension(self, raw: Any, path: str) -> DimensionDraft | None:
        if not self.mapping(raw, path, "a dimension"):
            return None
        self.fields(raw, path, "dimension")
        dim = DimensionDraft(
            path=path,
            key=self.slug(raw, "key", path),
            title=self.text(raw, "title", path, required=True),
            description=self.text(raw, "description", path, required=False) or "",
            translations=self.translations(raw, path, "dimension"),
        )
        raw_subs = self.sequence(raw, "sub_dimensions", path)
        if raw_subs is not None:
            if not raw_subs:
                self.add(join_path(path, "sub_dimensions"), "a dimension needs at least one sub-dimension")
            for index, raw_sub in enumerate(raw_subs):
                sub = self.sub_dimension(raw_sub, f"{path}.sub_dimensions[{index}]")
                if sub is not None:
                    sub.dim = dim
                    dim.subs.append(sub)
        return dim

    def sub_dimension(self, raw: Any, path: str) -> SubDimensionDraft | None:
        if not self.mapping(raw, path, "a sub-dimension"):
            return None
        self.fields(raw, path, "sub_dimension")
        key = self.slug(raw, "key", path)
        hf_field = self.text(raw, "hf_field", path, required=False, default=None)
        if hf_field is not None and not hf_field:
            self.add(join_path(path, "hf_field"), "must not be empty (leave it out to use the key)")
            hf_field = None
        gated_by = self._get(raw, "gated_by", path, False)
        if gated_by is _MISSING:
            gated_by = None
        elif not isinstance(gated_by, str):
            self.add(
                join_path(path, "gated_by"), f"must be a question key (got {_type_name(gated_by)} {_shown(gated_by)})"
            )
            gated_by = None
        sub = SubDimensionDraft(
            path=path,
            key=key,
            title=self.text(raw, "title", path, required=True),
            description=self.text(raw, "description", path, required=False) or "",
            hf_field=hf_field if hf_field is not None else key,
            gated_by=gated_by,
            options=None,
            questions=None,
            translations=self.translations(raw, path, "sub_dimension"),
        )
        raw_options = self.sequence(raw, "options", path)
        if raw_options is not None:
            sub.options = []
            for index, raw_option in enumerate(raw_options):
                option = self.option(raw_option, f"{path}.options[{index}]")
                if option is None or option.code is None:
                    sub.options_ok = False
                if option is not None:
                    sub.options.append(option)
            if len(raw_options) < 2:
                got = "none" if not raw_options else "only 1"
                self.add(
                    join_path(path, "options"), f"a sub-dimension needs at least 2 options, best first (got {got})"
                )
        else:
            sub.options_ok = False
        raw_questions = self.sequence(raw, "questions", path)
        if raw_questions is not None:
            sub.questions = []
            if not raw_questions:
                self.add(join_path(path, "questions"), "a sub-dimension needs at least one question")
            for index, raw_question in enumerate(raw_questions):
                question = self.question(raw_question, f"{path}.questions[{index}]")
                if question is not None:
                    question.sub = sub
                    sub.questions.append(question)
        return sub

    def option(self, raw: Any, path: str) -> OptionDraft | None:
        if not self.mapping(raw, path, "an option"):
            return None
        self.fields(raw, path, "option")
        return OptionDraft(
            path=path,
            code=self.integer(raw, "code", path, required=True),
            label=self.text(raw, "label", path, required=True),
            description=self.text(raw, "description", path, required=False) or "",
            not_present=self.boolean(raw, "not_present", path),
            translations=self.translations(raw, path, "option"),
        )

    def question(self, raw: Any, path: str) -> QuestionDraft | None:
        if not self.mapping(raw, path, "a question"):
            return None
        self.fields(raw, path, "question")
        text = self.text(raw, "text", path, required=True)
        if text is not None:
            self.check_placeholders(text, join_path(path, "text"))
        position = self.integer(raw, "position", path, required=False)
        if position is not None and position < 1:
            self.add(join_path(path, "position"), f"must be 1 or more (got {position})")
            position = None
        accuracy = self._get(raw, "paper_accuracy_percent", path, False)
        if accuracy is _MISSING:
            accuracy = None
        elif isinstance(accuracy, bool) or not isinstance(accuracy, int | float) or not math.isfinite(accuracy):
            self.add(
                join_path(path, "paper_accuracy_percent"),
                f"must be a number from 0 to 100 (got {_type_name(accuracy)} {_shown(accuracy)})",
            )
            accuracy = None
        elif not 0 <= accuracy <= 100:
            self.add(join_path(path, "paper_accuracy_percent"), f"must be a number from 0 to 100 (got {accuracy})")
            accuracy = None
        else:
            accuracy = float(accuracy)
        return QuestionDraft(
            path=path,
            key=self.slug(raw, "key", path),
            text=text,
            threshold=self.integer(raw, "yes_if_at_least", path, required=True),
            presence=self.boolean(raw, "presence", path),
            position=position,
            position_given=raw.get("position") is not None,
            accuracy=accuracy,
            translations=self.translations(raw, path, "question"),
        )

    # --- cross checks ----------------------------------------------------------------

    def check_placeholders(self, text: str, path: str) -> None:
        for match in PLACEHOLDER_RE.finditer(text):
            name = match.group(1)
            if name not in PLACEHOLDERS:
                self.add(
                    path,
                    f"unknown placeholder {match.group(0)!r}{suggestion(name.strip(), PLACEHOLDERS)}; "
                    "the only placeholder is [[prompt]]",
                )
        rest = PLACEHOLDER_RE.sub("", text)
        if "[[" in rest or "]]" in rest:
            self.add(path, "unbalanced placeholder brackets: write the placeholder as [[prompt]]")

    def check_unique_keys(
        self, dims: list[DimensionDraft], subs: list[SubDimensionDraft], questions: list[QuestionDraft]
    ) -> None:
        def unique(items: Iterable[tuple[Any, str]], what: str, field_name: str) -> None:
            seen: dict[Any, str] = {}
            for value, path in items:
                if value is None:
                    continue
                if value in seen:
                    self.add(join_path(path, field_name), f"duplicate {what} {value!r} (first used at {seen[value]})")
                else:
                    seen[value] = path

        unique(((d.key, d.path) for d in dims), "dimension key", "key")
        unique(((s.key, s.path) for s in subs), "sub-dimension key", "key")
        unique(((q.key, q.path) for q in questions), "question key", "key")
        unique(((s.hf_field, s.path) for s in subs if s.key is not None), "hf_field", "hf_field")

    def check_sub_dimension(self, sub: SubDimensionDraft) -> None:
        options = sub.options or []
        seen_codes: dict[int, OptionDraft] = {}
        seen_labels: dict[str, OptionDraft] = {}
        for index, option in enumerate(options):
            if option.code is not None:
                if option.code in seen_codes:
                    first = seen_codes[option.code]
                    self.add(
                        join_path(option.path, "code"),
                        f"duplicate option code {option.code} (already used by {first.path}, {first.label!r})",
                    )
                else:
                    seen_codes[option.code] = option
            if option.label is not None:
                folded = option.label.casefold()
                if folded in seen_labels:
                    self.add(
                        join_path(option.path, "label"),
                        f"duplicate option label {option.label!r} (already used by {seen_labels[folded].path})",
                    )
                else:
                    seen_labels[folded] = option
            if option.not_present and index != len(options) - 1:
                self.add(
                    join_path(option.path, "not_present"),
                    "only the last (worst) option can be the not-present option: move it to the end of the list",
                )
        if not sub.options_ok or sub.questions is None or len(options) < 2:
            return
        rank = {option.code: index for index, option in enumerate(options)}
        if len(rank) != len(options):
            return  # duplicate codes: already reported, thresholds would be ambiguous
        labels = {option.code: option.label for option in options}
        worst = len(options) - 1
        not_present = options[-1] if options[-1].not_present else None
        used: dict[int, QuestionDraft] = {}
        for question in sub.questions:
            threshold_path = join_path(question.path, "yes_if_at_least")
            if question.threshold is None:
                continue
            if question.threshold not in rank:
                codes = ", ".join(f"{o.code} ({o.label})" for o in options)
                self.add(
                    threshold_path,
                    f"{question.threshold} is not an option code of sub-dimension {sub.key!r}; its options are {codes}",
                )
                continue
            t = rank[question.threshold]
            label = labels[question.threshold]
            if t == worst:
                what = "the not-present option" if not_present else "the worst option"
                self.add(
                    threshold_path,
                    f"{question.threshold} ({label!r}) is {what}, so the question would always be answered yes; "
                    "a threshold must be better than the worst option",
                )
                continue
            if t in used:
                self.add(
                    threshold_path,
                    f"threshold {question.threshold} ({label!r}) is already used by {used[t].path} "
                    f"({used[t].key}); each question of a sub-dimension needs its own threshold",
                )
            else:
                used[t] = question
            if question.presence:
                if not_present is None:
                    self.add(
                        join_path(question.path, "presence"),
                        f"a presence question needs a not-present option: sub-dimension {sub.key!r} has none "
                        "(mark its last option `not_present: true`)",
                    )
                elif t != worst - 1:
                    above = options[worst - 1]
                    self.add(
                        threshold_path,
                        f"a presence question asks whether the thing is there: its threshold must be "
                        f"{above.code} ({above.label!r}), the option just above the not-present option "
                        f"{not_present.code} ({not_present.label!r}), not {question.threshold} ({label!r})",
                    )
            elif not_present is not None and t == worst - 1:
                self.add(
                    join_path(question.path, "presence"),
                    f"this question is answered no exactly when {not_present.label!r} (not present) is chosen, so it "
                    "is the presence question: add `presence: true`",
                )

    def check_gates(self, subs: list[SubDimensionDraft], by_key: dict[str, QuestionDraft]) -> None:
        targets: dict[int, SubDimensionDraft] = {}
        for sub in subs:
            if sub.gated_by is None:
                continue
            path = join_path(sub.path, "gated_by")
            question = by_key.get(sub.gated_by)
            if question is None:
                self.add(path, f"unknown question {sub.gated_by!r}{suggestion(sub.gated_by, by_key)}")
            elif question.sub is sub:
                self.add(
                    path,
                    f"{sub.gated_by!r} is a question of this sub-dimension; a sub-dimension can only be gated by "
                    "the presence question of another sub-dimension",
                )
            elif not question.presence:
                self.add(
                    path,
                    f"{sub.gated_by!r} ({question.path}) is not a presence question; gated_by must name a question "
                    "with `presence: true` in another sub-dimension",
                )
            else:
                targets[id(sub)] = question.sub
        # Each sub-dimension has at most one gate: follow the chain to find cycles.
        reported: set[int] = set()
        for start in subs:
            chain: list[SubDimensionDraft] = []
            current: SubDimensionDraft | None = start
            while current is not None and id(current) in targets and current not in chain:
                chain.append(current)
                current = targets[id(current)]
            if current is None or current not in chain:
                continue
            cycle = chain[chain.index(current) :]
            if any(id(member) in reported for member in cycle):
                continue
            reported.update(id(member) for member in cycle)
            first = min(cycle, key=subs.index)
            ordered = cycle[cycle.index(first) :] + cycle[: cycle.index(first)]
            described = " → ".join(f"{m.key} (gated_by {m.gated_by})" for m in ordered)
            self.add(
                join_path(first.path, "gated_by"),
                f"gating cycle: {described} → {first.key}; no sub-dimension of a cycle could ever apply",
            )

    def check_positions(self, questions: list[QuestionDraft]) -> None:
        given = [q for q in questions if q.position_given]
        if not given:
            return
        for question in questions:
            if not question.position_given:
                self.add(
                    join_path(question.path, "position"),
                    "required field is missing: other questions have a position, so every question needs one "
                    "(or leave positions out everywhere to use the order of appearance)",
                )
        total = len(questions)
        seen: dict[int, QuestionDraft] = {}
        for question in given:
            position = question.position
            if position is None:
                continue
            if position > total:
                self.add(
                    join_path(question.path, "position"),
                    f"{position} is out of range: positions must be 1 to {total} (the number of questions)",
                )
            elif position in seen:
                first = seen[position]
                self.add(
                    join_path(question.path, "position"),
                    f"position {position} is already used by {first.path} ({first.key})",
                )
            else:
                seen[position] = question


def validate(data: Any, earlier: Iterable[Problem] = (), source: str | None = None) -> Checklist:
    """The checklist defined by ``data`` (parsed JSON or YAML); raises :class:`ChecklistError`
    listing ``earlier`` problems (found while parsing) and every problem of ``data``."""
    validator = _Validator()
    validator.problems.extend(earlier)
    checklist = validator.checklist(data)
    if validator.problems or checklist is None:
        raise ChecklistError(validator.problems, source)
    return checklist
