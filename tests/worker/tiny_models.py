"""Tiny random-weight models of every vision-language architecture the platform supports, built
offline in code and saved like Hub checkpoints (test helper, no test here).

Each entry of :data:`ARCHITECTURES` is a :class:`TinyArchitecture`: its row name in the
supported-models table of ``docs/prefill-models.md``, a ``build(path)`` that writes the model
(random weights, ``save_pretrained``), its tokenizer (a word-level vocabulary from the builtin
checklists, ``worker/prefill/tiny.py``, plus the architecture's own special tokens), its processor and a
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
from worker.prefill.tiny import ANSWER_WORDS, CHAT_TEMPLATE, EXTRA_WORDS, build_tiny_llava, checklist_words

INIT = 0.2  # large random weights: P(yes) spread over [0, 1] and differ per question and image
# Words the architectures' chat templates write (unknown words would all read as <unk>).
TEMPLATE_WORDS = "user model assistant system User Assistant image Image".split()


@dataclass(frozen=True)
class TinyArchitecture:
    name: str  # the table's row name, e.g. "Qwen2-VL"
    build: Callable[[Path], Path]  # writes the saved model folder at path, returns it
    video: bool  # whether the model takes video (the table then has a video column for it)
    family: str = ""  # the transformers model type, for the table
    # how the platform loads it (default: HFGuesser on the folder, as a pre-fill job does)
    load: Callable[[Path], object] | None = None
    how: str = ""  # the table's "how" column, where the guesser's details do not say it
    own_video: str = ""  # the table's "own video path" column, where architectures.py has no entry


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
        vision.update(
            hidden_size=32, intermediate_size=64, out_hidden_size=48, window_size=32, fullatt_block_indexes=[0]
        )
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


def _llama(tokenizer, *, hidden=48, layers=2, heads=4, kv_heads=2, config_class=None, **extra):
    from transformers import LlamaConfig

    return (config_class or LlamaConfig)(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        max_position_embeddings=4096,
        initializer_range=INIT,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        **extra,
    )


def _qwen2(tokenizer, **extra):
    from transformers import Qwen2Config

    return _llama(tokenizer, config_class=Qwen2Config, **extra)


def _siglip(*, image_size=32, patch_size=8, hidden=32):
    from transformers import SiglipVisionConfig

    return SiglipVisionConfig(
        image_size=image_size,
        patch_size=patch_size,
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=1,
        num_attention_heads=2,
        initializer_range=INIT,
    )


def _clip(*, image_size=32, patch_size=8, hidden=32):
    from transformers import CLIPVisionConfig

    return CLIPVisionConfig(
        image_size=image_size,
        patch_size=patch_size,
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=2,
        num_attention_heads=2,
        projection_dim=hidden,
        initializer_range=INIT,
    )


def _blocks_template(*, bos="{{ bos_token }}", user="USER: ", assistant="ASSISTANT:", image="<image>", end="\n"):
    """A chat template of content blocks: ``user`` + images/texts + ``end``, then ``assistant``."""
    return (
        bos + "{%- for message in messages -%}"
        "{%- if message['role'] == 'user' -%}" + user + "{%- else -%}" + assistant + "{%- endif -%}"
        "{%- if message['content'] is string -%}{{ message['content'] }}"
        "{%- else -%}{%- for item in message['content'] -%}"
        "{%- if item['type'] == 'image' -%}" + image + ""
        "{%- elif item['type'] == 'text' -%}{{ item['text'] }}{%- endif -%}"
        "{%- endfor -%}{%- endif -%}" + end + "{%- endfor -%}"
        "{%- if add_generation_prompt -%}" + assistant + "{%- endif -%}"
    )


def build_gemma3(path: Path, *, seed: int = 0) -> Path:
    """Gemma 3: SigLIP, 4 pooled image tokens between <start_of_image>/<end_of_image>, a Gemma 3
    decoder with a sliding-window layer and a global one (the cache is not plain: one asset per
    prefix batch)."""
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration, Gemma3Processor, Gemma3TextConfig
    from transformers.models.gemma3.image_processing_pil_gemma3 import Gemma3ImageProcessorPil

    named = {"boi_token": "<start_of_image>", "eoi_token": "<end_of_image>", "image_token": "<image_soft_token>"}
    tokenizer = word_tokenizer(["<start_of_turn>", "<end_of_turn>"], named=named)
    ids = {key: tokenizer.convert_tokens_to_ids(token) for key, token in named.items()}
    text = Gemma3TextConfig(
        vocab_size=len(tokenizer),
        hidden_size=48,
        intermediate_size=96,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=12,
        query_pre_attn_scalar=12,
        sliding_window=512,
        layer_types=["sliding_attention", "full_attention"],
        initializer_range=INIT,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    config = Gemma3Config(
        text_config=text.to_dict(),
        vision_config=_siglip().to_dict(),
        mm_tokens_per_image=4,
        boi_token_index=ids["boi_token"],
        eoi_token_index=ids["eoi_token"],
        image_token_index=ids["image_token"],
        initializer_range=INIT,
    )
    model = _seeded(Gemma3ForConditionalGeneration, config, seed)
    template = _blocks_template(
        user="<start_of_turn>user\n",
        assistant="<start_of_turn>model\n",
        image="<start_of_image>",
        end="<end_of_turn>\n",
    )
    processor = Gemma3Processor(
        image_processor=Gemma3ImageProcessorPil(size={"height": 32, "width": 32}),
        tokenizer=tokenizer,
        chat_template=template,
        image_seq_length=4,
    )
    return _save(path, model, processor)


def build_paligemma(path: Path, *, seed: int = 0) -> Path:
    """PaliGemma: SigLIP (16 image tokens), a Gemma decoder; no chat template (the plain prompt);
    its image + text prefix attends bidirectionally."""
    from transformers import GemmaConfig, PaliGemmaConfig, PaliGemmaForConditionalGeneration, PaliGemmaProcessor
    from transformers.models.siglip.image_processing_pil_siglip import SiglipImageProcessorPil

    tokenizer = word_tokenizer([], named={"image_token": "<image>"})
    text = GemmaConfig(
        vocab_size=len(tokenizer),
        hidden_size=48,
        intermediate_size=96,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=12,
        initializer_range=INIT,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    config = PaliGemmaConfig(
        vision_config=_siglip().to_dict(),
        text_config=text.to_dict(),
        image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
        projection_dim=48,
        hidden_size=48,
        vocab_size=len(tokenizer),
    )
    config.vision_config.projection_dim = 48
    model = _seeded(PaliGemmaForConditionalGeneration, config, seed)
    image_processor = SiglipImageProcessorPil(size={"height": 32, "width": 32}, image_seq_length=16)
    processor = PaliGemmaProcessor(image_processor=image_processor, tokenizer=tokenizer)
    return _save(path, model, processor)


IDEFICS_SPECIALS = ["<fake_token_around_image>", "<image>", "<end_of_utterance>", "<global-img>"]
IDEFICS_TEMPLATE = _blocks_template(user="User:", assistant="Assistant:", end="<end_of_utterance>\n")


def _idefics_layout(seed: int, vision_class, config_class, model_class, image_processor_class):
    """Idefics3's layout, which SmolVLM shares: a SigLIP-like tower (4 tokens per image after
    pixel shuffle) and a Llama; images not split into tiles. Returns (model, image processor,
    tokenizer)."""
    tokenizer = word_tokenizer(IDEFICS_SPECIALS, named={"image_token": "<image>"})
    vision = vision_class(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        image_size=32,
        patch_size=8,
        initializer_range=INIT,
    )
    config = config_class(
        vision_config=vision.to_dict(),
        text_config=_llama(tokenizer).to_dict(),
        scale_factor=2,
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
    )
    model = _seeded(model_class, config, seed)
    image_processor = image_processor_class(
        do_image_splitting=False, size={"longest_edge": 32}, max_image_size={"longest_edge": 32}
    )
    return model, image_processor, tokenizer


def build_idefics3(path: Path, *, seed: int = 0) -> Path:
    """Idefics3 (see ``_idefics_layout``)."""
    from transformers import Idefics3Config, Idefics3ForConditionalGeneration, Idefics3Processor
    from transformers.models.idefics3.configuration_idefics3 import Idefics3VisionConfig
    from transformers.models.idefics3.image_processing_pil_idefics3 import Idefics3ImageProcessorPil

    model, image_processor, tokenizer = _idefics_layout(
        seed, Idefics3VisionConfig, Idefics3Config, Idefics3ForConditionalGeneration, Idefics3ImageProcessorPil
    )
    processor = Idefics3Processor(
        image_processor=image_processor, tokenizer=tokenizer, image_seq_len=4, chat_template=IDEFICS_TEMPLATE
    )
    return _save(path, model, processor)


def build_smolvlm(path: Path, *, seed: int = 0) -> Path:
    """SmolVLM: Idefics3's layout with a video processor (torchvision) and num2words."""
    from transformers import SmolVLMConfig, SmolVLMForConditionalGeneration, SmolVLMProcessor
    from transformers.models.smolvlm.configuration_smolvlm import SmolVLMVisionConfig
    from transformers.models.smolvlm.image_processing_pil_smolvlm import SmolVLMImageProcessorPil

    model, image_processor, tokenizer = _idefics_layout(
        seed, SmolVLMVisionConfig, SmolVLMConfig, SmolVLMForConditionalGeneration, SmolVLMImageProcessorPil
    )
    processor = processor_without_video(SmolVLMProcessor)(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=None,
        image_seq_len=4,
        chat_template=IDEFICS_TEMPLATE,
    )
    video = {
        "video_processor_type": "SmolVLMVideoProcessor",
        "size": {"longest_edge": 32},
        "max_image_size": {"longest_edge": 32},
        "num_frames": 8,
        "fps": 1,
    }
    return _save(path, model, processor, video_processor=video, settings={"image_seq_len": 4})


