"""A tiny but real LLaVA, made in code and saved like a Hub checkpoint: the demo's offline model
(``load_demo``) and the tests' and the bench's model, from this one builder.

``build_tiny_llava(path)`` writes a random-weight ``LlavaForConditionalGeneration`` (a small CLIP
vision tower and a small Llama), a word-level tokenizer built from the builtin checklists' words
(``<image>`` is a special token; yes/no in three cases are words), a CLIP image processor and a
``LlavaProcessor`` with a small chat template, all through ``save_pretrained``: so
``HFGuesser(str(path))`` loads it by the same code path as a downloaded model. Nothing is
downloaded. ``ensure_tiny_llava(path)`` builds it once (a folder left half-written is rebuilt).
Its guesses are random (random weights): it shows how pre-fill works, not what a trained
model would answer. The bench (``bench/prefill_speed.py``) builds bigger variants with the same
code.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

SPECIAL_TOKENS = ["<unk>", "<pad>", "<s>", "</s>", "<image>"]
IMAGE_TOKEN = "<image>"
ANSWER_WORDS = ["yes", "Yes", "YES", "no", "No", "NO"]
# Words of the prompts the guesser builds and of the chat template, plus a few prompt words.
EXTRA_WORDS = """
USER ASSISTANT SYSTEM Answer answer Question question The generation prompt is was a an the of and or with in on
You are checking AI generated AI-generated image video frames frame these This These one each about it its
look Look at checklist yes no sampled order time sunset cat dog sofa beach city street red blue green
person people man woman playing running sitting under over tree house car photo painting of
""".split()
# A LLaVA-1.5-style template: "USER: <image>\n... ASSISTANT:" (content blocks or plain strings).
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'user' -%}USER: "
    "{%- elif message['role'] == 'assistant' -%}ASSISTANT: "
    "{%- else -%}SYSTEM: {%- endif -%}"
    "{%- if message['content'] is string -%}{{ message['content'] }}"
    "{%- else -%}{%- for item in message['content'] -%}"
    "{%- if item['type'] == 'image' -%}<image>\n"
    "{%- elif item['type'] == 'text' -%}{{ item['text'] }}{%- endif -%}"
    "{%- endfor -%}{%- endif -%}\n"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}ASSISTANT:{%- endif -%}"
)


def checklist_words() -> list[str]:
    """Every word and punctuation mark of the builtin checklists' questions, in a stable order."""
    from annotator.checklist import BUILTIN_FILES, load_builtin

    words: dict[str, None] = {}
    for key in sorted(BUILTIN_FILES):
        for question in load_builtin(key).questions:
            for word in re.findall(r"\w+|[^\w\s]", question.text):
                words[word] = None
    return list(words)


def build_tokenizer(*, answer_words: bool = True, vocab_size: int | None = None):
    """A ``PreTrainedTokenizerFast`` over a word-level vocabulary (unknown words → ``<unk>``).

    ``answer_words=False`` leaves yes/no out of the vocabulary (a model P(yes) cannot be read
    from); ``vocab_size`` pads the vocabulary with filler words up to that size.
    """
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    words: dict[str, None] = dict.fromkeys(SPECIAL_TOKENS)
    for word in [*checklist_words(), *EXTRA_WORDS, *ANSWER_WORDS, *".,:;!?\"'()-[]"]:
        if answer_words or word.lower() not in {"yes", "no"}:
            words.setdefault(word, None)
    if vocab_size is not None:
        for i in range(len(words), vocab_size):
            words[f"w{i}"] = None
    vocab = {word: index for index, word in enumerate(words)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", vocab["<s>"])]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="<unk>",
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        extra_special_tokens={"image_token": IMAGE_TOKEN},
        padding_side="right",
    )
    tokenizer.add_special_tokens({"additional_special_tokens": [IMAGE_TOKEN]})
    return tokenizer


