"""HFGuesser on a tiny random-weight LLaVA saved to disk (worker/prefill/tiny.py): the
prefix-cached batched path equals one full forward per question, for images and videos.

The tiny model has large random weights (initializer_range 0.2), so its P(yes) spread over
most of [0, 1] and differ per question and per image: a tolerance of 1e-4 is meaningful, which
``test_tolerance_catches_wrong_positions`` checks.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from django.conf import settings
from PIL import Image

from annotator.checklist import load_builtin, options_from_p_yes
from worker.prefill.guessers import GuesserError, GuessRequest, MediaInput
from worker.prefill.guessers.hf import ANSWER_CUE, HFGuesser
from worker.prefill.guessers.media import media_input_from_asset, select_frames
from worker.prefill.tiny import build_tiny_llava

SAMPLES = Path(__file__).resolve().parents[2] / "annotator" / "demo" / "samples"
TOLERANCE = 1e-4
PROMPT = "a red car under a tree at sunset"


@pytest.fixture(scope="session")
def tiny_llava(tmp_path_factory) -> Path:
    return build_tiny_llava(tmp_path_factory.mktemp("models") / "tiny-llava", seed=0)


@pytest.fixture(scope="module")
def guesser(tiny_llava) -> HFGuesser:
    torch.manual_seed(0)
    # The copy path (each row's cache holds its prefix); cascade_guesser below is the other one.
    return HFGuesser(str(tiny_llava), dtype="float32", device="cpu", batch_size=16, question_attention="copy")


@pytest.fixture(scope="module")
def image_checklist():
    return load_builtin("visionreward-image")


@pytest.fixture(scope="module")
def video_checklist():
    return load_builtin("visionreward-video")


@pytest.fixture(scope="module")
def sample_image() -> Image.Image:
    # The sample, downscaled: the tiny model sees 32x32 anyway, and the per-question reference
    # path re-processes the image 59 times.
    with Image.open(SAMPLES / "test1.jpg") as image:
        return image.convert("RGB").resize((96, 96))


@pytest.fixture(scope="module")
def image_request(sample_image, image_checklist) -> GuessRequest:
    return GuessRequest(MediaInput(kind="image", frames=[sample_image]), PROMPT, image_checklist)


@pytest.fixture(scope="module")
def reference(guesser, image_request):
    """One full forward per question (media processed every time)."""
    return guesser.guess_uncached(image_request)


def _max_diff(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max(abs(a[key] - b[key]) for key in a)


def _frames(count: int) -> list[Image.Image]:
    colors = [(220, 30, 30), (30, 200, 40), (20, 40, 230), (240, 240, 20), (10, 10, 10), (200, 200, 200)]
    return [Image.new("RGB", (48, 40), colors[i % len(colors)]) for i in range(count)]


# --- the cached path equals the reference ------------------------------------------------


def test_reference_is_informative(reference, image_checklist):
    values = list(reference.p_yes.values())
    assert list(reference.p_yes) == list(image_checklist.question_keys)
    assert len(values) == 59 and all(0.0 <= v <= 1.0 for v in values)
    assert max(values) - min(values) > 0.3  # far from a constant 0.5


@pytest.mark.parametrize("batch_size", [1, 7, 16, 64])
def test_cached_batched_equals_uncached(guesser, image_request, reference, batch_size, monkeypatch):
    monkeypatch.setattr(guesser, "batch_size", batch_size)
    result = guesser.guess(image_request)
    assert list(result.p_yes) == list(reference.p_yes)
    assert _max_diff(result.p_yes, reference.p_yes) < TOLERANCE
    assert result.details["split_exact"] is True
    assert result.details["batch_size"] == batch_size
    assert result.model_name == guesser.name and result.model_version == guesser.version
    assert {"prepare", "prefix", "questions", "total"} <= result.timings.keys()


@pytest.mark.parametrize("setting", ["_logits_to_keep", "_cache_views"])
def test_fallback_paths_equal_uncached(guesser, image_request, reference, setting, monkeypatch):
    """Full logits gathered per row (remote-code models); deep-copied caches (other cache types)."""
    monkeypatch.setattr(guesser, setting, False)
    monkeypatch.setattr(guesser, "batch_size", 7)
    assert _max_diff(guesser.guess(image_request).p_yes, reference.p_yes) < TOLERANCE


def test_same_tokens_as_reference(guesser, image_request, reference):
    """The cached path feeds prefix + question tokens, exactly what the reference tokenizes."""
    result = guesser.guess(image_request)
    full = [result.details["prefix_tokens"] + n for n in result.details["question_tokens"]]
    assert full == reference.details["input_tokens"]


def test_full_batch_equals_uncached(guesser, image_request, reference):
    assert _max_diff(guesser.guess_full_batch(image_request).p_yes, reference.p_yes) < TOLERANCE


def test_deterministic(guesser, image_request):
    assert guesser.guess(image_request).p_yes == guesser.guess(image_request).p_yes


def test_tolerance_catches_wrong_positions(guesser, image_request, reference, monkeypatch):
    """Positions restarting at the prefix length + 1 (off by one) move P(yes) well past 1e-4."""
    original = guesser._question_inputs

    def shifted(encoded, assets, ids):
        inputs, last = original(encoded, assets, ids)
        inputs["position_ids"] = inputs["position_ids"] + 1
        return inputs, last

    monkeypatch.setattr(guesser, "_question_inputs", shifted)
    assert _max_diff(guesser.guess(image_request).p_yes, reference.p_yes) > 10 * TOLERANCE


# --- several assets per batch (guess_many) ------------------------------------------------

# Prompts of different lengths, so the batched prefixes are right-padded differently.
MANY_PROMPTS = [PROMPT, "cat", "a man and a woman playing with a dog on the beach near the city street at sunset"]


@pytest.fixture(scope="module")
def many_requests(sample_image, image_checklist) -> list[GuessRequest]:
    images = [sample_image, *_frames(2)]
    return [
        GuessRequest(MediaInput(kind="image", frames=[image]), prompt, image_checklist)
        for image, prompt in zip(images, MANY_PROMPTS, strict=True)
    ]


@pytest.fixture(scope="module")
def many_single(guesser, many_requests) -> list:
    """Each asset on its own (``guess``), the reference for ``guess_many``."""
    return [guesser.guess(request) for request in many_requests]


def _assert_same(results, singles) -> None:
    assert len(results) == len(singles)
    for result, single in zip(results, singles, strict=True):
        assert list(result.p_yes) == list(single.p_yes)
        assert _max_diff(result.p_yes, single.p_yes) < TOLERANCE
        assert result.details["prefix_tokens"] == single.details["prefix_tokens"]
        assert result.details["question_tokens"] == single.details["question_tokens"]


@pytest.mark.parametrize("count", [1, 2, 3])
@pytest.mark.parametrize("batch_size", [1, 7, 64])
def test_guess_many_equals_guess(guesser, many_requests, many_single, count, batch_size, monkeypatch):
    monkeypatch.setattr(guesser, "batch_size", batch_size)
    results = guesser.guess_many(many_requests[:count])
    _assert_same(results, many_single[:count])
    assert len({r.details["prefix_tokens"] for r in results}) == count  # really padded differently
    assert all(r.details["assets_in_batch"] == count for r in results)
    assert all(r.details["method"] == "prefix-cache" and r.details["batch_size"] == batch_size for r in results)
    assert {"prepare", "prefix", "questions", "total"} <= results[0].timings.keys()


def test_guess_many_equals_uncached(guesser, many_requests, reference):
    """The first request is the module's image request: the batch matches the per-question reference."""
    assert _max_diff(guesser.guess_many(many_requests)[0].p_yes, reference.p_yes) < TOLERANCE


