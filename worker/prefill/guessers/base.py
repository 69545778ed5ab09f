"""The guesser interface: a model that answers a checklist before people do.

A guesser gets one asset's media (the image, or the sampled video frames), its prompt and a
checklist, and returns P(yes) for every question key, with ``[[prompt]]`` filled in the
question text. The platform stores that as a ``Prediction`` (``annotator.services.predictions``),
which collapses it to an option per sub-dimension (respecting presence gating) for the UI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from PIL import Image

from annotator.checklist import Checklist


@dataclass(frozen=True)
class MediaInput:
    """What the model sees: one image, or a video's sampled frames in time order."""

    kind: str  # "image" | "video"
    frames: list[Image.Image]
    fps: float | None = None
    times: list[float] | None = None  # seconds from the first frame, one per frame (videos)


@dataclass(frozen=True)
class GuessRequest:
    media: MediaInput
    prompt: str
    checklist: Checklist


@dataclass
class GuessResult:
    p_yes: dict[str, float]  # question key -> probability of "yes"
    model_name: str
    model_version: str
    timings: dict[str, float] = field(default_factory=dict)  # seconds, by stage
    details: dict = field(default_factory=dict)  # what the model saw: token counts, frames used…


class GuesserError(Exception):
    """A guesser cannot be loaded or cannot answer (bad model path, unusable tokenizer, bad media)."""


class Guesser(Protocol):
    """Loaded once per worker process; ``guess`` is called once per asset."""

    name: str
    version: str

    def guess(self, request: GuessRequest) -> GuessResult: ...
