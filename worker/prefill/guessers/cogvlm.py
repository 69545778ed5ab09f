"""VisionReward's released models (CogVLM2 and CogVLM2-Video, with their own code) as guessers.

THUDM/VisionReward-Video is a CogVLM2-Video checkpoint whose repository ships its model code
(``auto_map`` in ``config.json``, loaded with ``trust_remote_code``) and a tokenizer, but no
processor: the model itself turns a conversation into inputs with
``model.build_conversation_input_ids(tokenizer, query=..., images=[video], history=[],
template_version='chat')``, where ``video`` is the clip's frames as one uint8 tensor
``(C, T, H, W)``. The reference script (``inference-video.py``) samples one frame per whole
second, at most 24 (``load_video(strategy='chat')``), which is exactly what the platform
extracts at import (``worker/media/videos.py``), so the guesser gives the model every sampled
frame of the asset (``ModelSpec.max_frames`` does not apply). The query is the checklist
question itself (``[[prompt]]`` filled), with no instruction around it, as in the reference.
VisionReward-Image converted to this layout (``manage.py convert_visionreward_image``) is the
same kind of model for one image (``images=[PIL image]``).

How one asset is answered (:meth:`CogVLMGuesser.guess`):

1. **Every question's conversation** is what ``build_conversation_input_ids`` gives for it with
   the media. The media is transformed once: the conversation of the first question is built
   with the media, the others' text parts without it (``images=None``), and the media's tokens
   are spliced in; the last question is built in full as well and must match its spliced
   conversation, else every question is built with the media (``details["conversation"]``:
   ``"spliced"`` or ``"built per question"``).
2. **Positions** are the model's own: what its ``prepare_inputs_for_generation`` gives for the
   whole conversation, as generation's first step would (CogVLM gives the interior of an
   image's tokens one position), else ``0..L-1``.
3. **The shared prefix** (every token all questions share: BOS, the media's tokens, the common
   start of the text) runs once with the media (``use_cache=True``); the questions' remaining
   tokens then run in batches of ``batch_size`` from that cache (expanded to the batch as views;
   a legacy tuple cache or a ``Cache``), right-padded, with their own positions and token types.
4. P(yes) is read from the logits of each question's last token (``scoring.p_yes_from_logits``
   over every single-token spelling of yes/no, ``Yes``/``No`` included). Nothing is generated.

:meth:`CogVLMGuesser.guess_uncached` is the reference: each question's conversation built with
the media and run in one full forward, as the reference script's first generation step.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .base import GuesserError, GuessRequest, GuessResult
from .scoring import NoAnswerTokensError, p_yes_from_logits, yes_no_token_ids
from .sources import local_snapshot

__all__ = ["CogVLMGuesser", "cogvlm_architecture", "read_config_json"]

logger = logging.getLogger(__name__)

VIDEO_MAX_FRAMES = 24  # the reference's num_frames (one frame per whole second)
TEMPLATE_VERSION = "chat"  # what the video reference passes


def read_config_json(source: str, revision: str | None = None, local_files_only: bool = True) -> dict | None:
    """A model's ``config.json`` as data (no code runs): from the folder ``source``, or from the
    local Hugging Face cache (or the Hub, without ``local_files_only``) for a Hub id. None when
    there is none."""
    path = Path(str(source)).expanduser()
    if path.is_dir():
        file = path / "config.json"
    else:
        try:
            from huggingface_hub import hf_hub_download

            file = Path(
                hf_hub_download(str(source), "config.json", revision=revision, local_files_only=local_files_only)
            )
        except Exception:  # not a Hub id, not cached, offline: the caller's loader says why
            return None
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def cogvlm_architecture(config: dict | None) -> str | None:
    """The CogVLM architecture a ``config.json`` declares (its class name, e.g.
    ``CogVLMVideoForCausalLM``), or None when it is not a CogVLM / CogVLM2(-Video) model."""
    if not config:
        return None
    names = [str(name) for name in config.get("architectures") or []]
    names += [str(value).rsplit(".", 1)[-1] for value in (config.get("auto_map") or {}).values()]
    for name in names:
        if "cogvlm" in name.lower():
            return name
    if "cogvlm" in str(config.get("model_type", "")).lower():
        return names[0] if names else str(config["model_type"])
    return None


def _video_tensor(frames: list[Image.Image]) -> torch.Tensor:
    """The frames as one uint8 tensor ``(C, T, H, W)``, what the reference's decord reader gives
    (``get_batch(...).permute(3, 0, 1, 2)``); frames of another size are resized to the first's."""
    size = frames[0].size
    arrays = [np.asarray(f.convert("RGB") if f.size == size else f.convert("RGB").resize(size)) for f in frames]
    return torch.from_numpy(np.stack(arrays)).permute(3, 0, 1, 2).contiguous()


