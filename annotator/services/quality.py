"""Quality control: gold checks (tasks with known answers, served unseen among normal tasks)
and disagreement routing (one more annotator for a task whose annotations disagree).

Serving gold checks is part of a claim (:mod:`annotator.services.claims`); routing runs in the
submit that completes a task (:func:`route_disagreement`, called by
:func:`annotator.services.answers.submit`), as both change the task counters in their
transaction. Per-annotator accuracy and agreement with peers are in :mod:`annotator.services.stats`.

Lock order as everywhere: the task row first (marking and unmarking lock it, like claims and
submits do after their assignment), then its gold check.
"""

from __future__ import annotations

from itertools import groupby
from operator import itemgetter

from django.db import transaction
from django.db.models import Q

from ..agreement import preference_disagreement, task_disagreement
from ..checklist.diff import carried_answers, carried_positions
from ..models import Annotation, ChecklistVersion, GoldAnswer, GoldCheck, Project, Task
from .errors import AssignmentError
from .payload import AnswerPayload, derive_answers


def is_gold_check(task: Task) -> bool:
    """Whether the task is a gold check now (ask with the task row locked)."""
    return GoldCheck.objects.filter(task_id=task.pk).exists()


def _exactly_one(answer: str, answer_help: str, given: bool, from_gold_answer: bool) -> None:
    if given == from_gold_answer:
        raise AssignmentError(
            f"Send either `{answer}` ({answer_help}) or `from_gold_answer`: true, exactly one of them.",
            {answer: [f"send either `{answer}` ({answer_help}) or `from_gold_answer`: true"]},
        )


def _not_for(kind: str, **fields) -> None:
    errors = {name: [f"a {kind} task's gold check takes no `{name}`"] for name, value in fields.items() if value}
    if errors:
        raise AssignmentError(f"fields not used for a {kind} task's gold check: {', '.join(errors)}.", errors)


def _expected_single(task: Task, options, from_gold_answer: bool, version_id: int) -> dict:
    _exactly_one("options", "the expected answers", options is not None, from_gold_answer)
    if from_gold_answer:
        gold = GoldAnswer.objects.filter(task=task).first()
        if gold is None:
            raise AssignmentError(
                f"task {task.pk} has no reviewed gold answer to copy.",
                {"from_gold_answer": [f"task {task.pk} has no reviewed gold answer; send `options` instead"]},
            )
        if gold.checklist_version_id != version_id:
            raise AssignmentError(
                f"the gold answer of task {task.pk} was made with another checklist version.",
                {"from_gold_answer": ["the gold answer uses another checklist version; send `options` instead"]},
            )
        return {"options": gold.options, "answers": gold.answers, "mask": gold.mask}
    expected, answers, mask = derive_answers(task, AnswerPayload(options=options))
    return {"options": expected, "answers": answers, "mask": mask}


def _expected_pair(task: Task, preference, dimension_preferences, from_gold_answer: bool) -> dict:
    """The gold preference of a pair: sent, or copied from its gold answer (a reviewer's, or a
    rating imported from a preference dataset); per-dimension preferences of dimensions the
    current checklist lacks are left out of a copy."""
    _exactly_one("preference", "the gold preference, 1..5, 3 = tie", preference is not None, from_gold_answer)
    if from_gold_answer:
        if dimension_preferences:
            raise AssignmentError(
                "`dimension_preferences` are copied from the gold answer with `from_gold_answer`; send neither "
                "or send `preference` instead.",
                {"dimension_preferences": ["not with `from_gold_answer`: the gold answer's are copied"]},
            )
        gold = GoldAnswer.objects.filter(task=task).first()
        if gold is None or gold.preference is None:
            raise AssignmentError(
                f"task {task.pk} has no reviewed or imported gold preference to copy.",
                {"from_gold_answer": [f"task {task.pk} has no gold preference; send `preference` instead"]},
            )
        dimensions = {d.key for d in task.project.checklist_version.checklist.dimensions}
        kept = {k: v for k, v in (gold.dimension_preferences or {}).items() if k in dimensions and v is not None}
        return {"preference": gold.preference, "dimension_preferences": kept}
    if not isinstance(dimension_preferences, (dict, type(None))):
        raise AssignmentError(
            "`dimension_preferences` must be an object: dimension key → 1..5.",
            {"dimension_preferences": ["must be an object: dimension key → preference 1..5"]},
        )
    derive_answers(task, AnswerPayload(options={}, preference=preference, dimension_preferences=dimension_preferences))
    kept = {k: v for k, v in (dimension_preferences or {}).items() if v is not None}
    return {"preference": preference, "dimension_preferences": kept}