@pytest.mark.parametrize("setting", ["_logits_to_keep", "_cache_views"])
def test_guess_many_fallback_paths(guesser, many_requests, many_single, setting, monkeypatch):
    """Full logits gathered per row; deep-copied caches with rows selected per asset."""
    monkeypatch.setattr(guesser, setting, False)
    monkeypatch.setattr(guesser, "batch_size", 7)
    _assert_same(guesser.guess_many(many_requests), many_single)


def test_guess_many_chunks_and_order(guesser, many_requests, many_single, monkeypatch):
    monkeypatch.setattr(guesser, "assets_per_batch", 2)
    requests = [*many_requests, many_requests[0], many_requests[1]]
    results = guesser.guess_many(requests)
    _assert_same(results, [*many_single, many_single[0], many_single[1]])
    assert [r.details["assets_in_batch"] for r in results] == [2, 2, 2, 2, 1]
    assert guesser.guess_many([]) == []


def test_guess_many_one_at_a_time_when_assets_cannot_share(guesser, many_requests, many_single, monkeypatch):
    """Multimodal RoPE or a non-plain cache: each asset gets its own prefix forward."""
    monkeypatch.setattr(guesser, "_multi_asset", False)
    results = guesser.guess_many(many_requests)
    _assert_same(results, many_single)
    assert [r.details["assets_in_batch"] for r in results] == [1, 1, 1]


