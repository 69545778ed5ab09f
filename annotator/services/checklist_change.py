"""Changing a project's checklist version, and saying first what happens to what was answered.

The rule (``docs/checklist-format.md``, "Changing a project's checklist"):

- Annotations, their revisions, reviewed gold answers and predictions keep the version they
  were made with; nothing is rewritten. Revising such an annotation is refused (it would mix
  two checklists); new dataset versions take the project's current version's answers.
- Finished tasks stay finished; unfinished ones continue, and their next answers use the new
  version. Drafts keep the answers of the sub-dimensions that carry over (same key, same
  options and gate) and lose the others.
- Gold checks carry over when every sub-dimension of the new version carries over (their
  expected answers are re-expanded); otherwise they stay with the old version and are no longer
  served until they are set again. Annotations made under the old version are scored against a
  carried-over check on the questions that carried over (the others no longer count). Pair gold
  checks always carry over: the gold preference does not depend on the checklist; their
  per-dimension preferences of dimensions the new version lacks are dropped.
- Disagreement routing is judged again under the new version
  (:func:`annotator.services.quality.reroute_for_version`): a finished task whose answers now
  disagree beyond the threshold gets one more annotator; one given extra annotators that no
  longer disagrees gives back the extra slots nobody took.
- Weight sets are fitted for one version (``worker.weights``): they keep their scores, and a
  refit is needed for the new version.

:func:`change_checklist` computes those consequences (``confirm=False``) or applies them, in
one transaction (``confirm=True``).
"""

from __future__ import annotations

from django.db import transaction

from ..checklist import expand
from ..checklist.diff import ChecklistDiff, carried_options, compare
from ..models import Annotation, Assignment, ChecklistVersion, GoldAnswer, GoldCheck, Prediction, Project, Task
from .quality import reroute_for_version

OPEN_WORK = (Assignment.State.ACTIVE, Assignment.State.EXPIRED)


