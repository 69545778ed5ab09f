"""A tiny CogVLM2-like vision-language model, written for the tests (not THUDM's code).

It has the interfaces the platform relies on in VisionReward's released models:

* ``build_conversation_input_ids(tokenizer, query=..., images=[...], history=[], template_version=...)``
  returns 1-D ``input_ids``, ``token_type_ids``, ``attention_mask`` and ``images`` (the model's
  own media transform). The video model takes ``images=[uint8 tensor (C, T, H, W)]`` (what
  decord gives after ``permute(3, 0, 1, 2)``); the image model ``images=[PIL image]``.
* ``forward(input_ids, images=[[tensor]], token_type_ids, attention_mask, position_ids,
  past_key_values, use_cache)`` with a legacy tuple KV cache (a ``DynamicCache`` with
  ``config.dynamic_cache``); ``images`` are only read when
  there is no cache.
* a visual expert: every layer has separate attention and MLP weights for vision tokens and
  language tokens, chosen by ``token_type_ids`` (a vision token followed by a language token
  counts as language);
* positions computed from the token types (a vision run takes two positions: its first token's,
  shared by its interior, and its last token's), as ``prepare_inputs_for_generation`` gives them.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from transformers import GenerationMixin, PreTrainedModel
from transformers.cache_utils import Cache, DynamicCache
from transformers.modeling_outputs import CausalLMOutputWithPast

from .configuration_tiny_cogvlm import TinyCogVLMConfig

LANGUAGE_TOKEN_TYPE = 0
VISION_TOKEN_TYPE = 1
MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)


def position_ids_from_types(token_type_ids: torch.Tensor) -> torch.Tensor:
    """Positions ``[B, L]``: one step per token, except the interior tokens of a vision run."""
    vision = token_type_ids == VISION_TOKEN_TYPE
    before = torch.zeros_like(vision)
    before[:, 1:] = vision[:, :-1]
    after = torch.zeros_like(vision)
    after[:, :-1] = vision[:, 1:]
    step = (~(vision & before & after)).long()
    return step.cumsum(dim=-1) - 1


class RMSNorm(nn.Module):
    def __init__(self, size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):
        scale = torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + self.eps)
        return (x.float() * scale).to(x.dtype) * self.weight


class GatedMLP(nn.Module):
    def __init__(self, hidden, inner):
        super().__init__()
        self.gate_proj = nn.Linear(hidden, inner, bias=False)
        self.up_proj = nn.Linear(hidden, inner, bias=False)
        self.down_proj = nn.Linear(inner, hidden, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class ExpertMLP(nn.Module):
    def __init__(self, hidden, inner):
        super().__init__()
        self.language_mlp = GatedMLP(hidden, inner)
        self.vision_mlp = GatedMLP(hidden, inner)

    def forward(self, x, vision):
        out = self.language_mlp(x)
        if vision.any():
            out = torch.where(vision.unsqueeze(-1), self.vision_mlp(x), out)
        return out


def rotate(x, positions, theta):
    half = x.shape[-1] // 2
    freqs = 1.0 / (theta ** (torch.arange(half, dtype=torch.float32, device=x.device) / half))
    angles = positions.float().unsqueeze(-1) * freqs  # [B, L, half]
    cos, sin = angles.cos()[:, None].to(x.dtype), angles.sin()[:, None].to(x.dtype)
    first, second = x[..., :half], x[..., half:]
    return torch.cat([first * cos - second * sin, first * sin + second * cos], dim=-1)


class ExpertAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        hidden = config.hidden_size
        self.heads = config.num_attention_heads
        self.head_dim = hidden // self.heads
        self.theta = config.rope_theta
        self.language_expert_query_key_value = nn.Linear(hidden, 3 * hidden, bias=False)
        self.vision_expert_query_key_value = nn.Linear(hidden, 3 * hidden, bias=True)
        self.language_expert_dense = nn.Linear(hidden, hidden, bias=False)
        self.vision_expert_dense = nn.Linear(hidden, hidden, bias=False)

    def forward(self, x, vision, positions, mask, past):
        batch, length, hidden = x.shape
        qkv = self.language_expert_query_key_value(x)
        if vision.any():
            qkv = torch.where(vision.unsqueeze(-1), self.vision_expert_query_key_value(x), qkv)
        q, k, v = qkv.view(batch, length, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k = rotate(q, positions, self.theta), rotate(k, positions, self.theta)
        if past is not None:  # the layer's earlier keys and values: (k, v), or (a Cache, the layer index)
            if isinstance(past[0], torch.Tensor):
                k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
            else:
                k, v = past[0].update(k, v, past[1])
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim)
        scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
        out = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(batch, length, hidden)
        dense = self.language_expert_dense(out)
        if vision.any():
            dense = torch.where(vision.unsqueeze(-1), self.vision_expert_dense(out), dense)
        return dense, (k, v)


class DecoderLayer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.input_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.self_attn = ExpertAttention(config)
        self.post_attention_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.mlp = ExpertMLP(config.hidden_size, config.intermediate_size)

    def forward(self, x, vision, positions, mask, past):
        attended, present = self.self_attn(self.input_layernorm(x), vision, positions, mask, past)
        x = x + attended
        return x + self.mlp(self.post_attention_layernorm(x), vision), present


class PatchEmbedding(nn.Module):
    def __init__(self, vision):
        super().__init__()
        width, patch = vision["hidden_size"], vision["patch_size"]
        self.proj = nn.Conv2d(3, width, patch, stride=patch)
        self.cls_embedding = nn.Parameter(torch.zeros(1, width))
        self.position_embedding = nn.Embedding((vision["image_size"] // patch) ** 2 + 1, width)

    def forward(self, frames):
        x = self.proj(frames).flatten(2).transpose(1, 2)  # [N, g*g, W]
        x = torch.cat([self.cls_embedding.expand(x.shape[0], -1, -1), x], dim=1)
        return x + self.position_embedding.weight.unsqueeze(0)


class VisionAttention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.query_key_value = nn.Linear(width, 3 * width)
        self.dense = nn.Linear(width, width)

    def forward(self, x):
        count, length, width = x.shape
        q, k, v = self.query_key_value(x).view(count, length, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        attention = (q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])).softmax(-1)
        return self.dense((attention @ v).transpose(1, 2).reshape(count, length, width))


class VisionMLP(nn.Module):
    def __init__(self, width, inner):
        super().__init__()
        self.fc1 = nn.Linear(width, inner)
        self.fc2 = nn.Linear(inner, width)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class VisionLayer(nn.Module):
    def __init__(self, vision):
        super().__init__()
        width = vision["hidden_size"]
        self.input_layernorm = nn.LayerNorm(width)
        self.attention = VisionAttention(width, vision.get("num_heads", 2))
        self.mlp = VisionMLP(width, vision.get("intermediate_size", 2 * width))
        self.post_attention_layernorm = nn.LayerNorm(width)

    def forward(self, x):
        x = x + self.input_layernorm(self.attention(x))
        return x + self.post_attention_layernorm(self.mlp(x))


class VisionTransformer(nn.Module):
    def __init__(self, vision):
        super().__init__()
        self.layers = nn.ModuleList(VisionLayer(vision) for _ in range(vision.get("num_hidden_layers", 1)))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class GLUProjection(nn.Module):
    def __init__(self, width, hidden, inner):
        super().__init__()
        self.linear_proj = nn.Linear(width, hidden, bias=False)
        self.norm1 = nn.LayerNorm(hidden)
        self.gate_proj = nn.Linear(hidden, inner, bias=False)
        self.dense_h_to_4h = nn.Linear(hidden, inner, bias=False)
        self.dense_4h_to_h = nn.Linear(inner, hidden, bias=False)

    def forward(self, x):
        x = F.gelu(self.norm1(self.linear_proj(x)))
        return self.dense_4h_to_h(F.silu(self.gate_proj(x)) * self.dense_h_to_4h(x))


class VisionEncoder(nn.Module):
    """Frames ``[N, 3, S, S]`` → ``[N, (S / patch / 2)^2 + 2, hidden]``: a small ViT (class token
    dropped), a 2x2 strided convolution, a gated projection, then begin/end-of-image vectors around
    each frame's tokens."""

    def __init__(self, config):
        super().__init__()
        vision = config.vision_config
        width = vision["hidden_size"]
        self.patch_embedding = PatchEmbedding(vision)
        self.transformer = VisionTransformer(vision)
        self.conv = nn.Conv2d(width, width, 2, stride=2)
        self.linear_proj = GLUProjection(width, config.hidden_size, config.intermediate_size)
        self.boi = nn.Parameter(torch.zeros(1, 1, config.hidden_size))
        self.eoi = nn.Parameter(torch.zeros(1, 1, config.hidden_size))

    def forward(self, frames):
        x = self.transformer(self.patch_embedding(frames))[:, 1:]
        count, length, width = x.shape
        grid = int(math.isqrt(length))
        x = self.conv(x.transpose(1, 2).reshape(count, width, grid, grid)).flatten(2).transpose(1, 2)
        x = self.linear_proj(x)
        boi, eoi = self.boi.expand(count, -1, -1), self.eoi.expand(count, -1, -1)
        return torch.cat([boi, x, eoi], dim=1)


