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
from dataclasses import dataclass, field

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
    memo: dict = field(default_factory=dict)  # index and mask tensors, built at the first layer


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

    # 1. The prefix: one batched matmul for all the batch's assets.
    out = _prefix_batched(context, query, prefix_keys, prefix_values, m2, l2, o2, scale)
    out = out.reshape(batch, heads, length, dim).to(query.dtype)
    return out.transpose(1, 2).contiguous(), None


def _prefix_batched(context, query, prefix_keys, prefix_values, m2, l2, o2, scale):
    """Part 1 for all segments at once: the segments' prefix KV stacked ``[A, kv, W, dim]`` (a
    slice when the assets are consecutive, else ``index_select``: one copy per asset, not per
    row), each segment's rows' queries ``[A, kv, R·groups·L, dim]`` (``R`` the most rows of a
    segment; shorter segments padded with a repeated row, dropped after), positions at or past
    an asset's true length masked; merged with part 2."""
    batch, heads, length, dim = query.shape
    kv_heads = prefix_keys.shape[1]
    groups = heads // kv_heads
    plan = context.memo.get("plan")
    if plan is None or plan["device"] != query.device:
        plan = context.memo["plan"] = _plan(context, batch, query.device, prefix_keys.device)
    count, most, width = plan["count"], plan["most"], plan["width"]
    if plan["first"] is not None:
        first = plan["first"]
        k1 = prefix_keys[first : first + count, :, :width]  # a view
        v1 = prefix_values[first : first + count, :, :width]
    else:
        k1 = prefix_keys[:, :, :width].index_select(0, plan["assets"])
        v1 = prefix_values[:, :, :width].index_select(0, plan["assets"])
    rows = plan["rows"]
    q = query if rows is None else query.index_select(0, rows)
    # [A·R, heads, L, dim] -> [A, kv, R·groups·L, dim]
    q1 = q.reshape(count, most, kv_heads, groups, length, dim).transpose(1, 2)
    q1 = q1.reshape(count, kv_heads, most * groups * length, dim)
    s1 = torch.matmul(q1, k1.transpose(-1, -2)).float() * scale  # [A, kv, R·groups·L, W]
    if plan["padding"] is not None:
        s1 = s1.masked_fill(plan["padding"], float("-inf"))
    m1 = s1.amax(dim=-1, keepdim=True)
    e1 = torch.exp(s1 - m1)
    l1 = e1.sum(dim=-1, keepdim=True)
    o1 = torch.matmul(e1.to(v1.dtype), v1).float()  # [A, kv, R·groups·L, dim]

    def per_row(x):  # [A, kv, R·groups·L, n] -> [A·R, kv, groups, L, n]
        n = x.shape[-1]
        x = x.view(count, kv_heads, most, groups, length, n).transpose(1, 2)
        return x.reshape(count * most, kv_heads, groups, length, n)

    m1, l1, o1 = per_row(m1), per_row(l1), per_row(o1)
    if rows is not None:  # back to the batch's rows: each real row once
        real = plan["real"]
        m1, l1, o1 = m1.index_select(0, real), l1.index_select(0, real), o1.index_select(0, real)
    m = torch.maximum(m1, m2)
    w1, w2 = torch.exp(m1 - m), torch.exp(m2 - m)
    return (o1 * w1 + o2 * w2) / (l1 * w1 + l2 * w2)


def _plan(context: CascadeContext, batch: int, device, kv_device) -> dict:
    """What every layer of ``_prefix_batched`` needs (the same for all layers): the segments'
    assets (a first index when consecutive), the rows to gather (None when every segment has
    as many rows, in order), the real rows to keep, and the prefix padding mask."""
    segments = context.segments
    if [start for _, start, _ in segments] != [0] + [stop for _, _, stop in segments[:-1]] or segments[-1][2] != batch:
        raise ValueError("the segments must cover the batch's rows in order")
    count = len(segments)
    assets = [asset for asset, _, _ in segments]
    sizes = [stop - start for _, start, stop in segments]
    most = max(sizes)
    lengths = [context.lengths[asset] for asset in assets]
    width = max(lengths)
    consecutive = assets == list(range(assets[0], assets[0] + count))
    plan = {
        "device": device,
        "count": count,
        "most": most,
        "width": width,
        "first": assets[0] if consecutive else None,
        "assets": None if consecutive else torch.tensor(assets, dtype=torch.long, device=kv_device),
        "rows": None,
        "real": None,
        "padding": None,
    }
    if any(size != most for size in sizes):  # pad each segment to ``most`` rows with its last row
        picks = [start + min(r, stop - start - 1) for _, start, stop in segments for r in range(most)]
        real = [a * most + r for a, size in enumerate(sizes) for r in range(size)]
        plan["rows"] = torch.tensor(picks, dtype=torch.long, device=device)
        plan["real"] = torch.tensor(real, dtype=torch.long, device=device)
    if any(n < width for n in lengths):
        limit = torch.tensor(lengths, dtype=torch.long).view(count, 1, 1, 1)
        plan["padding"] = (torch.arange(width).view(1, 1, 1, width) >= limit).to(device)
    return plan


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
