"""P(yes) from logits and the yes/no token ids (worker.prefill.guessers.scoring): hand values, no model."""

from __future__ import annotations

import math

import pytest
import torch

from worker.prefill.guessers.scoring import NoAnswerTokensError, answer_variants, p_yes_from_logits, yes_no_token_ids

LN2, LN3 = math.log(2.0), math.log(3.0)


# --- p_yes_from_logits ------------------------------------------------------------------


def test_single_yes_and_no_token():
    # exp(ln 3) / (exp(ln 3) + exp(0)) = 3 / 4, whatever the other tokens hold
    logits = torch.tensor([5.0, LN3, 0.0, 9.0])
    assert p_yes_from_logits(logits, [1], [2]).item() == pytest.approx(0.75, abs=1e-6)


def test_mass_of_every_variant_is_summed():
    # yes: e^0 + e^ln2 = 3, no: e^0 + e^0 = 2 → 3/5
    logits = torch.tensor([0.0, LN2, 0.0, 0.0, -3.0])
    assert p_yes_from_logits(logits, [0, 1], [2, 3]).item() == pytest.approx(0.6, abs=1e-6)


def test_renormalised_over_yes_and_no_only():
    base = torch.tensor([LN3, 0.0, 0.0])
    crowded = torch.tensor([LN3, 0.0, 50.0])  # almost all softmax mass on a third token
    assert p_yes_from_logits(base, [0], [1]).item() == pytest.approx(0.75, abs=1e-6)
    assert p_yes_from_logits(crowded, [0], [1]).item() == pytest.approx(0.75, abs=1e-6)


def test_batched_shapes():
    logits = torch.zeros(2, 3, 6)
    logits[0, 1, 4] = LN3  # yes token 4 of row (0, 1)
    logits[1, 2, 5] = LN3  # no token 5 of row (1, 2)
    p = p_yes_from_logits(logits, torch.tensor([4]), torch.tensor([5]))
    assert p.shape == (2, 3)
    expected = torch.full((2, 3), 0.5)
    expected[0, 1], expected[1, 2] = 0.75, 0.25
    assert torch.allclose(p, expected, atol=1e-6)


def test_numerically_stable_for_huge_and_tiny_logits():
    for shift, dtype in ((1000.0, torch.float32), (-1000.0, torch.float32), (1e8, torch.float64)):
        logits = torch.tensor([shift + LN3, shift, shift - 7.0], dtype=dtype)
        p = p_yes_from_logits(logits, [0], [1])
        assert torch.isfinite(p).all()
        assert p.item() == pytest.approx(0.75, abs=1e-5)
    # a gap far beyond exp's range still gives 0 and 1, not nan
    assert p_yes_from_logits(torch.tensor([0.0, 2000.0]), [0], [1]).item() == 0.0
    assert p_yes_from_logits(torch.tensor([2000.0, 0.0]), [0], [1]).item() == 1.0


def test_half_precision_logits_give_float32():
    logits = torch.tensor([LN3, 0.0], dtype=torch.bfloat16)
    p = p_yes_from_logits(logits, [0], [1])
    assert p.dtype == torch.float32
    assert p.item() == pytest.approx(0.75, abs=1e-2)  # ln 3 itself is rounded in bfloat16


def test_impossible_tokens():
    inf = float("inf")
    assert p_yes_from_logits(torch.tensor([-inf, 0.0]), [0], [1]).item() == 0.0
    assert p_yes_from_logits(torch.tensor([0.0, -inf]), [0], [1]).item() == 1.0
    assert p_yes_from_logits(torch.tensor([-inf, -inf, 0.0]), [0], [1]).item() == 0.5


def test_needs_ids():
    with pytest.raises(ValueError):
        p_yes_from_logits(torch.zeros(3), [], [1])


# --- yes_no_token_ids -------------------------------------------------------------------


def test_variants():
    assert answer_variants("yes") == ["yes", "Yes", "YES", " yes", " Yes", " YES"]
    assert answer_variants("no") == ["no", "No", "NO", " no", " No", " NO"]


def _bpe(vocab_tokens: list[str], merges: list[tuple[str, str]], *, sentencepiece: bool):
    """A small BPE tokenizer: byte-level (GPT-2 "Ġ") or SentencePiece-like (Metaspace "▁")."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {token: index for index, token in enumerate(["<unk>", "<s>", *vocab_tokens])}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>"))
    if sentencepiece:
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
        tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    else:
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", bos_token="<s>"), vocab


def test_byte_level_tokenizer():
    letters = list("yesnoYNESO") + ["Ġ"]
    merges = [("y", "e"), ("ye", "s"), ("Ġ", "yes"), ("n", "o"), ("Ġ", "no"), ("Y", "e"), ("Ye", "s"), ("Ġ", "Yes")]
    tokens = letters + ["".join(pair) for pair in merges]
    tokenizer, vocab = _bpe(tokens, merges, sentencepiece=False)
    yes_ids, no_ids = yes_no_token_ids(tokenizer)
    # "YES", "NO" and "No" take several tokens here: not counted
    assert sorted(yes_ids) == sorted(vocab[t] for t in ("yes", "Yes", "Ġyes", "ĠYes"))
    assert sorted(no_ids) == sorted(vocab[t] for t in ("no", "Ġno"))
    assert len(set(yes_ids)) == len(yes_ids)


def test_sentencepiece_style_tokenizer():
    letters = list("yesnoYNESO") + ["▁"]
    merges = [("y", "e"), ("ye", "s"), ("▁", "yes"), ("n", "o"), ("▁", "no"), ("N", "O"), ("▁", "NO")]
    tokens = letters + ["".join(pair) for pair in merges]
    tokenizer, vocab = _bpe(tokens, merges, sentencepiece=True)
    yes_ids, no_ids = yes_no_token_ids(tokenizer)
    # "yes" encodes to "▁yes" (a word start); the bare continuation piece "yes" is not an answer
    assert yes_ids == [vocab["▁yes"]]
    assert sorted(no_ids) == sorted([vocab["▁no"], vocab["▁NO"]])


def test_word_level_tokenizer_and_unknown_words():
    from worker.prefill.tiny import build_tokenizer

    tokenizer = build_tokenizer()
    yes_ids, no_ids = yes_no_token_ids(tokenizer)
    assert tokenizer.convert_ids_to_tokens(yes_ids) == ["yes", "Yes", "YES"]
    assert tokenizer.convert_ids_to_tokens(no_ids) == ["no", "No", "NO"]
    assert tokenizer.unk_token_id not in yes_ids + no_ids


def test_tokenizer_without_answer_tokens():
    from worker.prefill.tiny import build_tokenizer

    tokenizer = build_tokenizer(answer_words=False)  # "yes" encodes as <unk>: not an answer token
    with pytest.raises(NoAnswerTokensError, match=r"no single token for 'yes' or 'no'"):
        yes_no_token_ids(tokenizer)