def test_guess_many_learns_the_cache_type_on_the_first_asset(tiny_llava, many_requests):
    fresh = HFGuesser(str(tiny_llava), dtype="float32", device="cpu", batch_size=16)
    assert fresh._multi_asset is None
    results = fresh.guess_many(many_requests)
    assert fresh._multi_asset is True
    assert [r.details["assets_in_batch"] for r in results] == [1, 2, 2]


def test_guess_many_masks_each_assets_prefix_padding(guesser, many_requests, many_single, monkeypatch):
    """Attending to the padded cache slots of the shorter prefixes moves P(yes) well past 1e-4."""
    original = guesser._question_inputs

    def unmasked(encoded, assets, ids):
        inputs, last = original(encoded, assets, ids)
        inputs["attention_mask"][:, : encoded.prefix["input_ids"].shape[1]] = 1
        return inputs, last

    monkeypatch.setattr(guesser, "_question_inputs", unmasked)
    results = guesser.guess_many(many_requests)
    longest = max(range(3), key=lambda i: many_single[i].details["prefix_tokens"])
    assert _max_diff(results[longest].p_yes, many_single[longest].p_yes) < TOLERANCE  # no padding there
    for i in set(range(3)) - {longest}:
        assert _max_diff(results[i].p_yes, many_single[i].p_yes) > 10 * TOLERANCE


@pytest.mark.parametrize("mix", [True, False])
def test_guess_many_mixes_videos_and_images(guesser, video_checklist, image_checklist, sample_image, mix, monkeypatch):
    """A 3-frame video, an image and a 1-frame video in one call: mixed in one prefix batch, or
    (``_mix_frame_counts`` off) grouped by frame count; the same answers either way."""
    monkeypatch.setattr(guesser, "_mix_frame_counts", mix)
    monkeypatch.setattr(guesser, "batch_size", 7)
    requests = [
        GuessRequest(MediaInput(kind="video", frames=_frames(3), times=[0.0, 1.0, 2.0]), PROMPT, video_checklist),
        GuessRequest(MediaInput(kind="image", frames=[sample_image]), "cat", image_checklist),
        GuessRequest(MediaInput(kind="video", frames=_frames(1)), "a dog on the beach", video_checklist),
        GuessRequest(MediaInput(kind="image", frames=_frames(1)), PROMPT, image_checklist),
    ]
    results = guesser.guess_many(requests)
    _assert_same(results, [guesser.guess(request) for request in requests])
    assert [len(r.p_yes) for r in results] == [64, 59, 64, 59]
    assert results[0].details["frames"] == 3 and results[0].details["frame_times"] == [0.0, 1.0, 2.0]
    assert [r.details["assets_in_batch"] for r in results] == ([4, 4, 4, 4] if mix else [1, 3, 3, 3])


def test_guess_many_fails_as_a_whole_on_bad_media(guesser, many_requests, image_checklist):
    empty = GuessRequest(MediaInput(kind="image", frames=[]), PROMPT, image_checklist)
    with pytest.raises(GuesserError, match="no image or frame"):
        guesser.guess_many([many_requests[0], empty])


# --- cascade (shared-prefix) question attention -----------------------------------------


@pytest.fixture(scope="module")
def cascade_guesser(tiny_llava) -> HFGuesser:
    return HFGuesser(str(tiny_llava), dtype="float32", device="cpu", batch_size=16, question_attention="cascade")


@pytest.mark.parametrize("count", [1, 2, 3])
@pytest.mark.parametrize("batch_size", [1, 7, 64, 128])
def test_cascade_equals_copy(cascade_guesser, many_requests, many_single, count, batch_size, monkeypatch):
    """Assets with different prompt lengths (differently padded prefixes). Question batches
    hold whole assets (59 questions each): batch 128 holds two, smaller ones split an asset."""
    assert cascade_guesser._cascade is True
    monkeypatch.setattr(cascade_guesser, "batch_size", batch_size)
    spans = []
    original = cascade_guesser._cascade_logits

    def spy(cache, encoded, inputs, last, assets):
        spans.append(len(set(assets)))
        assert assets == sorted(assets)  # grouped per asset
        return original(cache, encoded, inputs, last, assets)

    monkeypatch.setattr(cascade_guesser, "_cascade_logits", spy)
    results = cascade_guesser.guess_many(many_requests[:count])
    _assert_same(results, many_single[:count])
    assert spans and all(r.details["question_attention"] == "cascade" for r in results)
    if count > 1 and batch_size >= 118 and cascade_guesser._multi_asset:
        assert max(spans) > 1  # some batch held rows of several assets
    if batch_size < 118:
        assert max(spans) == 1
    text_config = cascade_guesser.model.config.text_config
    assert text_config._attn_implementation != "vr_cascade"  # switched for the forward only