def build_mllama(path: Path, *, seed: int = 0) -> Path:
    """Mllama (Llama 3.2 Vision): one tile per image, a cross-attention layer reading the image
    features from the text decoder."""
    from transformers import MllamaConfig, MllamaForConditionalGeneration, MllamaProcessor
    from transformers.models.mllama.configuration_mllama import MllamaTextConfig, MllamaVisionConfig
    from transformers.models.mllama.image_processing_pil_mllama import MllamaImageProcessorPil

    tokenizer = word_tokenizer(["<|python_tag|>"], named={"image_token": "<|image|>"})
    vision = MllamaVisionConfig(
        hidden_size=32,
        num_hidden_layers=2,
        num_global_layers=1,
        attention_heads=2,
        intermediate_size=64,
        vision_output_dim=64,
        image_size=32,
        patch_size=8,
        max_num_tiles=2,
        intermediate_layers_indices=[0],
        supported_aspect_ratios=[[1, 1], [1, 2], [2, 1]],
        initializer_range=INIT,
    )
    text = MllamaTextConfig(
        vocab_size=len(tokenizer) + 8,
        hidden_size=48,
        intermediate_size=96,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        cross_attention_layers=[1],
        initializer_range=INIT,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    config = MllamaConfig(
        vision_config=vision.to_dict(),
        text_config=text.to_dict(),
        image_token_index=tokenizer.convert_tokens_to_ids("<|image|>"),
    )
    model = _seeded(MllamaForConditionalGeneration, config, seed)
    image_processor = MllamaImageProcessorPil(size={"height": 32, "width": 32}, max_image_tiles=2)
    template = _blocks_template(image="<|image|>")
    processor = MllamaProcessor(image_processor=image_processor, tokenizer=tokenizer, chat_template=template)
    return _save(path, model, processor)


def build_llava_onevision(path: Path, *, seed: int = 0) -> Path:
    """LLaVA-OneVision: SigLIP with anyres tiles (one 32 px grid), a Qwen2 decoder, ChatML-style
    template; its video processor needs torchvision."""
    from transformers import LlavaOnevisionConfig, LlavaOnevisionForConditionalGeneration, LlavaOnevisionProcessor
    from transformers.models.llava_onevision.image_processing_pil_llava_onevision import (
        LlavaOnevisionImageProcessorPil,
    )

    tokenizer = word_tokenizer(
        ["<|im_start|>", "<|im_end|>"], named={"image_token": "<image>", "video_token": "<video>"}, bos=None
    )
    config = LlavaOnevisionConfig(
        vision_config=_siglip().to_dict(),
        text_config=_qwen2(tokenizer).to_dict(),
        image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
        video_token_index=tokenizer.convert_tokens_to_ids("<video>"),
        image_grid_pinpoints=[[32, 32], [32, 64], [64, 32]],
        vision_feature_select_strategy="full",
        vision_feature_layer=-1,
    )
    model = _seeded(LlavaOnevisionForConditionalGeneration, config, seed)
    image_processor = LlavaOnevisionImageProcessorPil(
        size={"height": 32, "width": 32}, image_grid_pinpoints=[[32, 32], [32, 64], [64, 32]]
    )
    template = _blocks_template(
        bos="", user="<|im_start|>user\n", assistant="<|im_start|>assistant\n", end="<|im_end|>\n"
    )
    processor = processor_without_video(LlavaOnevisionProcessor)(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=None,
        num_image_tokens=16,
        vision_feature_select_strategy="full",
        chat_template=template,
    )
    video = {"video_processor_type": "LlavaOnevisionVideoProcessor", "size": {"height": 32, "width": 32}}
    settings = {"num_image_tokens": 16, "vision_feature_select_strategy": "full", "vision_aspect_ratio": "anyres_max_9"}
    return _save(path, model, processor, video_processor=video, settings=settings)


def build_llava_next_video(path: Path, *, seed: int = 0) -> Path:
    """LLaVA-NeXT-Video: CLIP with anyres tiles, a Llama; its video processor needs torchvision."""
    from transformers import LlavaNextVideoConfig, LlavaNextVideoForConditionalGeneration, LlavaNextVideoProcessor
    from transformers.models.llava_next.image_processing_pil_llava_next import LlavaNextImageProcessorPil

    tokenizer = word_tokenizer([], named={"image_token": "<image>", "video_token": "<video>"})
    pinpoints = [[32, 32], [32, 64], [64, 32]]
    config = LlavaNextVideoConfig(
        vision_config=_clip().to_dict(),
        text_config=_llama(tokenizer).to_dict(),
        image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
        video_token_index=tokenizer.convert_tokens_to_ids("<video>"),
        image_grid_pinpoints=pinpoints,
        vision_feature_select_strategy="default",
        vision_feature_layer=-1,
        image_seq_length=16,
        video_seq_length=4,
    )
    model = _seeded(LlavaNextVideoForConditionalGeneration, config, seed)
    image_processor = LlavaNextImageProcessorPil(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}, image_grid_pinpoints=pinpoints
    )
    processor = processor_without_video(LlavaNextVideoProcessor)(
        video_processor=None,
        image_processor=image_processor,
        tokenizer=tokenizer,
        chat_template=CHAT_TEMPLATE,
        patch_size=8,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,
    )
    video = {"video_processor_type": "LlavaNextVideoVideoProcessor", "size": {"shortest_edge": 32}}
    settings = {"patch_size": 8, "vision_feature_select_strategy": "default", "num_additional_image_tokens": 1}
    return _save(path, model, processor, video_processor=video, settings=settings)


