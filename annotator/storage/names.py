"""Storage names, pure (no Django): what a name from a row or a request must look like before any
storage reads it. Relative, ``/``-separated, no ``..``, ``.`` or empty parts; never a host path.
Kept free of Django so the pure readers (``worker.prefill.guessers.media``) use the same rules."""

from __future__ import annotations


def clean_name(name: str) -> str:
    """``name`` as a storage name; ValueError for anything else."""
    text = str(name).replace("\\", "/")
    parts = text.split("/")
    if not text or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"not a storage name: {name!r}")
    return "/".join(parts)


def join(*parts: str) -> str:
    """The parts joined into one storage name (their own leading and trailing ``/`` dropped)."""
    return clean_name("/".join(str(p).strip("/") for p in parts if str(p).strip("/")))
