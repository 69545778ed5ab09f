"""Test load: does a registered model load, and answer, before a pre-fill job relies on it?

``POST /api/models/<name>/test-load/`` (staff, as every change of the registry) writes a
``model_check`` job on the model's queue: loading a model in the web process would hold its
weights (gigabytes, a GPU) there; the model's own workers are the ones that must be able to load
it. The runner (``run_model_check``) frees the model its worker holds (a worker keeps one at a
time), calls :func:`worker.prefill.loading.load_guesser` on the spec, optionally asks it one
question about a generated image (or a few generated video frames), then lets it go.

The job's result: ``ok``; ``stage`` ("load" or "answer": where it failed, or "answer"/"load"
when it got through, as asked); ``error`` (the exception's message: a ``GuesserError`` names the
architecture, what is missing and what to install; any other exception type is named before its
message) and ``error_type``; ``load_seconds``; ``model_version``; ``device``; ``answer``
(``question``, ``media``, ``p_yes``, ``seconds``). A failed load is the check's finding, not a
failure of the job: the job succeeds, with ``ok: false``, and is never retried.

The outcome is also written on the ``ModelSpec`` (``last_check_at`` / ``last_check_ok`` /
``last_check_message``) with a queryset update, which leaves ``updated_at`` alone (the workers'
model cache is keyed by it), and only when the spec has not changed since the check was asked
for (otherwise the result says ``recorded: false``: it tested a configuration that is gone).
"""

from __future__ import annotations

import time
from functools import cache

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from annotator.api_errors import summarize
from worker.jobs import JobContext, JobFailed, create_job
from worker.models import Job, ModelSpec

from . import loading

CHECK_FIELDS = ("answer", "media")
MEDIA_KINDS = ("image", "video")
QUESTIONS = {"image": "Is the image clear?", "video": "Is it clear?"}
SAMPLE_SIZE = (64, 48)
SAMPLE_FRAMES = 4
MESSAGE_LIMIT = 280  # Job.message holds 300 characters


class ModelCheckValidationError(Exception):
    """The test-load request is invalid; ``errors`` maps a field to readable messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        self.detail = summarize(errors)
        super().__init__(self.detail)


# --- the request ------------------------------------------------------------------------------


def validate_check(data) -> dict:
    """The check's options from a request body (``{}`` or absent: load and answer on an image)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ModelCheckValidationError({"non_field_errors": ["expected a JSON object"]})
    errors: dict[str, list[str]] = {}
    for key in sorted(str(k) for k in data if k not in CHECK_FIELDS):
        errors[key] = [f"unknown field; allowed: {', '.join(CHECK_FIELDS)}"]
    answer = data.get("answer", True)
    if not isinstance(answer, bool):
        errors["answer"] = [f"must be true (load and answer one question) or false (load only), not {answer!r:.100}"]
    media = data.get("media", "image")
    if media not in MEDIA_KINDS:
        errors["media"] = [f"must be one of {', '.join(MEDIA_KINDS)} (got {media!r:.100})"]
    if errors:
        raise ModelCheckValidationError(errors)
    return {"answer": answer, "media": media}


def start_model_check(spec: ModelSpec, user, data=None) -> Job:
    """Validate the options and write the ``model_check`` job on the model's queue (sent when the
    transaction commits). A disabled model can be checked too: check it before enabling it."""
    options = validate_check(data)
    params = {
        "model": spec.name,
        "model_id": spec.pk,
        "spec_updated_at": spec.updated_at.isoformat() if spec.updated_at else None,
        **options,
    }
    with transaction.atomic():
        return create_job(
            Job.Kind.MODEL_CHECK,
            params,
            user=user,
            queue=spec.queue,
            max_attempts=1,  # a model that cannot load is the answer, not a reason to try again
            message=f"queued: test load of model {spec.name}",
        )


def retry_problem(job: Job) -> str | None:
    params = job.params or {}
    if not ModelSpec.objects.filter(pk=params.get("model_id")).exists():
        return f"its model {params.get('model', '?')!r} was removed"
    return None


# --- the runner -------------------------------------------------------------------------------


@cache
def check_checklist(media: str):
    """A one-question checklist for the answer step (the question is asked as a pre-fill asks it)."""
    from annotator.checklist import checklist_from_dict

    return checklist_from_dict(
        {
            "key": f"model-check-{media}",
            "title": "Model check",
            "media_type": media,
            "dimensions": [
                {
                    "key": "quality",
                    "title": "Quality",
                    "sub_dimensions": [
                        {
                            "key": "clarity",
                            "title": "Clarity",
                            "options": [{"code": 1, "label": "clear"}, {"code": 0, "label": "blurry"}],
                            "questions": [{"key": "clear", "text": QUESTIONS[media], "yes_if_at_least": 1}],
                        }
                    ],
                }
            ],
        }
    )


