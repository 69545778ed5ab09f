"""A guesser on any Hugging Face vision-language model: P(yes) from next-token logits, with the
media and the shared part of the prompt encoded once per asset.

How one asset is answered (``HFGuesser.guess``; ``docs/prefill-models.md`` has the long form):

1. **One prompt, split in two.** The conversation is rendered once (the processor's chat
   template, else the tokenizer's, else a plain template, see :data:`PLAIN_TEMPLATE`) with a
   marker where the question goes::

       [instruction] [image, or the video's frames as images] The generation prompt is: <prompt>.
       <question> Answer yes or no. [end of user turn, start of assistant turn]

   Everything before the marker is the **prefix**, shared by every question; each question's
   **suffix** is its text (``[[prompt]]`` filled) followed by what the template put after the
   marker. The suffix's token ids are those of ``tokenizer(prefix + suffix)`` past the
   prefix's, so the cached path feeds exactly the tokens the one-question path feeds
   (``details["split_exact"]``; when a tokenizer merges across the boundary the suffix is
   tokenized alone instead and this is False).
2. **The prefix runs once** (``use_cache=True``): vision tower, projector and the prefix's
   tokens through the language model; its KV cache is kept.
3. **Questions run in batches** of ``batch_size`` from that cache: the cache is expanded to
   the batch (views; no per-question re-encoding), the suffixes are right-padded, the
   attention mask is the prefix's ones followed by each suffix's mask, and positions continue
   after the prefix (``position_ids = P + 0..L-1``). The logits of each suffix's last real
   token give P(yes) (``scoring.p_yes_from_logits`` over every single-token spelling of
   yes/no). Nothing is generated.

**Several assets at once** (``HFGuesser.guess_many``; ``guess`` is ``guess_many([request])``):
``assets_per_batch`` assets share one processor call and one prefix forward (their prefixes
right-padded, with the attention mask and explicit positions ``0..L-1``); every (asset,
question) pair is then a row, answered in batches of ``batch_size`` rows from the batched cache:
each row gets its asset's cache rows (``index_select`` on the batch dimension), its asset's
prefix mask (padding never attended) and positions continuing after its asset's true prefix
length. The answers equal ``guess`` per asset.

**Cascade question attention** (``question_attention="cascade"``, or ``"auto"``, the default, on
CPU where supported: Llama language models, e.g. LLaVA's): instead of handing each row a cache
with its asset's prefix KV (a copy per row), the question forward runs without a cache and each
layer attends the rows of every asset of the batch to that asset's prefix KV in one batched
matmul (question batches then hold whole assets), merged exactly (log-sum-exp) with each row's
own causal attention; see ``cascade.py``. Same answers.

**Streaming** (``HFGuesser.guess_stream``, ``guess_chunks``): ``guess_many`` over chunks, the
CPU preparation of chunk i + 1 (prompts, processor call, tokenizing) in a background thread
while the model runs chunk i. Same answers, in input order.

**Per architecture** (``architectures.py``, ``processors.py``; the supported-models table of
``docs/prefill-models.md``): a processor whose video processor needs torchvision is assembled
without it (videos are given as frames anyway); multimodal-RoPE models (Qwen-VL) get their
question rows' 3-D positions from the prefix's ``rope_deltas``; models whose prefix attends
bidirectionally (PaliGemma) cannot share a cached prefix and run every question's full prompt,
batched (``details["method"] == "full-prompt"``, ``details["exact_path"]`` says why).

``guess_uncached`` answers each question with its own full forward (media re-encoded every
time): the reference the cached path must equal, and the benchmark's baseline.
``guess_full_batch`` runs full inputs in batches without a cache (the media processed once, its
tokens and the vision tower repeated per question). All three return the same probabilities up
to floating-point noise.
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import itertools
import json
import logging
import re
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from .architectures import architecture_for, architecture_name
from .base import GuesserError, GuessRequest, GuessResult
from .media import frames_for_model
from .processors import load_processor, missing_package_error
from .scoring import NoAnswerTokensError, p_yes_from_logits, yes_no_token_ids
from .sources import local_snapshot

__all__ = ["ANSWER_CUE", "HFGuesser", "PLAIN_TEMPLATE", "Prompt", "default_instruction"]

logger = logging.getLogger(__name__)

QUESTION_MARKER = "<<<VR-QUESTION>>>"
ANSWER_CUE = " Answer yes or no."
# Without any chat template: instruction, one image token per frame, the prompt, the question,
# then "Answer:" as the assistant's turn (the model's next token is the answer).
PLAIN_TEMPLATE = "{instruction}\n{images}{tail}\nAnswer:"
# How question rows attend to their asset's cached prefix: "copy" (each row gets the prefix KV in
# its cache), "cascade" (shared-prefix attention, ``cascade.py``; Llama decoders only, else
# "copy", with a log line), "auto" (the default: cascade on CPU where supported, which is as exact
# and was faster in ``bench/prefill_speed.py``; copy on a GPU, where cascade paid off only for very
# large batches).
QUESTION_ATTENTION = ("copy", "cascade", "auto")
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_VERSION_IGNORED_KEYS = {"transformers_version", "_name_or_path", "dtype", "torch_dtype", "_commit_hash"}


def default_instruction(kind: str, frames: int) -> str:
    if kind == "video":
        shown = "one frame" if frames == 1 else f"{frames} frames, in time order"
        return (
            f"You are checking an AI-generated video against a checklist. The video is shown as {shown}. "
            "Look at the video and answer the question about it with yes or no."
        )
    return (
        "You are checking an AI-generated image against a checklist. "
        "Look at the image and answer the question about it with yes or no."
    )


@dataclass
class Prompt:
    """The texts and images of one asset's questions (see the module docstring)."""

    prefix_text: str
    question_texts: list[str]  # one suffix per question, in checklist order
    keys: list[str]
    images: list[Image.Image]
    template: str  # "processor" | "tokenizer" | "plain"
    add_special_tokens: bool  # whether tokenizing the prefix adds BOS etc. (not when a template wrote them)
    details: dict = field(default_factory=dict)


@dataclass
class _Encoded:
    prefix: dict  # processor output for the prefix (tensors on the device)
    question_ids: list[list[int]]
    split_exact: bool