def set_gold_check(
    task: Task,
    user,
    *,
    options: dict | None = None,
    preference: int | None = None,
    dimension_preferences: dict | None = None,
    from_gold_answer: bool = False,
    comment: str = "",
) -> tuple[GoldCheck, bool]:
    """Make ``task`` a gold check with these expected answers, or replace its answers; returns
    (gold check, created).

    For a single task the expected answers are ``options`` (complete, validated like a submit)
    or, with ``from_gold_answer``, a copy of the task's reviewed gold answer. For a pair task
    they are the gold ``preference`` (1..5, 3 = tie) with optional ``dimension_preferences``,
    or, with ``from_gold_answer``, a copy of the task's gold preference (reviewed, or imported
    from a preference dataset). Disabled tasks do not qualify. A new gold check leaves the
    normal queue at once: its ``required`` becomes its ``assigned_count`` (the annotations it
    has and the leases in progress stay; no free normal slot is left), so from then on every
    slot is one annotator's gold-check serve.
    Raises :class:`AssignmentError` naming the field; nothing is saved then.
    """
    with transaction.atomic():
        task = Task.objects.select_for_update(of=("self",)).select_related("project__checklist_version").get(pk=task.pk)
        if task.status == Task.Status.DISABLED:
            raise AssignmentError(
                f"task {task.pk} is disabled; it cannot be a gold check.", {"task": ["the task is disabled"]}
            )
        version_id = task.project.checklist_version_id
        if task.kind == Task.Kind.PAIR:
            _not_for("pair", options=options is not None)
            fields = _expected_pair(task, preference, dimension_preferences, from_gold_answer)
            fields.update(options={}, answers=[], mask=[])
        else:
            _not_for("single", preference=preference is not None, dimension_preferences=dimension_preferences)
            fields = _expected_single(task, options, from_gold_answer, version_id)
            fields.update(preference=None, dimension_preferences={})
        fields.update(comment=comment or "", checklist_version_id=version_id)
        check = GoldCheck.objects.select_for_update().filter(task=task).first()
        created = check is None
        if created:
            check = GoldCheck.objects.create(task=task, project_id=task.project_id, created_by=user, **fields)
            task.required = task.assigned_count
            task.refresh_status()
            task.save(update_fields=["required", "status"])
        else:
            for name, value in fields.items():
                setattr(check, name, value)
            check.save()
        return check, created


def remove_gold_check(task: Task) -> bool:
    """Stop using ``task`` as a gold check; False when it was none.

    Its annotations stay (they are real answers); the task returns to the normal queue needing
    the project's k annotators (plus any added for disagreement), never fewer than the slots
    already taken, so it is done when it already has as many.
    """
    with transaction.atomic():
        task = Task.objects.select_for_update(of=("self",)).select_related("project").get(pk=task.pk)
        deleted, _ = GoldCheck.objects.filter(task=task).delete()
        if not deleted:
            return False
        task.required = max(task.assigned_count, task.project.overlap + task.extra_annotators)
        task.refresh_status()
        task.save(update_fields=["required", "status"])
        return True


# --- disagreement routing ---------------------------------------------------------------


def _in_version(version: ChecklistVersion, diffs: dict, made_with: int, answers, mask) -> tuple[list, list] | None:
    """One annotation's (answers, mask) in ``version``'s question order, or None when malformed:
    one made under another version carried over question by question
    (:func:`annotator.checklist.diff.carried_answers`; a question that did not carry over is not
    comparable). ``diffs`` caches the carried positions per old version id."""
    if not (isinstance(answers, list) and isinstance(mask, list)):
        return None
    if made_with != version.pk:
        if made_with not in diffs:
            old = ChecklistVersion.objects.get(pk=made_with)
            diffs[made_with] = carried_positions(old.checklist, version.checklist)
        answers, mask = carried_answers(diffs[made_with], answers, mask)
    return (answers, mask) if len(answers) == len(mask) == version.question_count else None


def _vectors_under(task_id: int, version: ChecklistVersion) -> list[tuple[list, list]]:
    """The (answers, mask) of a single task's submitted annotations in ``version``'s question
    order (see :func:`_in_version`)."""
    diffs: dict = {}
    rows = Annotation.objects.filter(task_id=task_id).order_by("id")
    vectors = (_in_version(version, diffs, *row) for row in rows.values_list("checklist_version_id", "answers", "mask"))
    return [vector for vector in vectors if vector is not None]


def disagreement_of(
    task: Task, project: Project | None = None, *, version: ChecklistVersion | None = None
) -> float | None:
    """The mean pairwise disagreement of a task's submitted annotations (0..1; ``None`` with
    fewer than two comparable): binary answers where both masks apply for a single task, in the
    question order of ``version`` (the project's current checklist version unless given; older
    answers count for the questions that carried over), preferences for a pair (see
    :func:`annotator.agreement.task_disagreement`)."""
    if task.kind == Task.Kind.PAIR:
        annotations = Annotation.objects.filter(task_id=task.pk)
        return preference_disagreement(list(annotations.order_by("id").values_list("preference", flat=True)))
    version = version or (project or task.project).checklist_version
    return task_disagreement(_vectors_under(task.pk, version))


