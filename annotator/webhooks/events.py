"""The webhook events, their payload and the retry schedule (pure: no Django)."""

from __future__ import annotations

from datetime import datetime

ANNOTATION_SUBMITTED = "annotation.submitted"
TASK_COMPLETED = "task.completed"
IMPORT_FINISHED = "import.finished"
EXPORT_FINISHED = "export.finished"
WEIGHT_SET_PROMOTED = "weight_set.promoted"
JOB_FAILED = "job.failed"
PING = "ping"  # a test event, sent to one webhook on request; not subscribable

EVENTS: dict[str, str] = {
    ANNOTATION_SUBMITTED: "An annotator submitted an annotation.",
    TASK_COMPLETED: "A task received all the annotations it needs.",
    IMPORT_FINISHED: "An import job (files, URLs, a dataset) finished.",
    EXPORT_FINISHED: "An export job finished: a dataset version is ready.",
    WEIGHT_SET_PROMOTED: "A weight set became the project's active one.",
    JOB_FAILED: "A job of the project failed for good.",
}

# About a day in all: 30 s, 2 min, 10 min, 30 min, 1 h, 3 h, 6 h, 12 h (VR_WEBHOOK_RETRY_SCHEDULE).
DEFAULT_SCHEDULE: tuple[float, ...] = (30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600)
SCHEDULE_SETTING = "VR_WEBHOOK_RETRY_SCHEDULE"
MAX_URL_LENGTH = 2000


def unknown_events(names) -> list[str]:
    """The names in ``names`` that are not subscribable events."""
    return [n for n in names if n not in EVENTS]


def parse_schedule(text: str | None) -> tuple[float, ...]:
    """``"30,120,600"`` (seconds between attempts) → (30.0, 120.0, 600.0); empty → the default.
    ValueError naming the setting for a bad item."""
    if text is None or not str(text).strip():
        return DEFAULT_SCHEDULE
    out = []
    for item in str(text).split(","):
        try:
            value = float(item.strip())
        except ValueError:
            raise ValueError(f"{SCHEDULE_SETTING}: `{item.strip()}` is not a number of seconds") from None
        if not value >= 0 or value > 7 * 86400:
            raise ValueError(f"{SCHEDULE_SETTING}: `{item.strip()}` must be between 0 and 604800 seconds")
        out.append(value)
    return tuple(out)


def retry_delay(round_attempts: int, schedule: tuple[float, ...]) -> float | None:
    """Seconds to wait after the ``round_attempts``-th failed attempt, or None: give up."""
    if round_attempts < 1 or round_attempts > len(schedule):
        return None
    return schedule[round_attempts - 1]


def payload(event: str, event_id: str, created_at: datetime, project: dict, data: dict) -> dict:
    """The JSON body every delivery carries: ``{event, id, created_at, project: {id, name}, data}``."""
    return {
        "event": event,
        "id": str(event_id),
        "created_at": created_at.isoformat().replace("+00:00", "Z"),
        "project": {"id": project["id"], "name": project["name"]},
        "data": data,
    }


def excerpt(body: bytes, limit: int = 1024) -> str:
    """The start of a response body as text (invalid UTF-8 replaced), at most ``limit`` bytes."""
    return body[:limit].decode("utf-8", errors="replace")
