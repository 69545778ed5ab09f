"""Where a guesser reads a model from: a local folder, or a Hub id's snapshot in the local cache.

With ``local_files_only`` (the workers' default, ``VR_HF_LOCAL_FILES_ONLY``) a Hub id is read
from its snapshot folder in the local Hugging Face cache, so that nothing goes online, not even
the optional files transformers looks for by id (``adapter_config.json`` and the like), which
would otherwise retry against an unreachable Hub for tens of seconds."""

from __future__ import annotations

from .base import GuesserError


def local_snapshot(repo_id: str, revision: str | None, where: str) -> str:
    """The cached snapshot folder of ``repo_id`` at ``revision``; a :class:`GuesserError` saying
    how to fetch it when it is not cached."""
    from huggingface_hub import snapshot_download

    try:
        return snapshot_download(repo_id, revision=revision, local_files_only=True)
    except Exception as exc:
        raise GuesserError(
            f"cannot load {where}: it is not in the local Hugging Face cache and local_files_only=True "
            f"(nothing is downloaded): pass a local folder, or fetch it first (`hf download {repo_id}`)"
        ) from exc