def _plain_attention(query, key, value, keys, values, segments, lengths):
    """Textbook attention, one row at a time: its asset's prefix (true length) then its own
    question tokens, causally; grouped-query heads share a key/value head."""
    batch, heads, length, dim = query.shape
    groups = heads // key.shape[1]
    out = torch.empty(batch, length, heads, dim)
    causal = torch.ones(length, length, dtype=torch.bool).tril()
    for asset, start, stop in segments:
        width = lengths[asset]
        for row in range(start, stop):
            k = torch.cat([keys[asset, :, :width], key[row]], dim=1).repeat_interleave(groups, 0)
            v = torch.cat([values[asset, :, :width], value[row]], dim=1).repeat_interleave(groups, 0)
            scores = query[row] @ k.transpose(-1, -2) * dim**-0.5  # [heads, L, width + L]
            scores[:, :, width:] = scores[:, :, width:].masked_fill(~causal, float("-inf"))
            out[row] = (torch.softmax(scores, dim=-1) @ v).transpose(0, 1)
    return out


@pytest.mark.parametrize(
    "segments",
    [
        [(0, 0, 3), (1, 3, 6), (2, 6, 9)],  # even, consecutive assets: slices, no gather
        [(2, 0, 4), (0, 4, 5), (1, 5, 7)],  # uneven rows per asset, assets out of order
        [(1, 0, 2)],
    ],
)
@pytest.mark.parametrize("kv_heads", [4, 2])
def test_batched_cascade_equals_plain_attention(segments, kv_heads):
    """The batched prefix attention (one matmul for all assets) equals textbook attention over
    prefix + own tokens, grouped-query heads and differently padded prefixes included."""
    from worker.prefill.guessers import cascade

    torch.manual_seed(0)
    batch, heads, length, dim, width = segments[-1][2], 4, 5, 8, 11
    keys = torch.randn(3, kv_heads, width, dim)
    values = torch.randn(3, kv_heads, width, dim)
    query = torch.randn(batch, heads, length, dim)
    key = torch.randn(batch, kv_heads, length, dim)
    value = torch.randn(batch, kv_heads, length, dim)
    module = type("Layer", (), {"layer_idx": 0})()
    context = cascade.CascadeContext([(keys, values)], segments, [7, 4, 11])
    outs = [cascade._attention(module, query, key, value, None, **{cascade.KWARG: context})[0]]
    outs.append(_plain_attention(query, key, value, keys, values, segments, [7, 4, 11]))
    assert outs[0].shape == (batch, length, heads, dim)
    assert (outs[0] - outs[1]).abs().max().item() < 1e-5
    # The lengths matter: reading the full width changes the answer.
    context = cascade.CascadeContext([(keys, values)], segments, [11, 11, 11])
    wide = cascade._attention(module, query, key, value, None, **{cascade.KWARG: context})[0]
    assert (wide - outs[0]).abs().max().item() > 1e-3


def test_cascade_question_batches_hold_whole_assets(cascade_guesser, guesser, monkeypatch):
    ids = [[[1] * n for n in (3, 5, 4)], [[1] * n for n in (2, 6, 1)], [[1] * 2] * 3]
    monkeypatch.setattr(cascade_guesser, "batch_size", 7)
    batches = cascade_guesser._question_batches(ids, cascade=True)
    assert [[a for a, _ in b] for b in batches] == [[0, 0, 0, 1, 1, 1], [2, 2, 2]]
    assert [i for _, i in batches[0]] == [1, 2, 0, 1, 0, 2]  # longest first within an asset
    monkeypatch.setattr(cascade_guesser, "batch_size", 2)  # fewer rows than an asset's questions
    batches = cascade_guesser._question_batches(ids, cascade=True)
    assert [len({a for a, _ in b}) for b in batches] == [1] * 6 and sum(map(len, batches)) == 9
    monkeypatch.setattr(guesser, "batch_size", 4)
    assert [len(b) for b in guesser._question_batches(ids, cascade=False)] == [4, 4, 1]
    monkeypatch.setattr(cascade_guesser, "_cascade_whole_assets", False)  # longest first, grouped per batch
    monkeypatch.setattr(cascade_guesser, "batch_size", 4)
    batches = cascade_guesser._question_batches(ids, cascade=True)
    assert [[a for a, _ in b] for b in batches] == [[0, 0, 0, 1], [1, 2, 2, 2], [1]]