def _common_length(rows: list[list]) -> int:
    first, length = rows[0], min(len(row) for row in rows)
    for index in range(length):
        if any(row[index] != first[index] for row in rows[1:]):
            return index
    return length


class CogVLMGuesser:
    """A CogVLM2 / CogVLM2-Video model with its own code (VisionReward-Video, converted
    VisionReward-Image) as a guesser; see the module docstring.

    ``trust_remote_code`` must be True (the admin's explicit choice on the model spec): these
    models exist only as their repository's code. ``source`` is a local folder or a Hub id in
    the local cache (``local_files_only``).
    """

    assets_per_batch = 1  # one asset per prefix forward (media tokens differ in length)

    def __init__(
        self,
        source: str,
        *,
        revision: str | None = None,
        dtype: str | torch.dtype = "auto",
        device: str = "auto",
        batch_size: int = 16,
        trust_remote_code: bool = False,
        name: str | None = None,
        local_files_only: bool = True,
        template_version: str | None = None,
        max_frames: int = VIDEO_MAX_FRAMES,
    ):
        from .hf import _resolve_device, _resolve_dtype, model_version

        self.source = str(source)
        self.revision = revision
        self.local_files_only = local_files_only
        self.name = name or Path(self.source).name or self.source
        if batch_size < 1:
            raise GuesserError("batch_size must be at least 1")
        self.batch_size = batch_size
        self.max_frames = max(1, min(int(max_frames), VIDEO_MAX_FRAMES))
        raw = read_config_json(self.source, revision, local_files_only)
        self.architecture = cogvlm_architecture(raw) or "CogVLM"
        if not trust_remote_code:
            raise GuesserError(
                f"model {self.name!r} ({self.source}) is a {self.architecture} model, which runs only with its "
                "repository's own Python code: an admin with the 'allow remote code' permission must turn on "
                "trust_remote_code for this model (and confirm it) before it can load"
            )
        self.trust_remote_code = True
        self.device = _resolve_device(device)
        self.dtype = _resolve_dtype(dtype, self.device)
        started = time.perf_counter()
        self.model, self.tokenizer, config = self._load()
        self.version = model_version(self.source, revision, config)
        self.takes_video = "video" in self.architecture.lower()
        # The references: the video script passes 'chat'; the image script's default is 'vqa'
        # (a converted VisionReward-Image config says so in template_version).
        self.template_version = template_version or (
            TEMPLATE_VERSION if self.takes_video else getattr(config, "template_version", None) or "vqa"
        )
        try:
            self.yes_ids, self.no_ids = yes_no_token_ids(self.tokenizer)
        except NoAnswerTokensError as exc:
            raise GuesserError(f"model {self.name!r}: {exc}") from exc
        pad = self.tokenizer.pad_token_id
        self._pad_id = pad if pad is not None else (self.tokenizer.eos_token_id or 0)
        self.load_seconds = time.perf_counter() - started

    def _load(self):
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

        path = Path(self.source).expanduser()
        source = str(path) if path.exists() else self.source
        where = f"{self.architecture} model {source!r}" + (f" (revision {self.revision})" if self.revision else "")
        if not path.exists() and self.local_files_only:
            source = local_snapshot(self.source, self.revision, where)  # nothing goes online
        common = {"revision": self.revision, "trust_remote_code": True, "local_files_only": self.local_files_only}
        try:
            config = AutoConfig.from_pretrained(source, **common)
            tokenizer = AutoTokenizer.from_pretrained(source, **common)
            model = AutoModelForCausalLM.from_pretrained(source, config=config, dtype=self.dtype, **common)
        except ImportError as exc:
            raise GuesserError(
                f"cannot load {where}: its own code needs a Python package that is not installed ({exc}); "
                "install it in the workers' environment"
            ) from exc
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise GuesserError(f"cannot load {where}: {exc}") from exc
        if not callable(getattr(model, "build_conversation_input_ids", None)):
            raise GuesserError(f"{where} has no build_conversation_input_ids: not a CogVLM2-style model")
        return model.to(self.device).eval(), tokenizer, config

    # --- conversations --------------------------------------------------------------------

    def _media(self, request: GuessRequest):
        media = request.media
        if not media.frames:
            raise GuesserError("the media has no image or frame to look at")
        if self.takes_video:
            frames = media.frames[: self.max_frames]
            times = media.times[: len(frames)] if media.times else None
            return _video_tensor(frames), {"frames": len(frames), "frame_times": times}
        if media.kind == "video":
            raise GuesserError(f"model {self.name!r} ({self.architecture}) answers images, not videos")
        return media.frames[0].convert("RGB"), {"frames": 1}

    def _build(self, query: str, media=None) -> tuple[list[int], list[int], list]:
        try:
            built = self.model.build_conversation_input_ids(
                tokenizer=self.tokenizer,
                query=query,
                history=[],
                images=None if media is None else [media],
                template_version=self.template_version,
            )
        except (ValueError, TypeError, RuntimeError, IndexError) as exc:
            raise GuesserError(f"model {self.name!r} could not build its conversation: {exc}") from exc
        ids = [int(i) for i in built["input_ids"].reshape(-1).tolist()]
        types = built.get("token_type_ids")
        types = [0] * len(ids) if types is None else [int(t) for t in types.reshape(-1).tolist()]
        return ids, types, list(built.get("images") or [])

    def _conversations(self, queries: list[str], media):
        """Every question's (ids, types), the media tensors the model made, and how they were built."""
        ids0, types0, images = self._build(queries[0], media)
        if not images:
            raise GuesserError(f"model {self.name!r} made no media input from the {type(media).__name__}")
        texts = [self._build(query) for query in queries]
        head = _common_length([ids0, texts[0][0]])
        tail = texts[0][0][head:]
        exact = ids0[len(ids0) - len(tail) :] == tail and types0[len(types0) - len(tail) :] == texts[0][1][head:]
        if exact:
            media_ids, media_types = ids0[head : len(ids0) - len(tail)], types0[head : len(types0) - len(tail)]
            rows = [
                (ids[:head] + media_ids + ids[head:], types[:head] + media_types + types[head:])
                for ids, types, _ in texts
            ]
            if len(queries) > 1:
                last_ids, last_types, _ = self._build(queries[-1], media)
                exact = (last_ids, last_types) == rows[-1]
        if not exact:
            logger.info("%s: media tokens could not be spliced into the text; building every question", self.name)
            rows = [(ids0, types0)] + [self._build(query, media)[:2] for query in queries[1:]]
        return rows, images, "spliced" if exact else "built per question"

    def _positions(self, ids: list[int], types: list[int]) -> list[int]:
        """The positions the model's generation would give this conversation (else 0..L-1)."""
        input_ids = torch.tensor([ids], dtype=torch.long)
        try:
            prepared = self.model.prepare_inputs_for_generation(
                input_ids,
                token_type_ids=torch.tensor([types], dtype=torch.long),
                images=None,
                past_key_values=None,
                attention_mask=torch.ones_like(input_ids),
            )
            positions = prepared.get("position_ids")
        except Exception:  # a generation helper that needs more: plain positions
            positions = None
        if positions is None or tuple(positions.shape) != (1, len(ids)):
            return list(range(len(ids)))
        return [int(p) for p in positions[0].tolist()]

    def _media_input(self, images: list):
        return [[image.to(self.device, dtype=self.dtype) for image in images]]

    # --- model calls ----------------------------------------------------------------------

    def _forward(self, ids, types, positions, mask, *, images=None, cache=None, use_cache=False):
        def tensor(rows):
            return torch.tensor(rows, dtype=torch.long, device=self.device)

        kwargs = {
            "input_ids": tensor(ids),
            "token_type_ids": tensor(types),
            "position_ids": tensor(positions),
            "attention_mask": tensor(mask),
            "use_cache": use_cache or cache is not None,
        }
        if images is not None:
            kwargs["images"] = images
        if cache is not None:
            kwargs["past_key_values"] = cache
        out = self.model(**kwargs)
        returned = getattr(out, "past_key_values", None)
        if returned is None:
            returned = getattr(out, "cache", None)
        return out.logits, returned

    @staticmethod
    def _expand(cache, batch: int):
        """The one-row prefix cache for ``batch`` rows, leaving ``cache`` untouched: legacy tuples
        as views (the layers concatenate, never write), a ``Cache`` object copied and repeated."""
        if isinstance(cache, tuple | list):
            return tuple(tuple(t.expand(batch, *t.shape[1:]) for t in layer) for layer in cache)
        expanded = copy.deepcopy(cache)
        expanded.batch_repeat_interleave(batch)
        return expanded

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    # --- guessing -------------------------------------------------------------------------

    def _queries(self, request: GuessRequest) -> tuple[list[str], list[str]]:
        questions = request.checklist.questions
        if not questions:
            raise GuesserError("the checklist has no questions")
        return [q.key for q in questions], [q.render(request.prompt) for q in questions]

    def guess(self, request: GuessRequest) -> GuessResult:
        started = time.perf_counter()
        keys, queries = self._queries(request)
        media, details = self._media(request)
        rows, images, how = self._conversations(queries, media)
        positions = [self._positions(ids, types) for ids, types in rows]
        shortest = min(len(ids) for ids, _ in rows)
        prefix = min(_common_length([ids for ids, _ in rows]), _common_length([t for _, t in rows]), shortest - 1)
        prefix = min(prefix, _common_length(positions))
        # End the prefix between two language tokens: CogVLM picks a token's expert (and its
        # position) from its neighbours' types, so a forward must not stop inside a media run.
        while prefix > 1 and (rows[0][1][prefix - 1] != 0 or any(types[prefix] != 0 for _, types in rows)):
            prefix -= 1
        if prefix < 1:
            raise GuesserError(f"model {self.name!r}: the questions share no prefix to cache")
        timings = {"prepare": time.perf_counter() - started}
        p_yes = [0.0] * len(rows)
        with torch.inference_mode():
            mark = time.perf_counter()
            ids, types = rows[0]
            _, cache = self._forward(
                [ids[:prefix]],
                [types[:prefix]],
                [positions[0][:prefix]],
                [[1] * prefix],
                images=self._media_input(images),
                use_cache=True,
            )
            if cache is None:
                raise GuesserError(f"model {self.name!r} returned no KV cache for the prefix")
            self._sync()
            timings["prefix"] = time.perf_counter() - mark
            mark = time.perf_counter()
            order = sorted(range(len(rows)), key=lambda i: -len(rows[i][0]))
            for start in range(0, len(order), self.batch_size):
                chunk = order[start : start + self.batch_size]
                longest = max(len(rows[i][0]) for i in chunk) - prefix
                batch_ids, batch_types, batch_positions, batch_mask = [], [], [], []
                for i in chunk:
                    ids, types = rows[i]
                    pad = longest - (len(ids) - prefix)
                    batch_ids.append(ids[prefix:] + [self._pad_id] * pad)
                    batch_types.append(types[prefix:] + [0] * pad)
                    last = positions[i][-1]
                    batch_positions.append(positions[i][prefix:] + list(range(last + 1, last + 1 + pad)))
                    batch_mask.append([1] * len(ids) + [0] * pad)
                logits, _ = self._forward(
                    batch_ids, batch_types, batch_positions, batch_mask, cache=self._expand(cache, len(chunk))
                )
                ends = torch.tensor([len(rows[i][0]) - prefix - 1 for i in chunk], device=logits.device)
                last_logits = logits[torch.arange(len(chunk), device=logits.device), ends]
                answers = p_yes_from_logits(last_logits, self.yes_ids, self.no_ids).tolist()
                for i, value in zip(chunk, answers, strict=True):
                    p_yes[i] = value
            self._sync()
            timings["questions"] = time.perf_counter() - mark
        timings["total"] = time.perf_counter() - started
        return self._result(
            keys,
            p_yes,
            timings,
            {
                **details,
                "method": "prefix-cache",
                "prefix_tokens": prefix,
                "question_tokens": [len(ids) - prefix for ids, _ in rows],
                "conversation": how,
                "batch_size": self.batch_size,
            },
        )

    def guess_many(self, requests: list[GuessRequest]) -> list[GuessResult]:
        """``guess`` for each request, in order (one asset per prefix forward)."""
        return [self.guess(request) for request in requests]

    def guess_uncached(self, request: GuessRequest) -> GuessResult:
        """The reference: every question's conversation built with the media and run in one full
        forward (the reference script's first generation step), no cache."""
        started = time.perf_counter()
        keys, queries = self._queries(request)
        media, details = self._media(request)
        p_yes, lengths = [], []
        with torch.inference_mode():
            for query in queries:
                ids, types, images = self._build(query, media)
                logits, _ = self._forward(
                    [ids], [types], [self._positions(ids, types)], [[1] * len(ids)], images=self._media_input(images)
                )
                lengths.append(len(ids))
                p_yes.append(p_yes_from_logits(logits[:, -1], self.yes_ids, self.no_ids).item())
            self._sync()
        timings = {"total": time.perf_counter() - started}
        return self._result(keys, p_yes, timings, {**details, "method": "uncached", "input_tokens": lengths})

    def _result(self, keys, p_yes, timings, details) -> GuessResult:
        return GuessResult(
            p_yes=dict(zip(keys, p_yes, strict=True)),
            model_name=self.name,
            model_version=self.version,
            timings={key: round(value, 6) for key, value in timings.items()},
            details={
                **details,
                "architecture": self.architecture,
                "template_version": self.template_version,
                "remote_code": True,
            },
        )

    def __repr__(self) -> str:
        return f"CogVLMGuesser({self.name!r}, {self.architecture}, device={self.device}, dtype={self.dtype})"
