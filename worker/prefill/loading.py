"""A registered model's guesser, loaded once per worker process: pre-fill, fine-tune and
evaluation jobs all get their model from here."""

from __future__ import annotations

import logging
import threading

from django.conf import settings

from worker.models import ModelSpec

logger = logging.getLogger(__name__)


class ModelLoadError(Exception):
    """The job's model cannot be used (missing, disabled, or it fails to load)."""


# --- loading the model (once per worker process) ----------------------------------------------


_cache: dict[tuple[int, str], object] = {}
_cache_lock = threading.Lock()


def resolve_device(device: str) -> str:
    """``auto`` → ``cuda`` when a GPU is visible, else ``cpu``; other values as they are."""
    if device != ModelSpec.Device.AUTO:
        return device
    try:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    except ImportError:  # pragma: no cover - torch is a dependency of the model workers
        return "cpu"


def load_guesser(spec: ModelSpec):
    """A new guesser for ``spec`` with the spec's settings: a ``CogVLMGuesser`` when the source's
    ``config.json`` declares a CogVLM2(-Video) model (VisionReward's, which runs its own code),
    else an ``HFGuesser``. Slow: use :func:`get_guesser`, which keeps it for the process."""
    local_only = getattr(settings, "VR_HF_LOCAL_FILES_ONLY", True)
    from .guessers.cogvlm import cogvlm_architecture, read_config_json

    if cogvlm_architecture(read_config_json(spec.source, spec.revision or None, local_only)):
        from .guessers.cogvlm import CogVLMGuesser

        return CogVLMGuesser(
            spec.source,
            revision=spec.revision or None,
            dtype=spec.dtype,
            device=resolve_device(spec.device),
            batch_size=spec.batch_size,
            trust_remote_code=spec.trust_remote_code,
            name=spec.name,
            local_files_only=local_only,
        )
    from .guessers.hf import HFGuesser

    return HFGuesser(
        spec.source,
        revision=spec.revision or None,
        dtype=spec.dtype,
        device=resolve_device(spec.device),
        batch_size=spec.batch_size,
        trust_remote_code=spec.trust_remote_code,
        max_frames=spec.max_frames,
        name=spec.name,
        local_files_only=local_only,
    )


def _cache_key(spec: ModelSpec) -> tuple[int, str]:
    return (spec.pk, spec.updated_at.isoformat() if spec.updated_at else "")


def get_guesser(spec: ModelSpec):
    """The process's guesser for ``spec``, loaded on first use and again after the spec changes.
    One model is kept at a time (a worker's GPU memory holds one); a load error is raised as
    :class:`ModelLoadError` with a readable message."""
    key = _cache_key(spec)
    with _cache_lock:
        guesser = _cache.get(key)
        if guesser is not None:
            return guesser
        clear_guessers()
        try:
            guesser = load_guesser(spec)
        except Exception as exc:
            raise ModelLoadError(f"model {spec.name!r} could not be loaded from {spec.source!r}: {exc}") from exc
        _cache[key] = guesser
        return guesser


def clear_guessers() -> None:
    """Forget the loaded model(s) and free their GPU memory."""
    _cache.clear()
    try:
        import sys

        torch = sys.modules.get("torch")
        if torch is not None and torch.cuda.is_available():
            torch.cuda.empty_cache()
    except Exception:  # pragma: no cover - freeing memory is best effort
        logger.debug("could not empty the CUDA cache", exc_info=True)