class ChecklistChangeError(ValueError):
    def __init__(self, errors: dict):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _label(version: ChecklistVersion) -> dict:
    return {"id": version.pk, "key": version.key, "version": version.version, "title": version.title}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _verb(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def _drafts(project: Project):
    return Assignment.objects.filter(project=project, state__in=OPEN_WORK).exclude(draft={})


def _draft_after(draft: dict, diff: ChecklistDiff, dimensions: set[str]) -> dict:
    trimmed = dict(draft)
    trimmed["options"] = carried_options(diff, draft.get("options") or {})
    trimmed["dimension_preferences"] = {
        key: value for key, value in (draft.get("dimension_preferences") or {}).items() if key in dimensions
    }
    return trimmed


def _loses_answers(draft: dict, diff: ChecklistDiff, dimensions: set[str]) -> bool:
    trimmed = _draft_after(draft, diff, dimensions)
    return trimmed["options"] != (draft.get("options") or {}) or trimmed["dimension_preferences"] != (
        draft.get("dimension_preferences") or {}
    )


def _consequences(project: Project, old: ChecklistVersion, new: ChecklistVersion, diff: ChecklistDiff) -> dict:
    annotations = Annotation.objects.filter(project=project)
    under_old = annotations.filter(checklist_version=old).count()
    tasks = Task.objects.filter(project=project, gold_check__isnull=True)
    done = tasks.filter(status=Task.Status.DONE).count()
    unfinished = tasks.filter(status__in=[Task.Status.OPEN, Task.Status.FULL]).count()
    dimensions = set(diff.dimensions_kept)
    drafts = losing = 0
    for draft in _drafts(project).values_list("draft", flat=True).iterator():
        drafts += 1
        if _loses_answers(draft, diff, dimensions):
            losing += 1
    old_checks = GoldCheck.objects.filter(project=project, checklist_version=old)
    pair_checks = old_checks.filter(task__kind=Task.Kind.PAIR).count()
    gold_checks = old_checks.count() - pair_checks
    carried_gold = gold_checks if diff.same_answers else 0
    routing = reroute_for_version(project, new, apply=False)
    gold_answers = GoldAnswer.objects.filter(project=project, checklist_version=old).count()
    predictions = Prediction.objects.filter(asset__project=project, checklist_version=old).count()
    subs, questions = diff.sub_dimensions, diff.questions
    old_name, new_name = f"{old.key} v{old.version}", f"{new.key} v{new.version}"

    said = []
    if under_old:
        said.append(
            f"{_plural(under_old, 'annotation')} made with {old_name} {_verb(under_old, 'keeps', 'keep')} that "
            f"version: {_verb(under_old, 'it stays', 'they stay')} as {_verb(under_old, 'it was', 'they were')}, in "
            f"the review screen and in the dataset versions already exported, and can no longer be revised. New "
            f"dataset versions of this project take only answers made with {new_name}: export a dataset version "
            f"first to keep {_verb(under_old, 'it', 'these')} in one."
        )
    said.append(
        f"{len(subs.kept)} of the {len(subs.kept) + len(subs.changed) + len(subs.new)} sub-dimensions of {new_name} "
        f"carry over by key with the same options; {len(subs.changed)} changed, {len(subs.new)} new, "
        f"{len(subs.dropped)} dropped. Questions: {len(questions.kept)} the same, {len(questions.changed)} changed, "
        f"{len(questions.new)} new, {len(questions.dropped)} dropped."
    )
    if done:
        said.append(
            f"{_plural(done, 'finished task')} {_verb(done, 'stays', 'stay')} finished with {old_name} answers; "
            f"{_verb(done, 'it is', 'they are')} not asked again."
        )
    if unfinished:
        said.append(
            f"{_plural(unfinished, 'unfinished task')} {_verb(unfinished, 'continues', 'continue')}: "
            f"{_verb(unfinished, 'its', 'their')} next answers use {new_name}."
        )
    if drafts:
        said.append(
            f"{_plural(drafts, 'saved draft')} {_verb(drafts, 'keeps', 'keep')} the answers of the sub-dimensions "
            f"that carry over; {losing} of {_verb(drafts, 'it', 'them')} {_verb(losing, 'loses', 'lose')} answers "
            f"that no longer fit."
        )
    if gold_checks:
        said.append(
            f"{_plural(gold_checks, 'gold check')} {_verb(gold_checks, 'carries', 'carry')} over (the expected "
            f"answers mean the same)."
            if carried_gold
            else f"{_plural(gold_checks, 'gold check')} {_verb(gold_checks, 'was', 'were')} set with {old_name}: "
            f"kept for the accuracy of the old answers but no longer served; set them again for {new_name} from "
            f"the review screen."
        )
    if pair_checks:
        said.append(
            f"{_plural(pair_checks, 'pair gold check')} {_verb(pair_checks, 'carries', 'carry')} over (a gold "
            f"preference does not depend on the checklist); per-dimension preferences of dimensions {new_name} "
            f"lacks are dropped."
        )
    routed, unrouted = len(routing["routed"]), len(routing["unrouted"])
    if routed or unrouted:
        said.append(
            f"Disagreement routing judged again with {new_name}'s questions: "
            f"{_plural(routed, 'finished task')} now {_verb(routed, 'disagrees', 'disagree')} beyond the threshold "
            f"and {_verb(routed, 'gets', 'get')} one more annotator; {_plural(unrouted, 'task')} no longer "
            f"{_verb(unrouted, 'disagrees', 'disagree')} and {_verb(unrouted, 'gives', 'give')} back the extra "
            f"slots nobody took."
        )
    if gold_answers:
        said.append(
            f"{_plural(gold_answers, 'reviewed gold answer')} {_verb(gold_answers, 'keeps', 'keep')} {old_name}."
        )
    if predictions:
        said.append(
            f"{_plural(predictions, 'model prediction')} {_verb(predictions, 'was', 'were')} made for {old_name}: "
            f"annotators see no pre-fill "
            f"until a pre-fill job runs for {new_name}."
        )
    said.append(
        f"Weight sets are fitted for one checklist version: those fitted for {old_name} keep their scores but "
        f"cannot be promoted for {new_name}; refit once there are answers made with it."
    )
    return {
        "from": _label(old),
        "to": _label(new),
        "annotations": {"total": annotations.count(), "under_current": under_old},
        "sub_dimensions": subs.as_dict(),
        "questions": questions.as_dict(),
        "tasks": {"done": done, "unfinished": unfinished, "drafts": drafts, "drafts_losing_answers": losing},
        "gold_checks": {
            "total": gold_checks,
            "carried_over": carried_gold,
            "paused": gold_checks - carried_gold,
            "pairs_carried_over": pair_checks,
        },
        "routing": {"routed": routed, "unrouted": unrouted},
        "gold_answers": gold_answers,
        "predictions": predictions,
        "consequences": said,
    }


def _check(project: Project, new: ChecklistVersion) -> None:
    if new.pk == project.checklist_version_id:
        raise ChecklistChangeError({"checklist_version": [f"the project already uses {new}"]})
    if new.media_type != project.media_type:
        raise ChecklistChangeError(
            {
                "checklist_version": [
                    f"checklist {new} is for {new.media_type}s; this project's media type is {project.media_type}"
                ]
            }
        )


def change_checklist(project: Project, new: ChecklistVersion, *, confirm: bool) -> dict:
    """What changing ``project`` to checklist version ``new`` does (``applied: False``), or that
    change made, all of it in one transaction (``applied: True``)."""
    _check(project, new)
    if not confirm:
        diff = compare(project.checklist_version.checklist, new.checklist)
        return {"applied": False, **_consequences(project, project.checklist_version, new, diff)}
    with transaction.atomic():
        locked = Project.objects.select_for_update().select_related("checklist_version").get(pk=project.pk)
        _check(locked, new)
        old = locked.checklist_version
        diff = compare(old.checklist, new.checklist)
        result = {"applied": True, **_consequences(locked, old, new, diff)}
        dimensions = set(diff.dimensions_kept)
        changed_drafts = []
        for assignment in _drafts(locked).select_for_update(of=("self",)).iterator():
            if _loses_answers(assignment.draft, diff, dimensions):
                assignment.draft = _draft_after(assignment.draft, diff, dimensions)
                changed_drafts.append(assignment)
        Assignment.objects.bulk_update(changed_drafts, ["draft"], batch_size=500)
        # lock order as everywhere: assignments (drafts, above), then tasks, then gold checks
        reroute_for_version(locked, new, apply=True)
        pair_checks = list(
            GoldCheck.objects.select_for_update(of=("self",)).filter(
                project=locked, checklist_version=old, task__kind=Task.Kind.PAIR
            )
        )
        for check in pair_checks:
            check.dimension_preferences = {
                key: value for key, value in (check.dimension_preferences or {}).items() if key in dimensions
            }
            check.checklist_version = new
        GoldCheck.objects.bulk_update(pair_checks, ["dimension_preferences", "checklist_version"], batch_size=500)
        if diff.same_answers:
            checks = list(
                GoldCheck.objects.select_for_update(of=("self",)).filter(
                    project=locked, checklist_version=old, task__kind=Task.Kind.SINGLE
                )
            )
            for check in checks:
                expansion = expand(new.checklist, carried_options(diff, check.options))
                check.options = {k: v for k, v in expansion.options.items() if v is not None}
                check.answers, check.mask = list(expansion.answers), list(expansion.mask)
                check.checklist_version = new
            GoldCheck.objects.bulk_update(checks, ["options", "answers", "mask", "checklist_version"], batch_size=500)
        locked.checklist_version = new
        locked.save(update_fields=["checklist_version", "updated_at"])
        project.checklist_version = new
        return result