def test_cascade_sorted_batches_equal_copy(cascade_guesser, many_requests, many_single, monkeypatch):
    """Question batches spanning assets with unequal row counts (the padded batched path)."""
    monkeypatch.setattr(cascade_guesser, "_cascade_whole_assets", False)
    monkeypatch.setattr(cascade_guesser, "_multi_asset", True)
    for batch_size in (7, 64):
        monkeypatch.setattr(cascade_guesser, "batch_size", batch_size)
        _assert_same(cascade_guesser.guess_many(many_requests), many_single)


def test_auto_is_cascade_where_supported(tiny_llava, cascade_guesser):
    assert HFGuesser(str(tiny_llava), device="cpu")._cascade is True
    assert cascade_guesser.question_attention == "cascade"


def test_cascade_equals_uncached(cascade_guesser, image_request, many_requests, reference, monkeypatch):
    for batch_size in (1, 7, 64):
        monkeypatch.setattr(cascade_guesser, "batch_size", batch_size)
        assert _max_diff(cascade_guesser.guess(image_request).p_yes, reference.p_yes) < TOLERANCE
        assert _max_diff(cascade_guesser.guess_many(many_requests)[0].p_yes, reference.p_yes) < TOLERANCE


def test_cascade_masks_each_assets_prefix_padding(cascade_guesser, many_requests, many_single, monkeypatch):
    """Reading the full padded width of every prefix moves the shorter ones' answers (the
    lengths really are what keeps the padding out)."""
    from worker.prefill.guessers import cascade

    original = cascade.CascadeContext

    def full_width(layers, segments, lengths):
        return original(layers, segments, [layers[0][0].shape[2]] * len(lengths))

    monkeypatch.setattr(cascade, "CascadeContext", full_width)
    monkeypatch.setattr(cascade_guesser, "_multi_asset", True)
    results = cascade_guesser.guess_many(many_requests)
    longest = max(range(3), key=lambda i: many_single[i].details["prefix_tokens"])
    assert _max_diff(results[longest].p_yes, many_single[longest].p_yes) < TOLERANCE
    for i in set(range(3)) - {longest}:
        assert _max_diff(results[i].p_yes, many_single[i].p_yes) > 10 * TOLERANCE


def test_cascade_falls_back_to_copy_on_unsupported_models(image_request, caplog):
    """A LLaVA whose language model is Mistral: "cascade" runs the copy path, with a log line."""
    from transformers import MistralConfig

    from worker.prefill.tiny import build_model, build_processor, build_tokenizer, llava_config

    tokenizer = build_tokenizer()
    config = llava_config(tokenizer)
    text = config.text_config
    config.text_config = MistralConfig(
        vocab_size=text.vocab_size,
        hidden_size=text.hidden_size,
        intermediate_size=text.intermediate_size,
        num_hidden_layers=text.num_hidden_layers,
        num_attention_heads=text.num_attention_heads,
        num_key_value_heads=text.num_key_value_heads,
        pad_token_id=text.pad_token_id,
        sliding_window=None,
    )
    model = build_model(config)
    processor = build_processor(tokenizer, image_size=32, patch_size=8)
    with caplog.at_level("INFO", logger="worker.prefill.guessers.hf"):
        fallback = HFGuesser.from_objects(model, processor, name="mistral-llava", question_attention="cascade")
    assert fallback._cascade is False
    assert "cascade question attention not supported" in caplog.text and "MistralModel" in caplog.text
    assert HFGuesser.from_objects(model, processor, name="mistral-llava")._cascade is False  # "auto" too
    result = fallback.guess(image_request)
    assert result.details["question_attention"] == "copy"
    assert _max_diff(result.p_yes, fallback.guess_uncached(image_request).p_yes) < TOLERANCE


# --- prompts ----------------------------------------------------------------------------