def build_internvl(path: Path, *, seed: int = 0) -> Path:
    """InternVL (3.x, the transformers port): InternViT, pixel shuffle to 4 tokens per image
    between <img>/</img>, a Qwen2 decoder; its video processor needs torchvision."""
    from transformers import InternVLConfig, InternVLForConditionalGeneration, InternVLProcessor
    from transformers.models.got_ocr2.image_processing_pil_got_ocr2 import GotOcr2ImageProcessorPil
    from transformers.models.internvl.configuration_internvl import InternVLVisionConfig

    named = {
        "start_image_token": "<img>",
        "end_image_token": "</img>",
        "context_image_token": "<IMG_CONTEXT>",
        "video_token": "<video>",
    }
    tokenizer = word_tokenizer(["<|im_start|>", "<|im_end|>"], named=named, bos=None)
    vision = InternVLVisionConfig(
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        image_size=[32, 32],
        patch_size=[8, 8],
        initializer_range=INIT,
    )
    config = InternVLConfig(
        vision_config=vision.to_dict(),
        text_config=_qwen2(tokenizer).to_dict(),
        image_token_id=tokenizer.convert_tokens_to_ids("<IMG_CONTEXT>"),
        image_seq_length=4,
        downsample_ratio=0.5,
    )
    model = _seeded(InternVLForConditionalGeneration, config, seed)
    image_processor = GotOcr2ImageProcessorPil(size={"height": 32, "width": 32}, crop_to_patches=False)
    template = _blocks_template(
        bos="",
        user="<|im_start|>user\n",
        assistant="<|im_start|>assistant\n",
        image="<IMG_CONTEXT>\n",
        end="<|im_end|>\n",
    )
    processor = processor_without_video(InternVLProcessor)(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=None,
        image_seq_length=4,
        chat_template=template,
    )
    video = {"video_processor_type": "InternVLVideoProcessor", "size": {"height": 32, "width": 32}}
    return _save(path, model, processor, video_processor=video, settings={"image_seq_length": 4})