@dataclass
class _EncodedMany:
    prefix: dict  # processor output for the assets' prefixes, right-padded (tensors on the device)
    lengths: list[int]  # each asset's true prefix length (its row's real tokens)
    question_ids: list[list[list[int]]]  # per asset, per question
    split_exact: list[bool]
    rope_deltas: torch.Tensor | None = None  # multimodal RoPE: each asset's text position offset (CPU)


def _per_token_media_mask(value, text_shape) -> bool:
    """An integer tensor ``[batch, tokens, ...]`` saying per text token which media it may see
    (Mllama's ``cross_attention_mask``)."""
    return (
        isinstance(value, torch.Tensor)
        and not value.is_floating_point()
        and value.ndim > 2
        and tuple(value.shape[:2]) == tuple(text_shape)
    )


def _looks_like_hub_id(source: str) -> bool:
    return bool(_HUB_ID.match(source)) and not source.startswith(".") and ".." not in source


VERSION_MAX = 100  # the length of Prediction.model_version, where every version is stored


def model_version(source: str, revision: str | None, config) -> str:
    """``<source>@<revision>#<config hash>``, at most ``VERSION_MAX`` characters: a long source
    keeps its end (the folder or Hub id) behind a digest of the whole, so versions stay distinct."""
    tail = f"@{revision or 'default'}#{_config_hash(config)}"
    room = VERSION_MAX - len(tail)
    label = source
    if len(label) > room:
        digest = hashlib.sha256(source.encode()).hexdigest()[:12]
        label = f"{digest}~{source[-(room - len(digest) - 1) :]}"
    return label + tail


def _config_hash(config) -> str:
    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in sorted(value.items()) if k not in _VERSION_IGNORED_KEYS}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        return value

    data = json.dumps(clean(config.to_dict()), sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:12]


def _resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as exc:
        raise GuesserError(f"unknown device {device!r} (use auto, cpu, cuda or cuda:N)") from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise GuesserError(f"device {device!r} asked for but CUDA is not available here")
    return resolved


def _resolve_dtype(dtype: str | torch.dtype, device: torch.device) -> torch.dtype:
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype == "auto":
        if device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float32
    if dtype not in DTYPES:
        raise GuesserError(f"unknown dtype {dtype!r} (use auto, {', '.join(DTYPES)})")
    return DTYPES[dtype]