def test_prompt_layout(guesser, image_request):
    prompt = guesser.build_prompt(image_request)
    assert prompt.template == "processor"
    assert prompt.prefix_text.startswith("<s>")  # the chat template writes BOS ...
    assert prompt.add_special_tokens is False  # ... so tokenizing adds none
    assert prompt.prefix_text.count("<image>") == 1
    assert prompt.prefix_text.rstrip().endswith(f"The generation prompt is: {PROMPT}.")
    first = prompt.question_texts[0]
    assert first.startswith("Is there a human body in the image?" + ANSWER_CUE)
    assert first.endswith("ASSISTANT:")  # the assistant turn starts; its first token is the answer


def test_prompt_placeholder_is_filled(guesser, video_checklist):
    request = GuessRequest(MediaInput(kind="video", frames=_frames(3)), PROMPT, video_checklist)
    prompt = guesser.build_prompt(request)
    assert len(prompt.question_texts) == 64
    assert not any("[[prompt]]" in text for text in prompt.question_texts)
    assert prompt.question_texts[0].startswith(
        f'Does the video meet all the requirements stated in the text "{PROMPT}"?{ANSWER_CUE}'
    )
    with_prompt = [q.key for q in video_checklist.questions if "[[prompt]]" in q.text]
    assert with_prompt == ["q1", "q2", "q3", "q4"]
    for key, text in zip(prompt.keys, prompt.question_texts, strict=True):
        assert (PROMPT in text) == (key in with_prompt)


def test_plain_template_without_chat_template(tmp_path, image_request):
    path = build_tiny_llava(tmp_path / "plain", seed=1, chat_template=None)
    guesser = HFGuesser(str(path), dtype="float32", device="cpu", batch_size=8)
    prompt = guesser.build_prompt(image_request)
    assert prompt.template == "plain" and prompt.add_special_tokens is True
    assert prompt.question_texts[0].endswith(ANSWER_CUE + "\nAnswer:")
    request = GuessRequest(image_request.media, PROMPT, load_builtin("visionreward-image"))
    cached = guesser.guess(request)
    assert cached.details["split_exact"] is True
    assert _max_diff(cached.p_yes, guesser.guess_uncached(request).p_yes) < TOLERANCE


# --- video ------------------------------------------------------------------------------


def test_video_frames(guesser, video_checklist):
    several = GuessRequest(MediaInput(kind="video", frames=_frames(3), times=[0.0, 1.0, 2.0]), PROMPT, video_checklist)
    one = GuessRequest(MediaInput(kind="video", frames=_frames(1)), PROMPT, video_checklist)
    result = guesser.guess(several)
    assert result.details["frames"] == 3 and result.details["frame_times"] == [0.0, 1.0, 2.0]
    assert guesser.build_prompt(several).prefix_text.count("<image>") == 3
    assert result.details["prefix_tokens"] > guesser.guess(one).details["prefix_tokens"] + 2 * 16
    assert len(result.p_yes) == 64
    assert _max_diff(result.p_yes, guesser.guess_full_batch(several).p_yes) < TOLERANCE
    assert _max_diff(result.p_yes, guesser.guess(one).p_yes) > 1e-3  # the other frames matter


def test_video_frames_are_thinned(guesser, video_checklist, monkeypatch):
    monkeypatch.setattr(guesser, "max_frames", 4)
    request = GuessRequest(
        MediaInput(kind="video", frames=_frames(10), times=[float(i) for i in range(10)]), "", video_checklist
    )
    result = guesser.guess(request)
    assert result.details["frames"] == 4
    assert result.details["frame_times"] == [0.0, 3.0, 6.0, 9.0]
    assert "The generation prompt is" not in guesser.build_prompt(request).prefix_text  # no prompt given


def test_select_frames():
    assert select_frames(3, 8) == [0, 1, 2]
    assert select_frames(24, 8) == [0, 3, 7, 10, 13, 16, 20, 23]
    assert select_frames(5, 1) == [0]
    with pytest.raises(ValueError):
        select_frames(5, 0)


# --- assets on disk -----------------------------------------------------------------------