ARCHITECTURES: dict[str, TinyArchitecture] = {
    arch.name: arch
    for arch in [
        TinyArchitecture("LLaVA-1.5", lambda path: build_tiny_llava(path, seed=0), video=True, family="llava"),
        TinyArchitecture("Qwen2-VL", build_qwen2_vl, video=True, family="qwen2_vl"),
        TinyArchitecture("Qwen2.5-VL", build_qwen2_5_vl, video=True, family="qwen2_5_vl"),
        TinyArchitecture("Qwen3-VL", build_qwen3_vl, video=True, family="qwen3_vl"),
        TinyArchitecture("Gemma 3", build_gemma3, video=True, family="gemma3"),
        TinyArchitecture("Idefics3", build_idefics3, video=True, family="idefics3"),
        TinyArchitecture("Mllama", build_mllama, video=True, family="mllama"),
        TinyArchitecture("LLaVA-OneVision", build_llava_onevision, video=True, family="llava_onevision"),
        TinyArchitecture("LLaVA-NeXT-Video", build_llava_next_video, video=True, family="llava_next_video"),
        TinyArchitecture("InternVL", build_internvl, video=True, family="internvl"),
        TinyArchitecture("SmolVLM", build_smolvlm, video=True, family="smolvlm"),
        TinyArchitecture("PaliGemma", build_paligemma, video=True, family="paligemma"),
        TinyArchitecture(
            "VisionReward-Video (CogVLM2-Video)",
            lambda path: _tiny_cogvlm(path, video=True),
            video=True,
            family="cogvlm2-video, remote code",
            load=lambda path: _cogvlm_guesser(path),
            how="CogVLMGuesser: shared-prefix cache; the model's own `build_conversation_input_ids` (remote code)",
            own_video="uint8 video tensor, one frame per second, at most 24, with time stamps (used)",
        ),
        TinyArchitecture(
            "VisionReward-Image (CogVLM2, converted from SAT)",
            lambda path: _tiny_cogvlm(path, video=False),
            video=False,
            family="cogvlm2, remote code",
            load=lambda path: _cogvlm_guesser(path, template_version="vqa"),
            how="CogVLMGuesser: shared-prefix cache; the model's own `build_conversation_input_ids` (remote code)",
            own_video="—",
        ),
    ]
}


def _tiny_cogvlm(path: Path, *, video: bool) -> Path:
    from .tiny_cogvlm import build_tiny_cogvlm

    return build_tiny_cogvlm(path, video=video)


def _cogvlm_guesser(path: Path, **options):
    from worker.prefill.guessers.cogvlm import CogVLMGuesser

    return CogVLMGuesser(str(path), trust_remote_code=True, device="cpu", dtype="float32", batch_size=16, **options)