def sample_media(media: str):
    """A generated picture (a colour gradient with a square), or ``SAMPLE_FRAMES`` of them at 1 fps."""
    from PIL import Image, ImageDraw

    from .guessers.base import MediaInput

    def frame(index: int) -> Image.Image:
        picture = Image.linear_gradient("L").resize(SAMPLE_SIZE).convert("RGB")
        draw = ImageDraw.Draw(picture)
        left = 4 + 8 * index
        draw.rectangle([left, 12, left + 16, 28], fill=(200, 40, 40))
        return picture

    if media == "video":
        frames = [frame(i) for i in range(SAMPLE_FRAMES)]
        return MediaInput(kind="video", frames=frames, fps=1.0, times=[float(i) for i in range(SAMPLE_FRAMES)])
    return MediaInput(kind="image", frames=[frame(0)])


def describe(exc: BaseException) -> str:
    """What went wrong, readably: a ``GuesserError`` / ``ModelLoadError`` says it in its message;
    any other exception is named before its message."""
    from .guessers.base import GuesserError

    text = str(exc).strip()
    if isinstance(exc, GuesserError | loading.ModelLoadError):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _short(text: str) -> str:
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def run_model_check(job: Job, ctx: JobContext) -> dict:
    """The ``model_check`` runner (called by ``worker.jobs.execute``); returns the result described
    in the module docstring."""
    from .guessers.base import GuessRequest

    params = job.params or {}
    spec = ModelSpec.objects.filter(pk=params.get("model_id")).first()
    if spec is None:
        raise JobFailed(f"model {params.get('model', '?')!r} no longer exists")
    media = params.get("media", "image")
    result: dict = {
        "model": spec.name,
        "source": spec.source,
        "revision": spec.revision,
        "device": loading.resolve_device(spec.device),
        "ok": False,
        "stage": "load",
        "error": "",
        "error_type": "",
        "load_seconds": None,
        "model_version": None,
        "answer": None,
    }
    ctx.report(progress=0.1, message=f"loading model {spec.name}", log=f"test load of {spec.name} from {spec.source}")
    loading.clear_guessers()  # one model per worker: free the one this worker holds first
    started = time.perf_counter()
    guesser = None
    try:
        guesser = loading.load_guesser(spec)
    except Exception as exc:  # every way a load can fail is the check's finding
        result["error"], result["error_type"] = describe(exc), type(exc).__name__
        result["load_seconds"] = round(time.perf_counter() - started, 3)
    else:
        result["load_seconds"] = round(time.perf_counter() - started, 3)
        result["model_version"] = str(getattr(guesser, "version", "") or "")
        ctx.report(progress=0.6, log=f"loaded in {result['load_seconds']:.2f} s (version {result['model_version']})")
        if params.get("answer", True):
            result["stage"] = "answer"
            checklist = check_checklist(media)
            request = GuessRequest(media=sample_media(media), prompt="a test picture", checklist=checklist)
            asked = time.perf_counter()
            try:
                answer = guesser.guess(request)
                p_yes = float(answer.p_yes["clear"])
                if not 0.0 <= p_yes <= 1.0:
                    raise ValueError(f"P(yes) {p_yes!r} is not between 0 and 1")
            except Exception as exc:
                result["error"], result["error_type"] = describe(exc), type(exc).__name__
            else:
                result["answer"] = {
                    "question": checklist.questions[0].text,
                    "media": media,
                    "p_yes": p_yes,
                    "seconds": round(time.perf_counter() - asked, 3),
                }
    finally:
        del guesser
        loading.clear_guessers()  # the check's model is not kept (it frees its GPU memory)
    result["ok"] = not result["error"]
    if result["ok"]:
        message = f"model {spec.name} loads in {result['load_seconds']:.1f} s"
        if result["answer"] is not None:
            message += f" and answers (P(yes) {result['answer']['p_yes']:.3f} on a generated {media})"
    elif result["stage"] == "load":
        message = f"model {spec.name} does not load: {result['error']}"
    else:
        message = f"model {spec.name} loads but cannot answer: {result['error']}"
    result["recorded"] = _record(spec, params.get("spec_updated_at"), result["ok"], message)
    if not result["recorded"]:
        message += " (not recorded on the model: it was edited during the check)"
    ctx.report(progress=1.0, message=_short(message), log=message)
    return result


def _record(spec: ModelSpec, asked_for: str | None, ok: bool, message: str) -> bool:
    """Write the outcome on the spec unless it changed since the check was asked for."""
    rows = ModelSpec.objects.filter(pk=spec.pk)
    when = parse_datetime(asked_for) if asked_for else None
    if when is not None:
        rows = rows.filter(updated_at=when)
    return bool(rows.update(last_check_at=timezone.now(), last_check_ok=ok, last_check_message=message))