def _processed_asset(project, sample: str, tmp_path: Path, prompt: str):
    """A ready asset made from a demo sample by the import job's own processing."""
    from annotator.models import Asset, asset_media_dir
    from worker.media import MediaLimits, process_media

    limits = MediaLimits(
        max_bytes=settings.VR_MAX_ASSET_BYTES,
        max_pixels=settings.VR_MAX_IMAGE_PIXELS,
        max_video_seconds=settings.VR_MAX_VIDEO_SECONDS,
    )
    processed = process_media(SAMPLES / sample, tmp_path / sample.replace(".", "_"), limits=limits)
    info = processed.info
    asset = Asset.objects.create(
        project=project, kind=info.kind, original_name=sample, prompt=prompt, fps=info.fps, mime_type=info.mime_type
    )
    rel = asset_media_dir(project.pk, asset.pk)
    shutil.copytree(tmp_path / sample.replace(".", "_"), Path(settings.MEDIA_ROOT) / rel)
    files = {}
    for key, value in processed.files.items():
        if isinstance(value, str):
            files[key] = f"{rel}/{value}"
        elif isinstance(value, list):
            files[key] = [{**item, "file": f"{rel}/{item['file']}"} for item in value]
        else:
            files[key] = value
    asset.files = files
    asset.save(update_fields=["files"])
    return asset


def test_media_input_from_processed_assets(db, tmp_path, guesser, video_checklist, image_checklist):
    from tests import factories as f

    video = _processed_asset(f.project(media_type="video"), "test1.mp4", tmp_path, PROMPT)
    media = media_input_from_asset(video)
    frames = video.files["frames"]
    assert media.kind == "video" and len(frames) >= 2
    assert len(media.frames) == len(frames)
    assert media.times == [frame["time"] for frame in frames]
    assert all(frame.mode == "RGB" for frame in media.frames)
    assert media.fps == video.fps
    result = guesser.guess(GuessRequest(media, video.prompt, video_checklist))
    assert len(result.p_yes) == 64 and result.details["frames"] == min(len(frames), guesser.max_frames)

    image = _processed_asset(f.project(media_type="image"), "test1.jpg", tmp_path, PROMPT)
    media = media_input_from_asset(image)
    assert media.kind == "image" and len(media.frames) == 1
    assert media.frames[0].size == (1024, 1024)
    assert len(guesser.guess(GuessRequest(media, image.prompt, image_checklist)).p_yes) == 59


def test_media_input_errors(db, tmp_path):
    from annotator.models import Asset
    from tests import factories as f
    from worker.prefill.guessers.media import media_input_from_files

    with pytest.raises(GuesserError, match="missing"):
        media_input_from_files("image", {"display": "nope.jpg"}, tmp_path)
    with pytest.raises(GuesserError, match="outside the media storage"):
        media_input_from_files("image", {"display": "../../etc/passwd"}, tmp_path)
    with pytest.raises(GuesserError, match="no sampled frames"):
        media_input_from_files("video", {"frames": []}, tmp_path)
    failed = Asset.objects.create(
        project=f.project(media_type="image"), kind="image", original_name="x.jpg", status=Asset.Status.FAILED
    )
    with pytest.raises(GuesserError, match="not ready"):
        media_input_from_asset(failed)


# --- from P(yes) to options -----------------------------------------------------------------


def test_options_respect_gating(guesser, image_request, image_checklist):
    p_yes = guesser.guess(image_request).p_yes
    source = image_checklist.sub_dimension_of("q27")  # lighting present? gates the lighting aesthetic
    gated = image_checklist.gated_by_question("q27")
    assert gated and source.not_present_option is not None

    for presence, closed in ((0.01, True), (0.99, False)):
        guessed = {**p_yes, "q27": presence}
        if closed:  # no distinct lighting either: the not-present option is clearly the most likely
            guessed.update({q.key: presence for q in source.questions})
        options = options_from_p_yes(image_checklist, guessed)
        assert options.keys() == {sub.key for sub in image_checklist.sub_dimensions}
        assert source.option(options[source.key]["option"]).not_present is closed
        for sub in gated:
            assert sub.option(options[sub.key]["option"]).not_present is closed, (sub.key, presence)
            if closed:  # not applicable, with the confidence of what closed the gate
                assert options[sub.key]["confidence"] == options[source.key]["confidence"]

    # whatever the model says, every gated sub-dimension agrees with its gate
    options = options_from_p_yes(image_checklist, p_yes)
    for sub in image_checklist.sub_dimensions:
        if sub.gated_by is not None:
            gate = image_checklist.sub_dimension_of(sub.gated_by)
            gate_closed = gate.option(options[gate.key]["option"]).not_present
            assert sub.option(options[sub.key]["option"]).not_present is gate_closed


# --- loading ----------------------------------------------------------------------------


