"""Tiny random-weight models of every vision-language architecture the platform supports, built
offline in code and saved like Hub checkpoints (test helper, no test here).

Each entry of :data:`ARCHITECTURES` is a :class:`TinyArchitecture`: its row name in the
supported-models table of ``docs/prefill-models.md``, a ``build(path)`` that writes the model
(random weights, ``save_pretrained``), its tokenizer (a word-level vocabulary from the builtin
checklists, ``tiny_vlm.py``, plus the architecture's own special tokens), its processor and a
small chat template shaped like the real one, and whether the model takes video. Where the real
checkpoint ships a video processor (``video_preprocessor_config.json``), so does the tiny one:
loading it then meets what loading the real one meets (the video processors of transformers 5
need torchvision). ``HFGuesser(path)`` loads each folder by the same code as a downloaded model.

Adding a row to the table (``tests/worker/test_architectures.py``) is adding an entry here.
Sizes are tiny (hidden 32-64, 1-2 layers, images of 16-64 px): the whole table runs in well
under a minute on two CPU cores.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from worker.prefill.guessers.processors import processor_without_video
from tests.worker.tiny_vlm import ANSWER_WORDS, EXTRA_WORDS, build_tiny_llava, checklist_words

INIT = 0.2  # large random weights: P(yes) spread over [0, 1] and differ per question and image
# Words the architectures' chat templates write (unknown words would all read as <unk>).
TEMPLATE_WORDS = "user model assistant system User Assistant image Image".split()


@dataclass(frozen=True)
class TinyArchitecture:
    name: str  # the table's row name, e.g. "Qwen2-VL"
    build: Callable[[Path], Path]  # writes the saved model folder at path, returns it
    video: bool  # whether the model takes video (the table then has a video column for it)
    family: str = ""  # the transformers model type, for the table


def word_tokenizer(specials: list[str], *, named: dict[str, str] | None = None, bos: str | None = "<s>"):
    """A ``PreTrainedTokenizerFast`` over the checklists' words with the architecture's special
    tokens (``named``: attributes such as ``image_token`` the processors read off the tokenizer).
    ``bos`` is prepended by the post-processor (``None``: nothing is)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    base = ["<unk>", "<pad>", "<s>", "</s>"]
    words: dict[str, None] = dict.fromkeys(base)
    for word in [*checklist_words(), *EXTRA_WORDS, *TEMPLATE_WORDS, *ANSWER_WORDS, *".,:;!?\"'()-[]"]:
        words.setdefault(word, None)
    vocab = {word: index for index, word in enumerate(words)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    if bos is not None:
        tok.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A", pair=f"{bos} $A {bos} $B", special_tokens=[(bos, vocab[bos])]
        )
    named = dict(named or {})
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="<unk>",
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        extra_special_tokens=named,
        padding_side="right",
    )
    extra = [token for token in dict.fromkeys([*specials, *named.values()]) if token not in vocab]
    tokenizer.add_special_tokens({"additional_special_tokens": extra})
    return tokenizer


def _seeded(model_class, config, seed: int):
    torch.manual_seed(seed)
    return model_class(config).to(torch.float32).eval()


