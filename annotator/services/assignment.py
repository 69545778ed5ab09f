"""Old home of claims and answers, kept only for ``worker/`` (which imports ``expire_leases``
from here) until it imports :mod:`annotator.services.claims` itself. New code: see
:mod:`annotator.services.claims` and :mod:`annotator.services.answers`."""

from .claims import expire_leases

__all__ = ["expire_leases"]
