"""Reading P(yes) from a language model's next-token logits (pure: no model, no Django).

The VisionReward reference generates text for every question and string-matches "yes"; a
change of case or spacing then reads as "no". We read the distribution instead: at the first
answer position, P(yes) is the probability mass of every single-token spelling of *yes*,
renormalised over the *yes* and *no* spellings only::

    P(yes) = Σ exp(l_yes) / (Σ exp(l_yes) + Σ exp(l_no)) = sigmoid(logsumexp(l_yes) - logsumexp(l_no))

computed with ``logsumexp`` so that large logits neither overflow nor lose precision.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["ANSWER_WORDS", "NoAnswerTokensError", "answer_variants", "p_yes_from_logits", "yes_no_token_ids"]

ANSWER_WORDS = ("yes", "no")
# Word-boundary markers of the common tokenizer families: SentencePiece ("▁yes") and
# byte-level BPE ("Ġyes", GPT-2/Llama-3/Qwen style).
_BOUNDARY_MARKERS = ("▁", "Ġ")


class NoAnswerTokensError(ValueError):
    """The tokenizer has no single-token spelling of "yes" or of "no"."""


def answer_variants(word: str) -> list[str]:
    """The spellings we look for: lower, Capitalised and UPPER case, each bare and after a space."""
    cased = dict.fromkeys([word.lower(), word.capitalize(), word.upper()])
    return [*cased, *(" " + w for w in cased)]


def _vocab(tokenizer) -> dict[str, int]:
    try:
        return dict(tokenizer.get_vocab())
    except (AttributeError, NotImplementedError, TypeError):
        return {}


def _special_ids(tokenizer) -> set[int]:
    ids = set(getattr(tokenizer, "all_special_ids", None) or [])
    unk = getattr(tokenizer, "unk_token_id", None)
    if unk is not None:
        ids.add(unk)
    return ids


def _strip_marker(token: str) -> str:
    for marker in (*_BOUNDARY_MARKERS, " "):
        token = token.removeprefix(marker)
    return token


def _single_token_ids(tokenizer, word: str) -> list[int]:
    """Ids of the tokens that spell one variant of ``word`` exactly, in a stable order."""
    special = _special_ids(tokenizer)
    found: list[int] = []

    def keep(token_id: int, expected: str) -> None:
        if token_id in special or token_id in found:
            return
        # The id must really spell the word (a WordLevel tokenizer maps unknown words to one
        # <unk> token; a tokenizer may also normalise case away): compare the token's text.
        tokens = tokenizer.convert_ids_to_tokens([token_id])
        text = tokens[0] if tokens else None
        if text is None or _strip_marker(str(text)) != expected.strip():
            return
        found.append(token_id)

    for variant in answer_variants(word):
        ids = tokenizer.encode(variant, add_special_tokens=False)
        ids = [i for i in ids if i not in special] if len(ids) > 1 else ids
        if len(ids) == 1:
            keep(int(ids[0]), variant)
    # Word-start pieces that encoding may not reach (e.g. SentencePiece turns " yes" into
    # "▁" + "▁yes"): look them up. Bare pieces are only taken when encoding produced them, since
    # a bare "yes" piece is a word's continuation in SentencePiece vocabularies.
    vocab = _vocab(tokenizer)
    for variant in answer_variants(word):
        bare = variant.strip()
        for token in (marker + bare for marker in _BOUNDARY_MARKERS):
            if token in vocab:
                keep(int(vocab[token]), bare)
    return found


def yes_no_token_ids(tokenizer) -> tuple[list[int], list[int]]:
    """Every token id that alone spells "yes" (resp. "no"): the case and leading-space variants
    of :func:`answer_variants` that the tokenizer encodes as exactly one token, plus the
    vocabulary's word-start entries "▁yes"/"Ġyes" (SentencePiece, byte-level BPE) in the three
    cases; special and unknown tokens never count. Ids are deduplicated, in discovery order.

    Raises :class:`NoAnswerTokensError` when either list would be empty.
    """
    yes_ids = _single_token_ids(tokenizer, "yes")
    no_ids = _single_token_ids(tokenizer, "no")
    overlap = set(yes_ids) & set(no_ids)
    if overlap:  # cannot happen for a sane tokenizer, but would make P(yes) meaningless
        raise NoAnswerTokensError(f"token ids {sorted(overlap)} read as both yes and no")
    missing = [word for word, ids in (("yes", yes_ids), ("no", no_ids)) if not ids]
    if missing:
        tried = ", ".join(repr(v) for word in missing for v in answer_variants(word))
        raise NoAnswerTokensError(
            f"the tokenizer ({type(tokenizer).__name__}) has no single token for {' or '.join(map(repr, missing))} "
            f"(tried {tried} and their ▁/Ġ-prefixed vocabulary entries); P(yes) cannot be read from this model's "
            "next-token logits"
        )
    return yes_ids, no_ids


def p_yes_from_logits(
    logits: torch.Tensor, yes_ids: Sequence[int] | torch.Tensor, no_ids: Sequence[int] | torch.Tensor
) -> torch.Tensor:
    """P(yes) from next-token logits ``[..., vocab]`` → ``[...]`` (float32; float64 for float64 logits).

    The softmax is renormalised over the yes/no tokens only, so the mass the model puts on other
    tokens does not matter. When every yes and no token has logit -inf, the answer is 0.5.
    """
    if logits.ndim < 1:
        raise ValueError("logits must have a vocabulary dimension")
    device = logits.device
    yes = torch.as_tensor(yes_ids, dtype=torch.long, device=device).reshape(-1)
    no = torch.as_tensor(no_ids, dtype=torch.long, device=device).reshape(-1)
    if yes.numel() == 0 or no.numel() == 0:
        raise ValueError("need at least one yes and one no token id")
    if logits.dtype != torch.float64:
        logits = logits.float()  # half-precision logits are summed in float32
    lse_yes = torch.logsumexp(logits.index_select(-1, yes), dim=-1)
    lse_no = torch.logsumexp(logits.index_select(-1, no), dim=-1)
    p = torch.sigmoid(lse_yes - lse_no)
    both_impossible = torch.isneginf(lse_yes) & torch.isneginf(lse_no)
    return torch.where(both_impossible, torch.full_like(p, 0.5), p)