class HFGuesser:
    """A Hugging Face image-text-to-text model (LLaVA, Qwen2-VL, Idefics, Gemma 3, …) as a guesser.

    ``source`` is a local folder (as ``save_pretrained`` writes) or a Hub id; with
    ``local_files_only`` (the default) nothing is downloaded, so a Hub id must already be in the
    local Hugging Face cache. ``dtype="auto"`` is bfloat16 on a GPU that has it (else float16) and
    float32 on CPU; ``device="auto"`` is the first GPU when there is one. ``max_frames`` thins a
    video's frames (evenly spaced); ``batch_size`` is how many questions run together from the
    cached prefix. ``instruction`` overrides :func:`default_instruction`. ``question_attention``
    is how question rows read the cached prefix: ``"copy"`` (each row's cache holds its asset's
    prefix KV), ``"cascade"`` (shared-prefix attention, ``cascade.py``, for Llama language
    models; others fall back to copy) or ``"auto"`` (cascade where supported).
    """

    _cache_views = True  # expand plain dynamic caches as views (else deep copies, any cache type)
    _mix_frame_counts = True  # assets with different frame counts may share a prefix batch
    _cascade_whole_assets = True  # cascade question batches hold whole assets (see _question_batches)

    def __init__(
        self,
        source: str,
        *,
        revision: str | None = None,
        dtype: str | torch.dtype = "auto",
        device: str = "auto",
        batch_size: int = 16,
        trust_remote_code: bool = False,
        max_frames: int = 8,
        name: str | None = None,
        local_files_only: bool = True,
        instruction: str | None = None,
        assets_per_batch: int = 8,
        question_attention: str = "auto",
    ):
        self.source = str(source)
        self.revision = revision
        self.trust_remote_code = trust_remote_code
        self.local_files_only = local_files_only
        self.device = _resolve_device(device)
        self.dtype = _resolve_dtype(dtype, self.device)
        started = time.perf_counter()
        model, processor, config = self._load()
        self._setup(
            model,
            processor,
            name=name or self._default_name(),
            version=model_version(self.source, revision, config),
            batch_size=batch_size,
            max_frames=max_frames,
            instruction=instruction,
            assets_per_batch=assets_per_batch,
            question_attention=question_attention,
        )
        self.load_seconds = time.perf_counter() - started

    # --- construction -------------------------------------------------------------------

    @classmethod
    def from_objects(
        cls,
        model,
        processor,
        *,
        name: str,
        version: str | None = None,
        batch_size: int = 16,
        max_frames: int = 8,
        instruction: str | None = None,
        assets_per_batch: int = 8,
        question_attention: str = "auto",
    ) -> HFGuesser:
        """A guesser around a model and processor already in memory (e.g. built from a config
        with random weights by the benchmark); the model stays on its device and dtype."""
        self = cls.__new__(cls)
        self.source, self.revision, self.trust_remote_code, self.local_files_only = name, None, False, True
        parameter = next(model.parameters())
        self.device, self.dtype = parameter.device, parameter.dtype
        self._setup(
            model,
            processor,
            name=name,
            version=version or f"{name}#{_config_hash(model.config)}",
            batch_size=batch_size,
            max_frames=max_frames,
            instruction=instruction,
            assets_per_batch=assets_per_batch,
            question_attention=question_attention,
        )
        self.load_seconds = 0.0
        return self

    def _default_name(self) -> str:
        if _looks_like_hub_id(self.source) and not Path(self.source).exists():
            return self.source
        return Path(self.source).expanduser().resolve().name or self.source

    def _load(self):
        import transformers
        from transformers import AutoConfig, AutoModelForImageTextToText

        source = self.source
        path = Path(source).expanduser()
        if path.exists() or not _looks_like_hub_id(source):
            if not path.exists():
                raise GuesserError(f"model path {path} does not exist")
            if not (path / "config.json").is_file():
                raise GuesserError(f"model path {path} has no config.json: not a saved Hugging Face model folder")
            source = str(path)
        elif self.local_files_only:  # a Hub id: its cached snapshot, so that nothing goes online
            where = f"model {source!r}" + (f" (revision {self.revision})" if self.revision else "")
            source = local_snapshot(source, self.revision, where)
        common = {
            "revision": self.revision,
            "trust_remote_code": self.trust_remote_code,
            "local_files_only": self.local_files_only,
        }
        where = f"model {source!r}" + (f" (revision {self.revision})" if self.revision else "")
        try:
            config = AutoConfig.from_pretrained(source, **common)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # (a Hub id missing from the cache was refused by local_snapshot already, with how to fetch it)
            raise GuesserError(f"cannot load {where}: {exc}") from exc
        except ImportError as exc:
            raise missing_package_error(f"{where}", "its configuration", exc) from exc
        architecture = architecture_name(config)
        where = f"{architecture} {where}"
        processor = load_processor(source, config, common, where)

        candidates = [AutoModelForImageTextToText]
        candidates += [
            getattr(transformers, arch) for arch in config.architectures or [] if hasattr(transformers, arch)
        ]
        if self.trust_remote_code:
            candidates.append(transformers.AutoModelForCausalLM)
        errors = []
        for model_class in dict.fromkeys(candidates):
            try:
                model = model_class.from_pretrained(source, config=config, dtype=self.dtype, **common)
                break
            except (ValueError, KeyError, OSError, TypeError, AttributeError, RuntimeError) as exc:
                # this auto class does not know the config, or the weights do not fit it
                errors.append(f"{model_class.__name__}: {exc}")
            except ImportError as exc:
                raise missing_package_error(where, "the model", exc) from exc
        else:
            raise GuesserError(f"cannot load {where} as a vision-language model: " + "; ".join(errors))
        return model.to(self.device), processor, config

    def _setup(
        self,
        model,
        processor,
        *,
        name,
        version,
        batch_size,
        max_frames,
        instruction,
        assets_per_batch=8,
        question_attention="auto",
    ) -> None:
        if question_attention not in QUESTION_ATTENTION:
            raise GuesserError(
                f"unknown question_attention {question_attention!r} (use {', '.join(QUESTION_ATTENTION)})"
            )
        if batch_size < 1:
            raise GuesserError("batch_size must be at least 1")
        if assets_per_batch < 1:
            raise GuesserError("assets_per_batch must be at least 1")
        if max_frames < 1:
            raise GuesserError("max_frames must be at least 1")
        self.model = model.eval()
        self.processor = processor
        self.tokenizer = getattr(processor, "tokenizer", None)
        if self.tokenizer is None or getattr(processor, "image_processor", None) is None:
            raise GuesserError(
                f"{name}: the processor ({type(processor).__name__}) has no tokenizer and image processor"
            )
        self.name = name
        self.version = version
        self.batch_size = batch_size
        self.assets_per_batch = assets_per_batch
        self.max_frames = max_frames
        self.instruction = instruction
        try:
            self.yes_ids, self.no_ids = yes_no_token_ids(self.tokenizer)
        except NoAnswerTokensError as exc:
            raise GuesserError(f"model {name!r}: {exc}") from exc
        self.image_token = (
            getattr(processor, "image_token", None) or getattr(self.tokenizer, "image_token", None) or "<image>"
        )
        forward = inspect.signature(model.forward).parameters
        self._cache_kw = "cache" if "cache" in forward else "past_key_values"
        builtin = type(model).__module__.startswith("transformers.")
        # ``logits_to_keep`` as a tensor of positions is the library's own contract; remote code
        # may read it differently, so there the full logits are computed and gathered instead.
        self._logits_to_keep = "logits_to_keep" in forward and builtin
        text_config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
        rope = getattr(text_config, "rope_parameters", None) or getattr(text_config, "rope_scaling", None) or {}
        # Multimodal RoPE (Qwen2-VL style) offsets text positions by what the images took: the
        # model derives them from its cache when no position_ids are given.
        self._explicit_positions = not (isinstance(rope, dict) and "mrope_section" in rope)
        # Several assets' prefixes in one padded batch need explicit positions (each asset's
        # questions continue after its own prefix length) and a plain dynamic cache (a sliding
        # window would slide over the padding). None: not known until the first prefix has run.
        self._multi_asset: bool | None = None if self._explicit_positions else False
        # processors.py assembled it without its video processor (which needs torchvision).
        self.processor_note = (
            "assembled without its video processor (torchvision is not installed); videos are given as frames"
            if getattr(type(processor), "without_video", False)
            else None
        )
        facts = architecture_for(model.config)
        self.architecture = architecture_name(model.config)
        # Where the shared-prefix cache is not exact (``architectures.py``: PaliGemma's prefix
        # attends bidirectionally), every question runs the full prompt (``_guess_full_prompts``).
        self.exact_path: str | None = None
        if facts is not None and not facts.prefix_cache_exact:
            self.exact_path = (
                f"{facts.name}: the image and the whole text prompt attend to each other (bidirectional prefix), "
                "so a cached shared prefix could not see the question; each question runs the full prompt"
            )
            self._multi_asset = False
        self.question_attention = question_attention
        self._cascade = self._cascade_supported(question_attention)
        self._pad_id = next(
            (i for i in (self.tokenizer.pad_token_id, self.tokenizer.eos_token_id) if i is not None),
            0,
        )

    def _cascade_supported(self, question_attention: str) -> bool:
        """Whether the question forward uses cascade attention (see ``cascade.py``)."""
        if question_attention == "copy":
            return False
        if question_attention == "auto" and self.device.type != "cpu":
            # Measured on an H200 (bench/prefill_speed.py, 1.4 B LLaVA, bf16): cascade's per-asset
            # attention launches many small kernels; it lost to copy at batch 64 (question stage
            # 57 vs 26 ms per asset) and won only at batch 512 with 16 assets (18 vs 23 ms).
            # On a GPU it is chosen explicitly; "auto" keeps copy there.
            return False
        from .cascade import supported

        why = supported(self.model)
        if why is None and not self._explicit_positions:
            why = "multimodal RoPE"
        if why is None and not type(self.model).__module__.startswith("transformers."):
            why = "remote code"
        if why is not None:
            logger.info("%s: cascade question attention not supported (%s); using copy", self.name, why)
            return False
        return True

    # --- prompts ------------------------------------------------------------------------

    def build_prompt(self, request: GuessRequest) -> Prompt:
        """The prefix and per-question suffix texts for this asset (no tokenizing)."""
        media = request.media
        images, times = frames_for_model(media, self.max_frames)
        if not images:
            raise GuesserError("the media has no image or frame to look at")
        kind = "video" if media.kind == "video" else "image"
        instruction = self.instruction or default_instruction(kind, len(images))
        prompt = (request.prompt or "").strip()
        tail = (f"The generation prompt is: {prompt}.\n" if prompt else "") + QUESTION_MARKER + ANSWER_CUE

        template_owner = None
        if getattr(self.processor, "chat_template", None):
            template_owner = "processor"
        elif getattr(self.tokenizer, "chat_template", None):
            template_owner = "tokenizer"
        if template_owner == "processor":
            content = [{"type": "text", "text": instruction}]
            content += [{"type": "image"} for _ in images]
            content += [{"type": "text", "text": tail}]
            messages = [{"role": "user", "content": content}]
            rendered = self.processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        elif template_owner == "tokenizer":
            text = f"{instruction}\n" + "".join(f"{self.image_token}\n" for _ in images) + tail
            messages = [{"role": "user", "content": text}]
            rendered = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        else:
            images_text = "".join(f"{self.image_token}\n" for _ in images)
            rendered = PLAIN_TEMPLATE.format(instruction=instruction, images=images_text, tail=tail)
        if isinstance(rendered, list):
            rendered = rendered[0]
        if rendered.count(QUESTION_MARKER) != 1:
            raise GuesserError(f"the chat template of {self.name!r} did not keep the question text in place")
        prefix_text, after = rendered.split(QUESTION_MARKER)
        questions = request.checklist.questions
        return Prompt(
            prefix_text=prefix_text,
            question_texts=[question.render(request.prompt) + after for question in questions],
            keys=[question.key for question in questions],
            images=images,
            template=template_owner or "plain",
            add_special_tokens=template_owner is None,
            details={"frames": len(images), "frame_times": times},
        )

    def _to_device(self, batch) -> dict:
        out = {}
        for key, value in dict(batch).items():
            if isinstance(value, torch.Tensor):
                value = value.to(self.device, dtype=self.dtype if value.is_floating_point() else None)
            out[key] = value
        return out

    def model_inputs(self, texts: list[str], images: list[Image.Image], add_special_tokens: bool) -> dict:
        """The processor's model inputs for these texts (each showing every image), right-padded."""
        return self._processor_inputs(texts, [image for _ in texts for image in images], add_special_tokens)

    def _processor_inputs(
        self, texts: list[str], images: list[Image.Image], add_special_tokens: bool, to_device: bool = True
    ) -> dict:
        """One processor call: ``images`` are every text's images in text order, right-padded
        (left on the CPU, as the processor gave them, with ``to_device=False``)."""
        tokenizer = self.tokenizer
        side = tokenizer.padding_side
        tokenizer.padding_side = "right"
        try:
            batch = self.processor(
                text=texts,
                images=images,
                return_tensors="pt",
                padding=True,
                add_special_tokens=add_special_tokens,
            )
        finally:
            tokenizer.padding_side = side
        batch = dict(batch)
        batch.pop("labels", None)  # PaliGemma's processor adds training labels: never fed (nothing is trained here)
        return self._to_device(batch) if to_device else batch

    def _question_ids(self, prompt: Prompt) -> tuple[list[list[int]], bool]:
        """Each question's suffix token ids (see the module docstring) and whether the split is exact."""
        tokenize = self.tokenizer
        prefix_ids = tokenize(prompt.prefix_text, add_special_tokens=prompt.add_special_tokens)["input_ids"]
        joined = tokenize(
            [prompt.prefix_text + text for text in prompt.question_texts], add_special_tokens=prompt.add_special_tokens
        )["input_ids"]
        question_ids, exact = [], True
        for text, ids in zip(prompt.question_texts, joined, strict=True):
            if ids[: len(prefix_ids)] == prefix_ids and len(ids) > len(prefix_ids):
                question_ids.append(list(ids[len(prefix_ids) :]))
            else:  # the tokenizer merged across the boundary: tokenize the suffix alone
                exact = False
                question_ids.append(list(tokenize(text, add_special_tokens=False)["input_ids"]))
        if not exact:
            logger.warning("%s: question tokens differ from one-piece tokenization at the prefix boundary", self.name)
        return question_ids, exact

    def _encode(self, prompt: Prompt) -> _Encoded:
        prefix = self.model_inputs([prompt.prefix_text], prompt.images, prompt.add_special_tokens)
        question_ids, exact = self._question_ids(prompt)
        return _Encoded(prefix=prefix, question_ids=question_ids, split_exact=exact)

    def _encode_many(self, prompts: list[Prompt], to_device: bool = True) -> _EncodedMany:
        """All prompts' prefixes in one processor call (right-padded), and their questions' ids."""
        if len({prompt.add_special_tokens for prompt in prompts}) != 1:
            raise GuesserError("prompts of one batch must share their template")
        prefix = self._processor_inputs(
            [prompt.prefix_text for prompt in prompts],
            [image for prompt in prompts for image in prompt.images],
            prompts[0].add_special_tokens,
            to_device=to_device,
        )
        width = prefix["input_ids"].shape[1]
        if "attention_mask" in prefix:
            lengths = [int(n) for n in prefix["attention_mask"].sum(dim=1).tolist()]
        elif len(prompts) == 1:
            lengths = [width]
        else:
            raise GuesserError("the processor gave no attention mask for a padded batch")
        if lengths != [width] * len(prompts):  # padding must be on the right: check the mask
            expected = torch.arange(width).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)
            if not torch.equal(prefix["attention_mask"].cpu().bool(), expected):
                raise GuesserError("the processor did not right-pad the prefixes")
        questions = [self._question_ids(prompt) for prompt in prompts]
        return _EncodedMany(
            prefix=prefix,
            lengths=lengths,
            question_ids=[ids for ids, _ in questions],
            split_exact=[exact for _, exact in questions],
        )

    # --- model calls ----------------------------------------------------------------------

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def _last_logits(
        self, inputs: dict, last: torch.Tensor, *, cache=None, use_cache: bool = False, extra: dict | None = None
    ) -> tuple[torch.Tensor, object]:
        """Next-token logits ``[batch, vocab]`` at position ``last[i]`` of each row, and the cache."""
        kwargs = {**inputs, **(extra or {})}
        kwargs["use_cache"] = use_cache or cache is not None
        if cache is not None:
            kwargs[self._cache_kw] = cache
        rows = torch.arange(last.shape[0], device=last.device)
        if self._logits_to_keep:
            # Only the positions some row needs go through the LM head: a 1-D tensor of
            # positions kept for every row (a long-standing contract), then each row picks its own.
            keep, column = torch.unique(last, sorted=True, return_inverse=True)
            kwargs["logits_to_keep"] = keep
        else:
            column = last
        out = self.model(**kwargs)
        logits = out.logits[rows.to(out.logits.device), column.to(out.logits.device)]
        if not kwargs["use_cache"]:
            return logits, None
        returned = getattr(out, "cache", None)
        if returned is None and self._cache_kw == "past_key_values":  # remote code with the old name
            returned = getattr(out, "past_key_values", None)
        return logits, returned

    @staticmethod
    def _plain_layers(cache) -> bool:
        from transformers.cache_utils import DynamicLayer

        layers = getattr(cache, "layers", None)
        return layers is not None and all(type(layer) is DynamicLayer for layer in layers)

    def _select_cache(self, cache, assets: list[int], count: int):
        """A cache holding, for row ``i``, the prefix of asset ``assets[i]`` (of the ``count``
        assets in ``cache``), leaving ``cache`` untouched."""
        batch = len(assets)
        single = len(set(assets)) == 1
        if self._cache_views and self._plain_layers(cache):
            # Fast path: one asset's rows are stride-0 views of its prefix; rows of several
            # assets are gathered (index_select). The layers' update() concatenates into new
            # tensors, so the shared prefix is read, never written.
            index = None if single else torch.tensor(assets, dtype=torch.long)
            expanded = copy.copy(cache)
            expanded.layers = []
            for layer in cache.layers:
                new = copy.copy(layer)
                if layer.is_initialized and layer.keys is not None and layer.keys.numel():
                    if single:
                        keys = layer.keys[assets[0] : assets[0] + 1]
                        values = layer.values[assets[0] : assets[0] + 1]
                        new.keys = keys.expand(batch, *keys.shape[1:])
                        new.values = values.expand(batch, *values.shape[1:])
                    else:
                        index = index.to(layer.keys.device)
                        new.keys = layer.keys.index_select(0, index)
                        new.values = layer.values.index_select(0, index)
                expanded.layers.append(new)
            return expanded
        expanded = copy.deepcopy(cache)
        if count == 1:
            expanded.batch_repeat_interleave(batch)
        else:
            expanded.batch_select_indices(torch.tensor(assets, dtype=torch.long, device=self.device))
        return expanded

    def _rope_deltas(self, count: int) -> torch.Tensor:
        """Each prefix row's multimodal-RoPE offset (text position = index + offset), which the
        prefix forward stored on the model (``rope_deltas``, Qwen-VL style)."""
        for module in self.model.modules():
            deltas = getattr(module, "rope_deltas", None)
            if isinstance(deltas, torch.Tensor):
                deltas = deltas.reshape(-1).long().cpu()
                if deltas.shape[0] == count:
                    return deltas
                if deltas.shape[0] == 1:
                    return deltas.expand(count)
        raise GuesserError(
            f"model {self.name!r} uses multimodal RoPE but its prefix forward left no rope_deltas: "
            "the question positions cannot be derived"
        )

    def _cascade_logits(self, cache, encoded: _EncodedMany, inputs: dict, last: torch.Tensor, assets: list[int]):
        """The question rows' logits with cascade attention (``cascade.py``): no cache is passed
        (nothing is copied per row); each layer reads its assets' prefix KV in place. Rows are
        grouped by asset; positions are the explicit ones of ``_question_inputs``."""
        from .cascade import KWARG, CascadeContext, cascade_attention, segments_of

        inputs = dict(inputs)
        inputs.pop("attention_mask")  # the attention function builds its own masks
        context = CascadeContext(
            layers=[(layer.keys, layer.values) for layer in cache.layers],
            segments=segments_of(assets),
            lengths=encoded.lengths,
        )
        with cascade_attention(self.model):
            logits, _ = self._last_logits(inputs, last, extra={KWARG: context})
        return logits

    def _expand_cache(self, cache, batch: int):
        """A one-asset cache repeated for ``batch`` rows, leaving ``cache`` untouched."""
        return self._select_cache(cache, [0] * batch, 1)

    def _question_inputs(
        self, encoded: _EncodedMany, assets: list[int], ids: list[list[int]]
    ) -> tuple[dict, torch.Tensor]:
        """Inputs for question rows from the batched prefix cache: row ``i`` is a suffix of asset
        ``assets[i]``. The attention mask is that asset's prefix mask (its padding masked) then
        the suffix's; positions continue after that asset's true prefix length."""
        prefix = encoded.prefix
        batch, longest = len(ids), max(len(row) for row in ids)
        width = prefix["input_ids"].shape[1]
        input_ids = torch.full((batch, longest), self._pad_id, dtype=torch.long)
        mask = torch.zeros((batch, longest), dtype=torch.long)
        for row, tokens in enumerate(ids):
            input_ids[row, : len(tokens)] = torch.tensor(tokens, dtype=torch.long)
            mask[row, : len(tokens)] = 1
        starts = torch.tensor([encoded.lengths[a] for a in assets], dtype=torch.long)
        # The asset's real prefix tokens, then its padding (``_encode_many`` checked the mask has this form).
        prefix_mask = (torch.arange(width).unsqueeze(0) < starts.unsqueeze(1)).long()
        inputs = {
            "input_ids": input_ids.to(self.device),
            "attention_mask": torch.cat([prefix_mask, mask], dim=1).to(self.device),
        }
        positions = starts.unsqueeze(1) + torch.arange(longest, dtype=torch.long).unsqueeze(0)
        if self._explicit_positions:
            inputs["position_ids"] = positions.to(self.device)
        elif encoded.rope_deltas is not None:
            # Multimodal RoPE: a text token's three position components are equal, its sequence
            # index plus the asset's offset (what the images' grid positions saved): the prefix
            # forward left it in ``rope_deltas``. Given explicitly, as generate() does (the
            # model's own derivation from the cache and a full-length mask is off here).
            delta = encoded.rope_deltas.index_select(0, torch.tensor(assets, dtype=torch.long))
            positions = (positions + delta.unsqueeze(1)).unsqueeze(0).expand(3, -1, -1)
            inputs["position_ids"] = positions.to(self.device)
        for key, value in prefix.items():  # e.g. token_type_ids: the questions hold no image tokens
            if key not in ("input_ids", "attention_mask") and isinstance(value, torch.Tensor):
                if value.dtype in (torch.long, torch.int) and value.shape == prefix["input_ids"].shape:
                    inputs[key] = torch.zeros((batch, longest), dtype=value.dtype, device=self.device)
                elif _per_token_media_mask(value, prefix["input_ids"].shape):
                    # e.g. Mllama's cross_attention_mask [batch, tokens, images, tiles]: a question
                    # token sees the media its asset's last prefix token sees (as generate() extends it)
                    rows = value[torch.tensor(assets, device=value.device), (starts - 1).to(value.device)]
                    inputs[key] = rows.unsqueeze(1).expand(-1, longest, *rows.shape[1:]).to(self.device)
        last = torch.tensor([len(row) - 1 for row in ids], dtype=torch.long, device=self.device)
        return inputs, last

    def _result(self, prompt: Prompt, p_yes: list[float], timings: dict, details: dict) -> GuessResult:
        if self.processor_note:
            details = {**details, "processor": self.processor_note}
        return GuessResult(
            p_yes=dict(zip(prompt.keys, p_yes, strict=True)),
            model_name=self.name,
            model_version=self.version,
            timings={key: round(value, 6) for key, value in timings.items()},
            details={**prompt.details, **details},
        )

    # --- guessing -------------------------------------------------------------------------

    def guess(self, request: GuessRequest) -> GuessResult:
        """P(yes) for every question, the media and prefix encoded once (see the module docstring)."""
        return self.guess_many([request])[0]

    def guess_many(self, requests: list[GuessRequest]) -> list[GuessResult]:
        """``guess`` for several assets, ``assets_per_batch`` at a time: one processor call and
        one prefix forward per batch of assets, then all their questions in batches of
        ``batch_size`` rows from the batched cache. Results equal ``guess`` per asset (in order).

        Assets run one at a time where batching them would be wrong: models with multimodal
        RoPE (positions derived from the cache) or a cache other than plain dynamic layers
        (e.g. sliding windows), which the first prefix forward tells. An error (e.g. unreadable
        media in one request) fails the whole call: callers that need per-asset failures retry
        the assets one by one."""
        requests = list(requests)
        if not requests:
            return []
        if self.exact_path is not None:
            return [self._guess_full_prompts(request) for request in requests]
        started = time.perf_counter()
        prompts = [self.build_prompt(request) for request in requests]
        built = (time.perf_counter() - started) / len(prompts)
        results: list[GuessResult | None] = [None] * len(prompts)
        pending = list(range(len(prompts)))
        if self._multi_asset is None and len(pending) > 1:  # learn the cache type on one asset
            results[0] = self._guess_group([prompts[0]], built)[0]
            pending = pending[1:]
        for group in self._asset_groups(prompts, pending):
            for index, result in zip(group, self._guess_group([prompts[i] for i in group], built), strict=True):
                results[index] = result
        return results

    def guess_stream(
        self, requests: Iterable[GuessRequest], assets_per_batch: int | None = None
    ) -> Iterator[GuessResult]:
        """``guess_many`` over a stream of requests, ``assets_per_batch`` (default: the
        guesser's) at a time, with the CPU work of the next chunk (prompts, processor call,
        tokenizing) done in a background thread while the model runs the current one. Results
        come in input order and equal ``guess_many``'s; an error raises (as ``guess_many``)
        after the earlier chunks' results were yielded."""
        size = max(1, int(assets_per_batch or self.assets_per_batch))
        iterator = iter(requests)

        def chunks():
            while chunk := list(itertools.islice(iterator, size)):
                yield None, chunk

        for _, outcome in self.guess_chunks(chunks()):
            if isinstance(outcome, BaseException):
                raise outcome
            yield from outcome

    def guess_chunks(self, items: Iterable[tuple[Any, list[GuessRequest]]]) -> Iterator[tuple[Any, Any]]:
        """For each ``(tag, requests)`` of ``items``, ``(tag, guess_many(requests))``, or
        ``(tag, exception)`` when that chunk failed (the next chunks still run): the caller
        decides (``worker/prefill.py`` retries the chunk's assets one by one). Chunk ``i + 1`` is
        taken from ``items`` and prepared (prompts, processor call, tokenizing; on the CPU, in
        one background thread) while the model runs chunk ``i``; chunk ``i`` is answered with
        ``assets_per_batch`` assets per prefix forward at most, whatever its size. Until the
        cache type is known (``guess_many`` learns it on the first asset) chunks run without
        overlap."""
        iterator = iter(items)

        def prepare(requests: list[GuessRequest]):  # in the background thread
            started = time.perf_counter()
            prompts = [self.build_prompt(request) for request in requests]
            built = (time.perf_counter() - started) / len(prompts)
            prepared = []
            for group in self._asset_groups(prompts, list(range(len(prompts)))):
                mark = time.perf_counter()
                members = [prompts[i] for i in group]
                encoded = self._encode_many(members, to_device=False)
                prepared.append((group, members, encoded, time.perf_counter() - mark + built * len(group)))
            return prepared

        def submit(pool, item):
            if item is None:
                return None
            tag, requests = item[0], list(item[1])
            ready = bool(requests) and self._multi_asset is not None and self.exact_path is None
            return tag, requests, pool.submit(prepare, requests) if ready else None

        def finish(requests, future):
            try:
                if future is None:
                    return self.guess_many(requests)
                results: list[GuessResult | None] = [None] * len(requests)
                for group, prompts, encoded, seconds in future.result():
                    for index, result in zip(group, self._run_group(prompts, encoded, seconds), strict=True):
                        results[index] = result
                return results
            except Exception as exc:
                return exc

        with ThreadPoolExecutor(1, thread_name_prefix="vr-prepare") as pool:
            pending = submit(pool, next(iterator, None))
            while pending is not None:
                tag, requests, future = pending
                if future is None and requests:  # learning the cache type: no overlap yet
                    outcome = finish(requests, None)
                    pending = submit(pool, next(iterator, None))
                else:
                    following = submit(pool, next(iterator, None))  # prepared while this one runs
                    outcome = finish(requests, future)
                    pending = following
                yield tag, outcome

    def _asset_groups(self, prompts: list[Prompt], indices: list[int]) -> list[list[int]]:
        """Batches of at most ``assets_per_batch`` assets (one each when assets cannot share a
        batch); with ``_mix_frame_counts`` off, only assets with as many frames share one."""
        if not self._multi_asset:
            return [[index] for index in indices]
        by_key: dict = {}
        for index in indices:
            key = None if self._mix_frame_counts else len(prompts[index].images)
            by_key.setdefault(key, []).append(index)
        size = self.assets_per_batch
        return [group[start : start + size] for group in by_key.values() for start in range(0, len(group), size)]

    def _question_batches(self, question_ids: list[list[list[int]]], cascade: bool) -> list[list[tuple[int, int]]]:
        """The (asset, question) rows of one prefix batch, in batches of at most ``batch_size``.

        Copy: all rows longest first (rows of a batch have similar lengths, so little padding;
        the same question of different assets ends up together). Cascade: whole assets per
        batch (``batch_size // questions`` of them, at least one; an asset with more questions
        than ``batch_size`` is split over batches of its own), each asset's rows together and
        longest first, so a batch's segments have equal sizes and the prefix attention is one
        batched matmul with no padded rows (but each batch pads its questions to the longest of
        its assets'). With ``_cascade_whole_assets`` off, cascade batches are the copy path's
        (longest first over all rows: less token padding, segments of unequal sizes, padded
        with repeated rows in the batched attention), each asset's rows put together."""
        if not cascade or not self._cascade_whole_assets:
            rows = [(asset, index) for asset, ids in enumerate(question_ids) for index in range(len(ids))]
            rows.sort(key=lambda row: -len(question_ids[row[0]][row[1]]))
            batches = [rows[start : start + self.batch_size] for start in range(0, len(rows), self.batch_size)]
            if cascade:  # each asset's rows together (stable: still longest first within)
                for batch in batches:
                    batch.sort(key=lambda row: row[0])
            return batches
        per_asset = []
        for asset, ids in enumerate(question_ids):
            order = sorted(range(len(ids)), key=lambda index: -len(ids[index]))
            per_asset.append([(asset, index) for index in order])
        most = max((len(rows) for rows in per_asset), default=0)
        if most == 0:
            return []
        if most > self.batch_size:
            return [
                rows[start : start + self.batch_size]
                for rows in per_asset
                for start in range(0, len(rows), self.batch_size)
            ]
        together = max(1, self.batch_size // most)
        batches = []
        for start in range(0, len(per_asset), together):
            batch = [row for rows in per_asset[start : start + together] for row in rows]
            if batch:
                batches.append(batch)
        return batches

    def _guess_group(self, prompts: list[Prompt], built: float) -> list[GuessResult]:
        """One batch of assets: one processor call, one prefix forward, the questions of all."""
        started = time.perf_counter()
        encoded = self._encode_many(prompts)
        return self._run_group(prompts, encoded, time.perf_counter() - started + built * len(prompts))

    def _run_group(self, prompts: list[Prompt], encoded: _EncodedMany, prepared: float) -> list[GuessResult]:
        """The model part of ``_guess_group`` on prompts already encoded (``prepared`` seconds);
        a prefix still on the CPU (``guess_chunks``) is moved to the device here."""
        count = len(prompts)
        started = time.perf_counter()
        if any(isinstance(v, torch.Tensor) and v.device != self.device for v in encoded.prefix.values()):
            encoded.prefix = self._to_device(encoded.prefix)
        timings = {"prepare": prepared}
        prefix = encoded.prefix
        width = prefix["input_ids"].shape[1]
        p_yes = [[0.0] * len(ids) for ids in encoded.question_ids]
        with torch.inference_mode():
            mark = time.perf_counter()
            inputs = dict(prefix)
            if count > 1:  # right-padded rows: every asset's positions start at 0
                inputs["position_ids"] = torch.arange(width, device=self.device).unsqueeze(0).expand(count, -1)
            last = torch.tensor([length - 1 for length in encoded.lengths], device=self.device)
            _, cache = self._last_logits(inputs, last, use_cache=True)
            if cache is None:
                raise GuesserError(f"model {self.name!r} returned no KV cache for the prefix")
            if self._multi_asset is None:
                self._multi_asset = self._plain_layers(cache)
            if not self._explicit_positions:
                encoded.rope_deltas = self._rope_deltas(count)
            self._sync()
            timings["prefix"] = time.perf_counter() - mark
            mark = time.perf_counter()
            cascade = self._cascade and self._plain_layers(cache)
            for chunk in self._question_batches(encoded.question_ids, cascade):
                assets = [asset for asset, _ in chunk]
                ids = [encoded.question_ids[asset][index] for asset, index in chunk]
                inputs, last = self._question_inputs(encoded, assets, ids)
                if cascade:
                    logits = self._cascade_logits(cache, encoded, inputs, last, assets)
                else:
                    logits, _ = self._last_logits(inputs, last, cache=self._select_cache(cache, assets, count))
                answers = p_yes_from_logits(logits, self.yes_ids, self.no_ids).tolist()
                for (asset, index), value in zip(chunk, answers, strict=True):
                    p_yes[asset][index] = value
            self._sync()
            timings["questions"] = time.perf_counter() - mark
        timings["total"] = time.perf_counter() - started + prepared
        # Each asset is charged an equal share of the batch's stages (they add up to the batch).
        share = {key: value / count for key, value in timings.items()}
        return [
            self._result(
                prompt,
                p_yes[asset],
                share,
                {
                    "method": "prefix-cache",
                    "prefix_tokens": encoded.lengths[asset],
                    "question_tokens": [len(ids) for ids in encoded.question_ids[asset]],
                    "split_exact": encoded.split_exact[asset],
                    "batch_size": self.batch_size,
                    "assets_in_batch": count,
                    "question_attention": "cascade" if cascade else "copy",
                },
            )
            for asset, prompt in enumerate(prompts)
        ]

    def _guess_full_prompts(self, request: GuessRequest) -> GuessResult:
        """The exact path for models whose prefix cache would be inexact (``self.exact_path``):
        the full prompt of every question (the processor on prefix + question text and the
        media) in batches of ``batch_size`` rows, no cache. Equal to ``guess_uncached``, batched."""
        started = time.perf_counter()
        prompt = self.build_prompt(request)
        p_yes, lengths = [], []
        with torch.inference_mode():
            for start in range(0, len(prompt.question_texts), self.batch_size):
                texts = [prompt.prefix_text + text for text in prompt.question_texts[start : start + self.batch_size]]
                inputs = self.model_inputs(texts, prompt.images, prompt.add_special_tokens)
                if "attention_mask" in inputs:
                    last = inputs["attention_mask"].sum(dim=1).long() - 1
                else:
                    last = torch.full((len(texts),), inputs["input_ids"].shape[1] - 1, device=self.device)
                lengths += (last + 1).tolist()
                logits, _ = self._last_logits(inputs, last)
                p_yes += p_yes_from_logits(logits, self.yes_ids, self.no_ids).tolist()
            self._sync()
        timings = {"total": time.perf_counter() - started}
        details = {"method": "full-prompt", "exact_path": self.exact_path, "input_tokens": lengths}
        return self._result(prompt, p_yes, timings, {**details, "batch_size": self.batch_size})

    def guess_uncached(self, request: GuessRequest) -> GuessResult:
        """The reference: every question in its own full forward, media processed each time."""
        started = time.perf_counter()
        prompt = self.build_prompt(request)
        p_yes, lengths = [], []
        with torch.inference_mode():
            for text in prompt.question_texts:
                inputs = self.model_inputs([prompt.prefix_text + text], prompt.images, prompt.add_special_tokens)
                length = inputs["input_ids"].shape[1]
                lengths.append(length)
                logits, _ = self._last_logits(inputs, torch.tensor([length - 1], device=self.device))
                p_yes.append(p_yes_from_logits(logits, self.yes_ids, self.no_ids).item())
            self._sync()
        timings = {"total": time.perf_counter() - started}
        return self._result(prompt, p_yes, timings, {"method": "uncached", "input_tokens": lengths})

    def _full_inputs(self, prefix: dict, ids: list[list[int]]) -> tuple[dict, torch.Tensor]:
        """Full rows (prefix tokens + question tokens, right-padded) with the media inputs
        repeated per row: what a batch without a cache must feed."""
        batch = len(ids)
        prefix_ids = prefix["input_ids"][0].tolist()
        rows = [prefix_ids + row for row in ids]
        longest = max(len(row) for row in rows)
        input_ids = torch.full((batch, longest), self._pad_id, dtype=torch.long)
        mask = torch.zeros((batch, longest), dtype=torch.long)
        for index, row in enumerate(rows):
            input_ids[index, : len(row)] = torch.tensor(row, dtype=torch.long)
            mask[index, : len(row)] = 1
        inputs = {"input_ids": input_ids.to(self.device), "attention_mask": mask.to(self.device)}
        text_shape = prefix["input_ids"].shape
        for key, value in prefix.items():
            if key in inputs:
                continue
            if isinstance(value, torch.Tensor) and not value.is_floating_point() and value.shape == text_shape:
                extra = torch.zeros((batch, longest), dtype=value.dtype, device=self.device)
                extra[:, : text_shape[1]] = value
                inputs[key] = extra  # e.g. token types: the question part holds no image tokens
            elif _per_token_media_mask(value, text_shape):  # Mllama's cross_attention_mask: see _question_inputs
                extra = value[:, -1:].expand(batch, longest, *value.shape[2:]).clone()
                extra[:, : text_shape[1]] = value
                inputs[key] = extra
            elif isinstance(value, torch.Tensor):
                inputs[key] = torch.cat([value] * batch)  # pixel values, image sizes…: one copy per row
            else:
                inputs[key] = value
        last = torch.tensor([len(row) - 1 for row in rows], dtype=torch.long, device=self.device)
        return inputs, last

    def guess_full_batch(self, request: GuessRequest) -> GuessResult:
        """Full inputs (media tokens repeated per question) in batches of ``batch_size``, no cache.

        The media is processed once (as in ``guess``); every row runs the vision tower and the
        whole prefix again: the cost prefix caching removes. Models on the exact path
        (``self.exact_path``) already answer this way: their ``guess``."""
        if self.exact_path is not None:
            return self._guess_full_prompts(request)
        started = time.perf_counter()
        prompt = self.build_prompt(request)
        encoded = self._encode(prompt)
        timings = {"prepare": time.perf_counter() - started}
        questions = encoded.question_ids
        p_yes, lengths = [], []
        with torch.inference_mode():
            mark = time.perf_counter()
            for start in range(0, len(questions), self.batch_size):
                inputs, last = self._full_inputs(encoded.prefix, questions[start : start + self.batch_size])
                lengths += (last + 1).tolist()
                logits, _ = self._last_logits(inputs, last)
                p_yes += p_yes_from_logits(logits, self.yes_ids, self.no_ids).tolist()
            self._sync()
            timings["forward"] = time.perf_counter() - mark
        timings["total"] = time.perf_counter() - started
        return self._result(
            prompt,
            p_yes,
            timings,
            {"method": "full-batch", "input_tokens": lengths, "split_exact": encoded.split_exact},
        )

    def __repr__(self) -> str:
        return f"HFGuesser({self.name!r}, version={self.version!r}, device={self.device}, dtype={self.dtype})"
