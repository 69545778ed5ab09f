"""The error every service of the core raises for a request it cannot carry out."""

from __future__ import annotations


class AssignmentError(Exception):
    """A request that cannot be carried out; ``errors`` names the fields (for a 400/409)."""

    def __init__(self, detail: str, errors: dict | None = None, status: int = 400):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}
        self.status = status