def route_disagreement(task: Task, project: Project) -> bool:
    """Ask for one more annotator when a task just completed with disagreeing annotations.

    Called in the submit's transaction with the task row locked and its counters updated (not
    saved). Applies when the project has a ``disagreement_threshold``, the task is complete
    (``submitted_count ≥ required``), is not a gold check and has had fewer than
    ``max_extra_annotators`` added, and :func:`disagreement_of` exceeds the threshold: then
    ``required`` and ``extra_annotators`` grow by one and the task opens again. Only a new
    annotation completes a task, and a retried submit returns before getting here, so each
    completion is judged once.
    """
    threshold = project.disagreement_threshold
    if threshold is None or task.status != Task.Status.DONE or task.extra_annotators >= project.max_extra_annotators:
        return False
    if is_gold_check(task):
        return False
    disagreement = disagreement_of(task, project)
    if disagreement is None or disagreement <= threshold:
        return False
    task.required += 1
    task.extra_annotators += 1
    task.refresh_status()
    return True


def reroute_for_version(project: Project, version: ChecklistVersion, *, apply: bool) -> dict:
    """Disagreement routing judged again under checklist ``version`` (a checklist change from
    ``project.checklist_version``): the project's single tasks with two or more annotations, not
    gold checks nor disabled, get the decision :func:`route_disagreement` would make with the
    annotations compared under the new version (answers to questions that did not carry over no
    longer count):

    - a finished task that now disagrees beyond the threshold gets one more annotator (within
      ``max_extra_annotators``), like at its completion;
    - a task that was given extra annotators and no longer disagrees beyond the threshold gives
      back the extra slots nobody has taken yet (taken ones stay: that work is under way).

    Nothing changes when every question of the current version carries over (only questions
    were added). Pair tasks are judged by their preferences, which a checklist change does not
    touch. The annotations are read in one stream; with ``apply`` (in the caller's transaction,
    project row locked) the tasks to change are then locked, judged again on their locked
    counters and saved; otherwise only counted. Returns ``{"routed": [task ids], "unrouted":
    [task ids]}``.
    """
    routed: list[int] = []
    unrouted: list[int] = []
    threshold = project.disagreement_threshold
    current = project.checklist_version
    if threshold is None or (
        current.pk != version.pk
        and set(carried_positions(current.checklist, version.checklist)) >= set(range(current.question_count))
    ):
        return {"routed": routed, "unrouted": unrouted}
    tasks = Task.objects.filter(
        project=project, kind=Task.Kind.SINGLE, gold_check__isnull=True, submitted_count__gte=2
    ).exclude(status=Task.Status.DISABLED)
    rows = (
        Annotation.objects.filter(task__in=tasks)
        .order_by("task_id", "id")
        .values_list("task_id", "checklist_version_id", "answers", "mask")
        .iterator(chunk_size=2000)
    )
    diffs: dict = {}
    disagreeing: dict[int, bool] = {}
    for task_id, group in groupby(rows, key=itemgetter(0)):
        vectors = [v for v in (_in_version(version, diffs, *row[1:]) for row in group) if v is not None]
        disagreement = task_disagreement(vectors)
        disagreeing[task_id] = disagreement is not None and disagreement > threshold

    def decide(task: Task) -> str | None:
        disagrees = disagreeing.get(task.pk, False)
        if disagrees and task.status == Task.Status.DONE and task.extra_annotators < project.max_extra_annotators:
            return "route"
        if not disagrees and task.extra_annotators and task.required > task.assigned_count:
            return "unroute"
        return None

    # finished tasks that now disagree (few), and every task that was given extra annotators
    disagree_ids = [task_id for task_id, disagrees in disagreeing.items() if disagrees]
    candidates = tasks.filter(Q(pk__in=disagree_ids, status=Task.Status.DONE) | Q(extra_annotators__gt=0))
    candidates = candidates.order_by("id")
    if apply:
        candidates = candidates.select_for_update(of=("self",))
    for task in candidates.only("id", "status", "required", "assigned_count", "submitted_count", "extra_annotators"):
        decision = decide(task)
        if decision == "route":
            routed.append(task.pk)
            task.required += 1
            task.extra_annotators += 1
        elif decision == "unroute":
            unrouted.append(task.pk)
            give_back = min(task.extra_annotators, task.required - task.assigned_count)
            task.required -= give_back
            task.extra_annotators -= give_back
        else:
            continue
        if apply:
            task.refresh_status()
            task.save(update_fields=["required", "extra_annotators", "status"])
    return {"routed": routed, "unrouted": unrouted}