def test_version_is_stable(guesser, tiny_llava, tmp_path):
    again = HFGuesser(str(tiny_llava), dtype="float32", device="cpu")
    assert again.version == guesser.version
    assert again.name == "tiny-llava"
    assert again.version.startswith(f"{tiny_llava}@default#")
    other = build_tiny_llava(tmp_path / "other", seed=0, hidden=32)
    assert HFGuesser(str(other), device="cpu").version.split("#")[1] != guesser.version.split("#")[1]
    named = HFGuesser(str(tiny_llava), device="cpu", name="my-model", revision="v2")
    assert named.name == "my-model" and "@v2#" in named.version


def test_model_without_yes_no_tokens(tmp_path):
    path = build_tiny_llava(tmp_path / "no-answers", answer_words=False)
    with pytest.raises(GuesserError, match=r"no single token for 'yes' or 'no'"):
        HFGuesser(str(path), device="cpu")


def test_bad_sources(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(GuesserError, match=f"model path {missing} does not exist"):
        HFGuesser(str(missing))
    with pytest.raises(GuesserError, match=f"model path {tmp_path} has no config.json"):
        HFGuesser(str(tmp_path))
    with pytest.raises(GuesserError, match="not in the local Hugging Face cache"):
        HFGuesser("nobody-here/not-a-cached-model")


def test_bad_settings(tiny_llava):
    with pytest.raises(GuesserError, match="unknown dtype"):
        HFGuesser(str(tiny_llava), dtype="int3")
    with pytest.raises(GuesserError, match="batch_size"):
        HFGuesser(str(tiny_llava), device="cpu", batch_size=0)
    with pytest.raises(GuesserError, match="assets_per_batch"):
        HFGuesser(str(tiny_llava), device="cpu", assets_per_batch=0)
    with pytest.raises(GuesserError, match="question_attention"):
        HFGuesser(str(tiny_llava), device="cpu", question_attention="shared")
    if not torch.cuda.is_available():
        with pytest.raises(GuesserError, match="CUDA is not available"):
            HFGuesser(str(tiny_llava), device="cuda")


# --- streamed (CPU preparation overlapped with the model) ----------------------------------


@pytest.mark.parametrize("which", ["guesser", "cascade_guesser"])
def test_guess_stream_equals_guess_many(which, request, many_requests, many_single, monkeypatch):
    import threading

    streamer = request.getfixturevalue(which)
    monkeypatch.setattr(streamer, "batch_size", 64)
    threads = []
    original = streamer._encode_many

    def spy(prompts, *args, **kwargs):
        threads.append(threading.current_thread().name)
        return original(prompts, *args, **kwargs)

    monkeypatch.setattr(streamer, "_encode_many", spy)
    requests = [*many_requests, many_requests[1], many_requests[0]]
    results = list(streamer.guess_stream(iter(requests), assets_per_batch=2))  # any iterable
    _assert_same(results, [*many_single, many_single[1], many_single[0]])
    assert [r.details["assets_in_batch"] for r in results] == [2, 2, 2, 2, 1]
    assert threads and all(name.startswith("vr-prepare") for name in threads)  # prepared off the main thread
    assert list(streamer.guess_stream([])) == []


def test_guess_stream_learns_the_cache_type_first(tiny_llava, many_requests, many_single):
    fresh = HFGuesser(str(tiny_llava), dtype="float32", device="cpu", batch_size=16, question_attention="copy")
    results = list(fresh.guess_stream(many_requests * 2, assets_per_batch=2))
    assert fresh._multi_asset is True
    _assert_same(results, many_single * 2)


def test_guess_chunks_reports_a_failed_chunk_and_goes_on(guesser, many_requests, many_single, image_checklist):
    empty = GuessRequest(MediaInput(kind="image", frames=[]), PROMPT, image_checklist)
    items = [("a", many_requests[:2]), ("b", [many_requests[0], empty]), ("c", []), ("d", many_requests[2:])]
    out = list(guesser.guess_chunks(items))
    assert [tag for tag, _ in out] == ["a", "b", "c", "d"]
    _assert_same(out[0][1], many_single[:2])
    assert isinstance(out[1][1], GuesserError) and "no image or frame" in str(out[1][1])
    assert out[2][1] == []
    _assert_same(out[3][1], many_single[2:])
    with pytest.raises(GuesserError, match="no image or frame"):
        list(guesser.guess_stream([many_requests[0], empty]))
