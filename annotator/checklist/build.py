"""Building the :class:`~.model.Checklist` from the parts of a checklist file that validation
read (:mod:`.validate`): the drafts below hold each object's fields as read, possibly partial
while problems are being collected; :func:`build_checklist` runs only once there are none."""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import Checklist, Dimension, Option, Question, SubDimension, Translations


@dataclass(eq=False)
class OptionDraft:
    path: str
    code: int | None
    label: str | None
    description: str
    not_present: bool
    translations: Translations = ()


@dataclass(eq=False)
class QuestionDraft:
    path: str
    key: str | None
    text: str | None
    threshold: int | None
    presence: bool
    position: int | None
    position_given: bool
    accuracy: float | None
    translations: Translations = ()
    sub: SubDimensionDraft | None = None
    order: int = 0


@dataclass(eq=False)
class SubDimensionDraft:
    path: str
    key: str | None
    title: str | None
    description: str
    hf_field: str | None
    gated_by: str | None
    options: list[OptionDraft] | None
    questions: list[QuestionDraft] | None
    options_ok: bool = True
    dim: DimensionDraft | None = None
    translations: Translations = ()


@dataclass(eq=False)
class DimensionDraft:
    path: str
    key: str | None
    title: str | None
    description: str
    subs: list[SubDimensionDraft] = field(default_factory=list)
    translations: Translations = ()


def build_checklist(
    key,
    title,
    media_type,
    description,
    instructions,
    dims: list[DimensionDraft],
    questions: list[QuestionDraft],
    translations: Translations = (),
) -> Checklist:
    explicit = any(q.position_given for q in questions)
    dimensions = []
    for dim in dims:
        subs = []
        for sub in dim.subs:
            rank = {option.code: index for index, option in enumerate(sub.options)}
            built_questions = tuple(
                Question(
                    key=q.key,
                    text=q.text,
                    position=q.position if explicit else q.order + 1,
                    sub_dimension=sub.key,
                    dimension=dim.key,
                    yes_if_at_least=q.threshold,
                    presence=q.presence,
                    paper_accuracy_percent=q.accuracy,
                    translations=q.translations,
                )
                for q in sorted(sub.questions, key=lambda q: rank[q.threshold])
            )
            subs.append(
                SubDimension(
                    key=sub.key,
                    title=sub.title,
                    description=sub.description,
                    hf_field=sub.hf_field,
                    options=tuple(
                        Option(o.code, o.label, o.description, o.not_present, o.translations) for o in sub.options
                    ),
                    questions=built_questions,
                    gated_by=sub.gated_by,
                    dimension=dim.key,
                    translations=sub.translations,
                )
            )
        dimensions.append(
            Dimension(
                key=dim.key,
                title=dim.title,
                description=dim.description,
                sub_dimensions=tuple(subs),
                translations=dim.translations,
            )
        )
    return Checklist(
        key=key,
        title=title,
        media_type=media_type,
        description=description or "",
        instructions=instructions or "",
        dimensions=tuple(dimensions),
        translations=translations,
    )
