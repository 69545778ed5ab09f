"""Model guessers: P(yes) for every checklist question of an asset (see ``base``).

``hf.HFGuesser`` runs Hugging Face vision-language models (imported from ``worker.guessers.hf``:
it pulls in torch and transformers); ``media`` reads an asset's files into a ``MediaInput``;
``scoring`` reads P(yes) from next-token logits. ``docs/prefill-models.md`` explains them.
"""

from .base import Guesser, GuesserError, GuessRequest, GuessResult, MediaInput

__all__ = ["GuessRequest", "GuessResult", "Guesser", "GuesserError", "MediaInput"]