def tokens_per_frame(config) -> int:
    vision = config.vision_config
    grid = vision["image_size"] // vision["patch_size"] // 2
    return grid * grid + 2


def _prompt(template_version, history, query):
    if template_version == "base":
        return query
    if template_version == "vqa":
        return "".join(f"Question: {old} Short answer: {answer}\n" for old, answer in history) + (
            f"Question: {query} Short answer:"
        )
    text = "".join(f"Question: {old} Answer: {answer}\n" for old, answer in history)
    return text + f"Question: {query} Answer:"


def _normalize(frames: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 or [0, 1] float frames ``[T, C, H, W]`` → shorter side ``size``, centre crop, CLIP normalisation."""
    frames = frames.float()
    if frames.max() > 1.0:
        frames = frames / 255.0
    height, width = frames.shape[-2:]
    scale = size / min(height, width)
    resized = (max(size, round(height * scale)), max(size, round(width * scale)))
    frames = F.interpolate(frames, size=resized, mode="bilinear", align_corners=False, antialias=True)
    top, left = (resized[0] - size) // 2, (resized[1] - size) // 2
    frames = frames[..., top : top + size, left : left + size]
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return (frames - mean) / std


class TinyCogVLMPreTrainedModel(PreTrainedModel):
    config_class = TinyCogVLMConfig
    base_model_prefix = "model"
    takes_video = False

    def _init_weights(self, module):
        std = self.config.initializer_range
        if isinstance(module, nn.Linear | nn.Conv2d):
            nn.init.normal_(module.weight, std=std)
            if module.bias is not None:
                nn.init.normal_(module.bias, std=std)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=std)
        elif isinstance(module, VisionEncoder):
            nn.init.normal_(module.boi, std=std)
            nn.init.normal_(module.eoi, std=std)
        elif isinstance(module, PatchEmbedding):
            nn.init.normal_(module.cls_embedding, std=std)


class TinyCogVLMModel(TinyCogVLMPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.vision = VisionEncoder(config)
        self.layers = nn.ModuleList(DecoderLayer(config) for _ in range(config.num_hidden_layers))
        self.norm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.post_init()

    def vision_features(self, images) -> list[torch.Tensor]:
        """Per sample, its media's tokens ``[n, hidden]`` (``images``: per sample, a list of tensors:
        ``[T, C, S, S]`` frames of a video, or one ``[C, S, S]`` image)."""
        out = []
        for sample in images:
            parts = []
            for media in sample:
                frames = media if media.ndim == 4 else media.unsqueeze(0)
                parts.append(self.vision(frames.to(self.embed_tokens.weight.dtype)).flatten(0, 1))
            out.append(torch.cat(parts) if parts else None)
        return out

    def forward(self, input_ids, images=None, token_type_ids=None, attention_mask=None, position_ids=None, past=None):
        batch, length = input_ids.shape
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        is_vision = token_type_ids == VISION_TOKEN_TYPE
        # the vision expert takes a vision token followed by another one (a run's last token,
        # its end-of-image vector, goes through the language expert): a token's expert depends
        # on its neighbour, so a forward must not end inside a vision run
        vision = torch.zeros_like(is_vision)
        vision[:, :-1] = is_vision[:, :-1] & is_vision[:, 1:]
        embeds = self.embed_tokens(input_ids)
        if past is None and is_vision.any():
            if images is None:
                raise ValueError("token_type_ids mark vision tokens but no images were given")
            embeds = embeds.clone()
            for row, features in enumerate(self.vision_features(images)):
                wanted = int(is_vision[row].sum())
                if features is None or features.shape[0] != wanted:
                    got = 0 if features is None else features.shape[0]
                    raise ValueError(f"row {row}: {wanted} vision tokens but the images give {got}")
                embeds[row, is_vision[row]] = features
        dynamic = isinstance(past, Cache) or (past is None and getattr(self.config, "dynamic_cache", False))
        if dynamic:  # a transformers Cache object (config.dynamic_cache), else legacy tuples
            past = past if past is not None else DynamicCache()
            past_length = past.get_seq_length()
        else:
            past_length = 0 if past is None else past[0][0].shape[2]
        if position_ids is None:
            if past_length:
                raise ValueError("with a cache, pass position_ids (vision runs share positions)")
            position_ids = position_ids_from_types(token_type_ids)
        if attention_mask is None:
            attention_mask = torch.ones((batch, past_length + length), dtype=torch.long, device=input_ids.device)
        keys = torch.arange(past_length + length, device=input_ids.device)
        queries = torch.arange(past_length, past_length + length, device=input_ids.device)
        causal = keys.unsqueeze(0) <= queries.unsqueeze(1)  # [L, K]
        mask = causal.unsqueeze(0) & attention_mask.bool().unsqueeze(1)  # [B, L, K]
        mask = mask.unsqueeze(1)
        x, presents = embeds, []
        for index, layer in enumerate(self.layers):
            layer_past = (past, index) if dynamic else (None if past is None else past[index])
            x, present = layer(x, vision, position_ids, mask, layer_past)
            presents.append(present)
        return self.norm(x), past if dynamic else tuple(presents)


class TinyCogVLMForCausalLM(TinyCogVLMPreTrainedModel, GenerationMixin):
    """The image model (one image per conversation, like CogVLM2's image chat model)."""

    def __init__(self, config):
        super().__init__(config)
        self.model = TinyCogVLMModel(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.post_init()

    def forward(
        self,
        input_ids=None,
        images=None,
        token_type_ids=None,
        attention_mask=None,
        position_ids=None,
        past_key_values=None,
        use_cache=None,
        return_dict=True,
        **kwargs,
    ):
        hidden, presents = self.model(
            input_ids,
            images=images,
            token_type_ids=token_type_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            past=past_key_values,
        )
        return CausalLMOutputWithPast(
            logits=self.lm_head(hidden).float(), past_key_values=presents if use_cache else None
        )

    def prepare_inputs_for_generation(
        self, input_ids, token_type_ids=None, images=None, past_key_values=None, attention_mask=None, **kwargs
    ):
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        position_ids = position_ids_from_types(token_type_ids)
        if past_key_values is not None:
            input_ids, token_type_ids, position_ids = input_ids[:, -1:], token_type_ids[:, -1:], position_ids[:, -1:]
            images = None
        return {
            "input_ids": input_ids,
            "token_type_ids": token_type_ids,
            "images": images,
            "position_ids": position_ids,
            "attention_mask": attention_mask,
            "past_key_values": past_key_values,
            "use_cache": kwargs.get("use_cache"),
        }

    def _media_tokens(self, tokenizer, images, template_version):
        """The image's tokens: ``(ids, types, images)``."""
        from PIL import Image

        size = self.config.vision_config["image_size"]
        image = images[0]
        if not isinstance(image, Image.Image):
            raise ValueError("the image model takes one PIL image")
        pixels = torch.from_numpy(np.array(image.convert("RGB"), dtype=np.float32)).permute(2, 0, 1).unsqueeze(0)
        tensor = _normalize(pixels, size)[0]
        count = tokens_per_frame(self.config)
        return [tokenizer.pad_token_id] * count, [VISION_TOKEN_TYPE] * count, [tensor]

    def build_conversation_input_ids(
        self, tokenizer, *, query, history=None, images=None, template_version=None, answer=None
    ):
        template_version = template_version or self.config.template_version
        if images is not None and len(images) > 1:
            raise ValueError("one image or video per conversation")
        input_ids, token_type_ids, media = [tokenizer.bos_token_id], [LANGUAGE_TOKEN_TYPE], []
        if images:
            ids, types, media = self._media_tokens(tokenizer, images, template_version)
            input_ids += ids
            token_type_ids += types
        text_ids = tokenizer.encode(_prompt(template_version, history or [], query), add_special_tokens=False)
        input_ids += text_ids
        token_type_ids += [LANGUAGE_TOKEN_TYPE] * len(text_ids)
        return {
            "input_ids": torch.tensor(input_ids, dtype=torch.long),
            "token_type_ids": torch.tensor(token_type_ids, dtype=torch.long),
            "attention_mask": torch.ones(len(input_ids), dtype=torch.long),
            "images": media,
        }


class TinyCogVLMVideoForCausalLM(TinyCogVLMForCausalLM):
    """The video model: frames of one clip, each frame's tokens followed by its time index in text
    (``template_version='chat'``), as CogVLM2-Video's chat template does."""

    takes_video = True

    def _media_tokens(self, tokenizer, images, template_version):
        video = images[0]
        if not isinstance(video, torch.Tensor) or video.ndim != 4 or video.shape[0] != 3:
            raise ValueError("the video model takes one tensor (C, T, H, W)")
        frames = _normalize(video.permute(1, 0, 2, 3), self.config.vision_config["image_size"])  # (T, C, S, S)
        count = tokens_per_frame(self.config)
        ids, types = [], []
        for index in range(frames.shape[0]):
            ids += [tokenizer.pad_token_id] * count
            types += [VISION_TOKEN_TYPE] * count
            if template_version == "chat":
                stamp = tokenizer.encode(str(index), add_special_tokens=False)
                ids += stamp
                types += [LANGUAGE_TOKEN_TYPE] * len(stamp)
        return ids, types, [frames]
