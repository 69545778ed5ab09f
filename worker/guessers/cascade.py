"""Shared-prefix ("cascade") attention for the question forward of ``HFGuesser``.

The copy path (``HFGuesser._select_cache``) gives every question row its own copy of its
asset's prefix keys/values (the cache update concatenates the question's onto them): on a GPU
that is ``p × layers`` KV copied per row. Here the question forward runs **without a cache**:
each layer's attention is split in two and merged exactly with log-sum-exp:

1. the question tokens of all rows of one asset against that asset's prefix keys (one matmul
   per asset, the rows' queries stacked; the prefix KV is read in place, sliced to the asset's
   true length so its padding is never attended; grouped-query heads by view, no copy);
2. each row's question tokens against its own question keys, causal (a row's padding only
   follows its real tokens, so causal alone keeps real queries off it);

``o = (e^{m1-m}·O1 + e^{m2-m}·O2) / (e^{m1-m}·l1 + e^{m2-m}·l2)`` with ``O`` the unnormalised
outputs, ``l`` the softmax denominators and ``m`` the row maxima. Positions (RoPE) are the
explicit ``position_ids`` the guesser passes (after each asset's true prefix length).

The attention function is registered as :data:`IMPLEMENTATION`; :func:`cascade_attention`
switches the language model's config to it for one forward, and the context reaches it through
the forward's keyword arguments (:data:`KWARG`). That implementation has no mask function, so
the model builds no mask: the masks are the ones described above. Only Llama decoders
(:func:`supported`), e.g. LLaVA's language model.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

IMPLEMENTATION = "vr_cascade"
KWARG = "vr_cascade"

__all__ = ["IMPLEMENTATION", "KWARG", "CascadeContext", "cascade_attention", "register", "supported"]


@dataclass
class CascadeContext:
    """The prefix KV (a plain dynamic cache: ``keys``/``values`` ``[count, kv_heads, width,
    head_dim]`` per layer) and the rows of this batch: ``segments`` are ``(asset, start, stop)``,
    rows ``start:stop`` of the batch being questions of ``asset``; ``lengths`` the assets' true
    prefix lengths."""

    layers: list  # per layer: (keys, values)
    segments: list[tuple[int, int, int]]
    lengths: list[int]


def segments_of(assets: list[int]) -> list[tuple[int, int, int]]:
    """Runs of equal assets in ``assets`` (rows must already be grouped by asset)."""
    out: list[tuple[int, int, int]] = []
    for row, asset in enumerate(assets):
        if out and out[-1][0] == asset:
            out[-1] = (asset, out[-1][1], row + 1)
        else:
            out.append((asset, row, row + 1))
    if len({asset for asset, _, _ in out}) != len(out):
        raise ValueError("rows of one asset must be contiguous")
    return out


def _attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kwargs):
    """Attention function (the ``AttentionInterface`` signature); returns ``[batch, q, heads, dim]``."""
    context: CascadeContext | None = kwargs.get(KWARG)
    if context is None:
        raise RuntimeError(f"the {IMPLEMENTATION!r} attention needs its context (keyword {KWARG!r})")
    batch, heads, length, dim = query.shape
    kv_heads = key.shape[1]
    groups = heads // kv_heads
    scale = scaling if scaling is not None else dim**-0.5
    prefix_keys, prefix_values = context.layers[module.layer_idx]

    # 2. The rows' own question tokens, causal: [batch, kv_heads, groups·length, dim] queries.
    q = query.reshape(batch, kv_heads, groups * length, dim)
    s2 = torch.matmul(q, key.transpose(-1, -2)).float() * scale  # [batch, kv, groups·L, L]
    s2 = s2.view(batch, kv_heads, groups, length, length)
    causal = torch.ones(length, length, dtype=torch.bool, device=query.device).tril()
    s2 = s2.masked_fill(~causal, float("-inf"))
    m2 = s2.amax(dim=-1, keepdim=True)
    e2 = torch.exp(s2 - m2)
    l2 = e2.sum(dim=-1, keepdim=True)
    o2 = torch.matmul(e2.view(batch, kv_heads, groups * length, length).to(value.dtype), value)
    o2 = o2.float().view(batch, kv_heads, groups, length, dim)

    # 1. The prefix, one asset at a time: its rows' queries stacked, its KV read in place.
    out = torch.empty(batch, kv_heads, groups, length, dim, dtype=torch.float32, device=query.device)
    for asset, start, stop in context.segments:
        rows = stop - start
        width = context.lengths[asset]
        k1 = prefix_keys[asset, :, :width]  # [kv, P, dim], a view
        v1 = prefix_values[asset, :, :width]
        # [rows, kv, groups, L, dim] -> [kv, rows·groups·L, dim] (a copy of the queries only)
        q1 = query[start:stop].reshape(rows, kv_heads, groups, length, dim).transpose(0, 1)
        q1 = q1.reshape(kv_heads, rows * groups * length, dim)
        s1 = torch.matmul(q1, k1.transpose(-1, -2)).float() * scale  # [kv, rows·groups·L, P]
        m1 = s1.amax(dim=-1, keepdim=True)
        e1 = torch.exp(s1 - m1)
        l1 = e1.sum(dim=-1, keepdim=True)
        o1 = torch.matmul(e1.to(v1.dtype), v1).float()  # [kv, rows·groups·L, dim]
        shape = (kv_heads, rows, groups, length, 1)
        m1 = m1.view(shape).transpose(0, 1)
        l1 = l1.view(shape).transpose(0, 1)
        o1 = o1.view(kv_heads, rows, groups, length, dim).transpose(0, 1)
        m2_, l2_, o2_ = m2[start:stop], l2[start:stop], o2[start:stop]
        m = torch.maximum(m1, m2_)
        w1, w2 = torch.exp(m1 - m), torch.exp(m2_ - m)
        out[start:stop] = (o1 * w1 + o2_ * w2) / (l1 * w1 + l2_ * w2)
    out = out.view(batch, heads, length, dim).to(query.dtype)
    return out.transpose(1, 2).contiguous(), None


_registered = False


def register() -> None:
    global _registered
    if not _registered:
        from transformers import AttentionInterface

        AttentionInterface.register(IMPLEMENTATION, _attention)
        _registered = True


def language_model(model):
    """The decoder (``LlamaModel``) of a LLaVA-style model, or of a causal LM; None if not found."""
    for getter in ("get_decoder",):
        decoder = getattr(model, getter, None)
        if callable(decoder):
            with contextlib.suppress(Exception):
                found = decoder()
                if found is not None and hasattr(found, "layers"):
                    return found
    inner = getattr(model, "model", None)
    found = getattr(inner, "language_model", None)
    return found if found is not None and hasattr(found, "layers") else None


def supported(model) -> str | None:
    """None when cascade attention can run on ``model``, else why not."""
    try:
        from transformers.models.llama.modeling_llama import LlamaAttention, LlamaModel
    except ImportError:  # pragma: no cover
        return "transformers has no Llama"
    decoder = language_model(model)
    if type(decoder) is not LlamaModel:
        return f"the language model is {type(decoder).__name__}, not LlamaModel"
    if not all(type(layer.self_attn) is LlamaAttention for layer in decoder.layers):
        return "an attention layer is not LlamaAttention"
    if getattr(decoder.config, "sliding_window", None):
        return "sliding-window attention"
    return None


@contextlib.contextmanager
def cascade_attention(model):
    """The language model's attention switched to :data:`IMPLEMENTATION` for one forward."""
    register()
    config = language_model(model).config
    previous = config._attn_implementation
    config._attn_implementation = IMPLEMENTATION
    try:
        yield
    finally:
        config._attn_implementation = previous
