"""The API's objects as small frozen dataclasses: the fields scripts use most, typed, and ``raw``
(the whole JSON object, for everything else)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict

FINISHED_STATES = frozenset({"succeeded", "failed", "cancelled"})


def _fields(cls, data: dict[str, Any]) -> dict[str, Any]:
    names = [f for f in cls.__dataclass_fields__ if f != "raw"]
    return {name: data.get(name) for name in names}


@dataclass(frozen=True)
class User:
    id: int
    username: str
    is_staff: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> User:
        return cls(**_fields(cls, data), raw=data)


@dataclass(frozen=True)
class Project:
    id: int
    name: str
    media_type: str
    slug: str | None = None
    checklist_version: int | None = None
    my_role: str | None = None
    archived: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Project:
        return cls(**_fields(cls, data), raw=data)


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    state: str
    progress: float = 0.0
    message: str = ""
    project: int | None = None
    error: str = ""
    result: Any = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Job:
        values = _fields(cls, data)
        values["progress"] = float(values["progress"] or 0.0)
        values["message"], values["error"] = values["message"] or "", values["error"] or ""
        return cls(**values, raw=data)

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES

    @property
    def succeeded(self) -> bool:
        return self.state == "succeeded"


@dataclass(frozen=True)
class DatasetVersion:
    id: int
    name: str
    version: int
    label: str
    state: str
    projects: list[int] = field(default_factory=list)
    content_hash: str = ""
    row_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    job: int | None = None
    error: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> DatasetVersion:
        values = _fields(cls, data)
        for key, empty in (("projects", []), ("row_counts", {}), ("files", []), ("content_hash", ""), ("error", "")):
            if values[key] is None:
                values[key] = empty
        return cls(**values, raw=data)

    @property
    def ready(self) -> bool:
        return self.state == "ready"


@dataclass(frozen=True)
class WeightSet:
    id: int
    project: int
    version: int
    label: str
    status: str
    source: str
    metrics: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> WeightSet:
        values = _fields(cls, data)
        values["metrics"] = values["metrics"] or {}
        return cls(**values, raw=data)


class PredictionIn(TypedDict, total=False):
    """One prediction to push: ``asset`` (an asset id of the project), ``model_name``,
    ``model_version`` (optional) and ``p_yes``: question key → P(yes) in [0, 1], every question."""

    asset: int
    model_name: str
    model_version: str
    p_yes: dict[str, float]


@dataclass(frozen=True)
class Download:
    """A downloaded dataset version: the folder, and how its files were checked."""

    version: DatasetVersion
    path: Any  # pathlib.Path
    files: int
    bytes: int