def _save(path: Path, model, processor, *, video_processor: dict | None = None, settings: dict | None = None) -> Path:
    """Save like a Hub checkpoint. A processor with a video processor is saved as its parts (the
    tokenizer, the image processor, ``processor_config.json`` with ``settings``, the chat
    template) plus ``video_processor``, the ``video_preprocessor_config.json`` the real checkpoint
    ships, written as is: its class needs torchvision, absent here."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    if video_processor is None:
        processor.save_pretrained(path)
        return path
    processor.tokenizer.save_pretrained(path)
    processor.image_processor.save_pretrained(path)
    config = {"processor_class": type(processor).__name__, **(settings or {})}
    (path / "processor_config.json").write_text(json.dumps(config, indent=2))
    if processor.chat_template:
        (path / "chat_template.jinja").write_text(processor.chat_template)
    (path / "video_preprocessor_config.json").write_text(json.dumps(video_processor, indent=2))
    return path


# --- chat templates shaped like the real ones (content blocks: image, video, text) ----------

CHATML_TEMPLATE = (
    "{%- for message in messages -%}<|im_start|>{{ message['role'] }}\n"
    "{%- if message['content'] is string -%}{{ message['content'] }}"
    "{%- else -%}{%- for item in message['content'] -%}"
    "{%- if item['type'] == 'image' -%}<|vision_start|><|image_pad|><|vision_end|>"
    "{%- elif item['type'] == 'video' -%}<|vision_start|><|video_pad|><|vision_end|>"
    "{%- elif item['type'] == 'text' -%}{{ item['text'] }}{%- endif -%}"
    "{%- endfor -%}{%- endif -%}<|im_end|>\n"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}<|im_start|>assistant\n{%- endif -%}"
)
QWEN_SPECIALS = ["<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>"]


def _qwen_tokenizer():
    tokenizer = word_tokenizer(
        QWEN_SPECIALS, named={"image_token": "<|image_pad|>", "video_token": "<|video_pad|>"}, bos=None
    )
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in QWEN_SPECIALS}
    return tokenizer, ids


def _qwen_text(model_type_config, tokenizer, *, hidden=48, heads=4, kv_heads=2, layers=2, **extra):
    head_dim = hidden // heads
    half = head_dim // 2
    section = [half - 2 * (half // 3), half // 3, half // 3]
    return model_type_config(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        max_position_embeddings=4096,
        initializer_range=INIT,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0, "mrope_section": section, **extra},
        pad_token_id=tokenizer.pad_token_id,
    )


def _qwen_image_processor(patch: int, merge: int, temporal: int = 2):
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    unit = patch * merge
    return Qwen2VLImageProcessorPil(
        size={"shortest_edge": unit * unit, "longest_edge": (2 * unit) ** 2},
        patch_size=patch,
        merge_size=merge,
        temporal_patch_size=temporal,
    )


def _qwen_video_config(kind: str, patch: int, merge: int) -> dict:
    unit = patch * merge
    return {
        "video_processor_type": kind,
        "patch_size": patch,
        "merge_size": merge,
        "temporal_patch_size": 2,
        "size": {"shortest_edge": unit * unit, "longest_edge": (2 * unit) ** 2},
    }


def _build_qwen(path: Path, seed: int, family: str) -> Path:
    """Qwen2-VL, Qwen2.5-VL or Qwen3-VL: a ViT over 8 px patches merged 2x2, a Qwen decoder with
    multimodal RoPE, the Qwen2-VL image processor, ChatML; their video processors need torchvision."""
    import transformers

    patch, merge = 8, 2
    tokenizer, ids = _qwen_tokenizer()
    prefix = {"qwen2_vl": "Qwen2VL", "qwen2_5_vl": "Qwen2_5_VL", "qwen3_vl": "Qwen3VL"}[family]
    module = getattr(transformers.models, family)
    config_module = getattr(module, f"configuration_{family}")
    vision = {"depth": 1, "num_heads": 2, "patch_size": patch, "spatial_merge_size": merge, "initializer_range": INIT}
    text_extra = {}
    if family == "qwen2_vl":
        vision.update(embed_dim=32, hidden_size=48)
    elif family == "qwen2_5_vl":
        vision.update(hidden_size=32, intermediate_size=64, out_hidden_size=48, window_size=32, fullatt_block_indexes=[0])
    else:
        vision.update(hidden_size=32, intermediate_size=64, out_hidden_size=48, num_position_embeddings=64)
        vision.update(deepstack_visual_indexes=[0])
        text_extra = {"mrope_interleaved": True}
    text = _qwen_text(getattr(config_module, f"{prefix}TextConfig"), tokenizer, **text_extra)
    if family == "qwen3_vl":
        text.head_dim = text.hidden_size // text.num_attention_heads
    config = getattr(transformers, f"{prefix}Config")(
        text_config=text.to_dict(),
        vision_config=getattr(config_module, f"{prefix}VisionConfig")(**vision).to_dict(),
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        initializer_range=INIT,
    )
    model = _seeded(getattr(transformers, f"{prefix}ForConditionalGeneration"), config, seed)
    processor_class = getattr(transformers, f"{prefix}Processor")
    processor = processor_without_video(processor_class)(
        image_processor=_qwen_image_processor(patch, merge), tokenizer=tokenizer, chat_template=CHATML_TEMPLATE
    )
    video_class = "Qwen3VLVideoProcessor" if family == "qwen3_vl" else "Qwen2VLVideoProcessor"
    return _save(path, model, processor, video_processor=_qwen_video_config(video_class, patch, merge))


def build_qwen2_vl(path: Path, *, seed: int = 0) -> Path:
    return _build_qwen(path, seed, "qwen2_vl")


def build_qwen2_5_vl(path: Path, *, seed: int = 0) -> Path:
    return _build_qwen(path, seed, "qwen2_5_vl")


def build_qwen3_vl(path: Path, *, seed: int = 0) -> Path:
    return _build_qwen(path, seed, "qwen3_vl")


ARCHITECTURES: dict[str, TinyArchitecture] = {
    arch.name: arch
    for arch in [
        TinyArchitecture("LLaVA-1.5", lambda path: build_tiny_llava(path, seed=0), video=True, family="llava"),
        TinyArchitecture("Qwen2-VL", build_qwen2_vl, video=True, family="qwen2_vl"),
        TinyArchitecture("Qwen2.5-VL", build_qwen2_5_vl, video=True, family="qwen2_5_vl"),
        TinyArchitecture("Qwen3-VL", build_qwen3_vl, video=True, family="qwen3_vl"),
    ]
}