def llava_config(
    tokenizer,
    *,
    image_size: int = 32,
    patch_size: int = 8,
    vision_hidden: int = 32,
    vision_layers: int = 2,
    vision_heads: int = 2,
    hidden: int = 48,
    layers: int = 2,
    heads: int = 4,
    kv_heads: int = 2,
    intermediate: int | None = None,
    vision_intermediate: int | None = None,
    initializer_range: float = 0.2,
):
    """A ``LlavaConfig`` (CLIP vision tower, Llama text model) sized by the arguments."""
    from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig

    vision = CLIPVisionConfig(
        image_size=image_size,
        patch_size=patch_size,
        hidden_size=vision_hidden,
        intermediate_size=vision_intermediate or 4 * vision_hidden,
        num_hidden_layers=vision_layers,
        num_attention_heads=vision_heads,
        projection_dim=vision_hidden,
        initializer_range=initializer_range,
    )
    text = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=intermediate or 4 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        max_position_embeddings=8192,
        initializer_range=initializer_range,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    return LlavaConfig(
        vision_config=vision,
        text_config=text,
        image_token_index=tokenizer.convert_tokens_to_ids(IMAGE_TOKEN),
        image_seq_length=(image_size // patch_size) ** 2,
        vision_feature_select_strategy="default",
        vision_feature_layer=-1,
        initializer_range=initializer_range,
    )


def build_processor(tokenizer, *, image_size: int, patch_size: int, chat_template: str | None = CHAT_TEMPLATE):
    from transformers import LlavaProcessor

    try:  # transformers 5.2x: the Pillow backend, which needs no torchvision
        from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil as ImageProcessor
    except ImportError:
        from transformers import CLIPImageProcessor as ImageProcessor

    image_processor = ImageProcessor(
        size={"shortest_edge": image_size}, crop_size={"height": image_size, "width": image_size}
    )
    return LlavaProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=patch_size,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,  # CLIP's CLS token, dropped by the "default" strategy
        chat_template=chat_template,
        image_token=IMAGE_TOKEN,
    )


def build_model(config, *, seed: int = 0, dtype=None, device: str = "cpu"):
    """Random weights, reproducible from ``seed`` (normal with the config's initializer_range);
    ``dtype`` float32 unless given. torch is imported here, so that importing this module is cheap."""
    import torch
    from transformers import LlavaForConditionalGeneration

    torch.manual_seed(seed)
    with torch.device(device):
        model = LlavaForConditionalGeneration(config)
    return model.to(dtype or torch.float32).eval()


def build_tiny_llava(
    path: Path,
    *,
    seed: int = 0,
    image_size: int = 32,
    patch_size: int = 8,
    answer_words: bool = True,
    chat_template: str | None = CHAT_TEMPLATE,
    **sizes,
) -> Path:
    """Build and save the tiny LLaVA into ``path`` (created); returns ``path``.

    ``sizes`` go to :func:`llava_config` (hidden, layers, heads, vision_hidden, ...). With
    ``chat_template=None`` neither the processor nor the tokenizer has a template (the guesser's
    plain prompt is used).
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(answer_words=answer_words)
    config = llava_config(tokenizer, image_size=image_size, patch_size=patch_size, **sizes)
    model = build_model(config, seed=seed)
    processor = build_processor(tokenizer, image_size=image_size, patch_size=patch_size, chat_template=chat_template)
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path


BUILT_MARK = "tiny-llava-built.json"  # written last: a folder without it is an interrupted build


def is_built(path: Path, *, seed: int = 0) -> bool:
    """Whether ``path`` holds a completely written tiny LLaVA of ``seed``."""
    mark = Path(path) / BUILT_MARK
    try:
        return json.loads(mark.read_text()).get("seed") == seed
    except (OSError, ValueError, AttributeError):
        return False


def ensure_tiny_llava(path: Path, *, seed: int = 0) -> Path:
    """The tiny LLaVA at ``path``, built there first when it is not (or was left half-written
    by an interrupted build); returns ``path``. The same seed always builds the same weights."""
    path = Path(path)
    if is_built(path, seed=seed):
        return path
    shutil.rmtree(path, ignore_errors=True)
    build_tiny_llava(path, seed=seed)
    (path / BUILT_MARK).write_text(json.dumps({"seed": seed, "builder": "worker.prefill.tiny.build_tiny_llava"}))
    return path
