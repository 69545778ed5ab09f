"""VisionReward-Image from its SwissArmyTransformer (SAT) checkpoint to a folder the CogVLM guesser
loads (``manage.py convert_visionreward_image SRC DST --code CODE``).

THUDM/VisionReward-Image is a CogVLM2 (Llama-3 8B with a visual expert, an EVA-CLIP vision
tower) fine-tuned and released in SAT's layout, which no Hugging Face loader reads:

    SRC/model_config.json                    SAT's model arguments (hidden_size, num_layers, eva_args…)
    SRC/latest                               the iteration folder's name (e.g. ``1``)
    SRC/<latest>/mp_rank_00_model_states.pt  ``{"module": state_dict}`` with SAT's parameter names

The conversion renames every parameter to the names of the Hugging Face CogVLM2 code
(``THUDM/cogvlm2-llama3-chat-19B``'s ``modeling_cogvlm.py``: ``model.layers.N.self_attn.
vision_expert_query_key_value`` …, see :data:`RULES`), writes them as safetensors, and writes a
``config.json`` made from that code's own config with SAT's sizes put in, plus
``template_version: "vqa"`` (the reference ``inference-image.py``'s default). The model code
itself is not ours to ship: ``code`` is a folder holding a CogVLM2 Hugging Face repository's files
(its ``*.py`` and ``config.json``), which are copied; ``tokenizer`` (default: ``code``) is where
the tokenizer files come from (the reference uses ``meta-llama/Meta-Llama-3-8B-Instruct``'s). The
result runs the copied code, so registering it needs ``trust_remote_code`` like VisionReward-Video.

Nothing is dropped silently: a SAT parameter no rule knows, or one a rule names twice, stops the
conversion with its name. The checkpoint is read with ``torch.load(weights_only=True)`` (no
arbitrary unpickling) and memory-mapped.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["RULES", "ConversionError", "ConversionReport", "convert_sat_cogvlm", "hf_name", "sat_config_to_hf"]

CHECKPOINT_NAME = "mp_rank_00_model_states.pt"
TEMPLATE_VERSION = "vqa"
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "tokenizer.model",
    "generation_config.json",
)
SHARD_BYTES = 4 * 1024**3

_LM = r"transformer\.layers\.(\d+)\."
_VIT = r"mixins\.eva\.vit_model\."
# SAT name (regex, full match) → Hugging Face CogVLM2 name (a template on the groups).
RULES: list[tuple[str, str]] = [
    (r"transformer\.word_embeddings\.weight", "model.embed_tokens.weight"),
    (r"transformer\.final_layernorm\.weight", "model.norm.weight"),
    (r"mixins\.lm\.lm_head\.weight", "lm_head.weight"),
    (rf"{_LM}(input_layernorm|post_attention_layernorm)\.weight", r"model.layers.\1.\2.weight"),
    (
        rf"{_LM}attention\.query_key_value\.(weight|bias)",
        r"model.layers.\1.self_attn.language_expert_query_key_value.\2",
    ),
    (rf"{_LM}attention\.dense\.(weight|bias)", r"model.layers.\1.self_attn.language_expert_dense.\2"),
    (rf"{_LM}mlp\.dense_h_to_4h\.weight", r"model.layers.\1.mlp.language_mlp.up_proj.weight"),
    (rf"{_LM}mlp\.dense_4h_to_h\.weight", r"model.layers.\1.mlp.language_mlp.down_proj.weight"),
    (r"mixins\.mlp\.gate_proj\.(\d+)\.weight", r"model.layers.\1.mlp.language_mlp.gate_proj.weight"),
    (r"mixins\.mlp\.vision_gate_proj\.(\d+)\.weight", r"model.layers.\1.mlp.vision_mlp.gate_proj.weight"),
    (r"mixins\.mlp\.vision_dense_h_to_4h_list\.(\d+)\.weight", r"model.layers.\1.mlp.vision_mlp.up_proj.weight"),
    (r"mixins\.mlp\.vision_dense_4h_to_h_list\.(\d+)\.weight", r"model.layers.\1.mlp.vision_mlp.down_proj.weight"),
    (
        r"mixins\.rotary\.vision_query_key_value_list\.(\d+)\.(weight|bias)",
        r"model.layers.\1.self_attn.vision_expert_query_key_value.\2",
    ),
    (r"mixins\.rotary\.vision_dense_list\.(\d+)\.(weight|bias)", r"model.layers.\1.self_attn.vision_expert_dense.\2"),
    (rf"{_VIT}mixins\.patch_embedding\.proj\.(weight|bias)", r"model.vision.patch_embedding.proj.\1"),
    (rf"{_VIT}mixins\.patch_embedding\.cls_embedding", "model.vision.patch_embedding.cls_embedding"),
    (rf"{_VIT}transformer\.position_embeddings\.weight", "model.vision.patch_embedding.position_embedding.weight"),
    (
        rf"{_VIT}transformer\.layers\.(\d+)\.(input_layernorm|post_attention_layernorm)\.(weight|bias)",
        r"model.vision.transformer.layers.\1.\2.\3",
    ),
    (
        rf"{_VIT}transformer\.layers\.(\d+)\.attention\.(query_key_value|dense)\.(weight|bias)",
        r"model.vision.transformer.layers.\1.attention.\2.\3",
    ),
    (
        rf"{_VIT}transformer\.layers\.(\d+)\.mlp\.dense_h_to_4h\.(weight|bias)",
        r"model.vision.transformer.layers.\1.mlp.fc1.\2",
    ),
    (
        rf"{_VIT}transformer\.layers\.(\d+)\.mlp\.dense_4h_to_h\.(weight|bias)",
        r"model.vision.transformer.layers.\1.mlp.fc2.\2",
    ),
    (r"mixins\.eva\.linear_proj\.(\w+)\.(weight|bias)", r"model.vision.linear_proj.\1.\2"),
    (r"mixins\.eva\.conv\.(weight|bias)", r"model.vision.conv.\1"),
    (r"mixins\.eva\.(boi|eoi)", r"model.vision.\1"),
]
# SAT parameters with no counterpart (the ViT's unused token embedding and final norm in SAT's
# base transformer): left out, and listed in the report.
DROPPED = [rf"{_VIT}transformer\.word_embeddings\.weight", rf"{_VIT}transformer\.final_layernorm\.(weight|bias)"]
_COMPILED = [(re.compile(pattern), template) for pattern, template in RULES]
_DROPPED = [re.compile(pattern) for pattern in DROPPED]

# SAT model_config.json key → Hugging Face CogVLM2 config key (language model; vision in eva_args).
LM_KEYS = {
    "hidden_size": "hidden_size",
    "num_layers": "num_hidden_layers",
    "num_attention_heads": "num_attention_heads",
    "vocab_size": "vocab_size",
    "inner_hidden_size": "intermediate_size",
    "layernorm_epsilon": "rms_norm_eps",
    "num_multi_query_heads": "num_multi_query_heads",
    "max_sequence_length": "max_position_embeddings",
}
VISION_KEYS = {
    "image_size": "image_size",
    "patch_size": "patch_size",
    "hidden_size": "hidden_size",
    "num_layers": "num_hidden_layers",
    "num_attention_heads": "num_heads",
    "inner_hidden_size": "intermediate_size",
    "layernorm_epsilon": "layer_norm_eps",
    "in_channels": "in_channels",
}


class ConversionError(Exception):
    """The source is not a convertible SAT CogVLM2 checkpoint (what is wrong is in the message)."""


@dataclass
class ConversionReport:
    destination: Path
    parameters: int = 0
    tensors: int = 0
    dropped: list[str] = field(default_factory=list)
    code_files: list[str] = field(default_factory=list)
    tokenizer_files: list[str] = field(default_factory=list)
    checkpoint: Path | None = None


def hf_name(sat_name: str) -> str | None:
    """The Hugging Face CogVLM2 name of a SAT parameter; None for one that is dropped.
    Raises :class:`ConversionError` for a name no rule knows."""
    for pattern, template in _COMPILED:
        match = pattern.fullmatch(sat_name)
        if match:
            return match.expand(template)
    if any(pattern.fullmatch(sat_name) for pattern in _DROPPED):
        return None
    raise ConversionError(f"unknown SAT parameter {sat_name!r}: no conversion rule names it")


def sat_config_to_hf(sat: dict, base: dict | None = None) -> dict:
    """``base`` (the code's own ``config.json``) with SAT's sizes put in, ``template_version`` vqa."""
    config = dict(base or {})
    for sat_key, hf_key in LM_KEYS.items():
        if sat.get(sat_key) is not None:
            config[hf_key] = sat[sat_key]
    eva = sat.get("eva_args") or {}
    vision = dict(config.get("vision_config") or {})
    for sat_key, hf_key in VISION_KEYS.items():
        value = eva.get(sat_key)
        if value is None:
            continue
        if isinstance(value, list | tuple):  # SAT writes image_size as [H, W]
            if len(set(value)) != 1:
                raise ConversionError(f"eva_args.{sat_key} {value}: only square images are supported")
            value = value[0]
        vision[hf_key] = value
    config["vision_config"] = vision
    config["template_version"] = TEMPLATE_VERSION
    config.pop("_name_or_path", None)
    return config


def _checkpoint_file(source: Path) -> Path:
    latest = source / "latest"
    if latest.is_file():
        folder = source / latest.read_text(encoding="utf-8").strip()
        file = folder / CHECKPOINT_NAME
        if not file.is_file():
            raise ConversionError(f"{latest} names {folder.name!r}, but {file} does not exist")
    else:
        found = sorted(source.glob(f"*/{CHECKPOINT_NAME}")) + sorted(source.glob(CHECKPOINT_NAME))
        if not found:
            raise ConversionError(f"{source} has no 'latest' file and no */{CHECKPOINT_NAME}: not a SAT checkpoint")
        if len(found) > 1:
            raise ConversionError(f"{source} holds several checkpoints ({', '.join(map(str, found))}); add 'latest'")
        file = found[0]
    if any(file.parent.glob("mp_rank_0[1-9]_model_states.pt")):
        raise ConversionError(f"{file.parent} is split for model parallelism: merge it to one rank first")
    return file


def _load_state(file: Path) -> dict:
    import torch

    try:
        data = torch.load(file, map_location="cpu", weights_only=True, mmap=True)
    except Exception as exc:
        raise ConversionError(
            f"cannot read {file} as tensors only ({exc}); checkpoints holding other objects are not unpickled"
        ) from exc
    state = data.get("module", data) if isinstance(data, dict) else None
    if not isinstance(state, dict) or not state:
        raise ConversionError(f"{file} holds no state dict (expected {{'module': {{name: tensor}}}})")
    return state


def _save_shards(tensors: dict, destination: Path, shard_bytes: int) -> None:
    from safetensors.torch import save_file

    shards: list[dict] = [{}]
    size = 0
    for name, tensor in tensors.items():
        nbytes = tensor.numel() * tensor.element_size()
        if shards[-1] and size + nbytes > shard_bytes:
            shards.append({})
            size = 0
        shards[-1][name] = tensor.contiguous()
        size += nbytes
    if len(shards) == 1:
        save_file(shards[0], str(destination / "model.safetensors"), metadata={"format": "pt"})
        return
    weight_map = {}
    for index, shard in enumerate(shards, start=1):
        file = f"model-{index:05d}-of-{len(shards):05d}.safetensors"
        save_file(shard, str(destination / file), metadata={"format": "pt"})
        weight_map.update(dict.fromkeys(shard, file))
    total = sum(t.numel() * t.element_size() for t in tensors.values())
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    (destination / "model.safetensors.index.json").write_text(json.dumps(index, indent=2), encoding="utf-8")


def convert_sat_cogvlm(
    source: Path | str,
    destination: Path | str,
    *,
    code: Path | str,
    tokenizer: Path | str | None = None,
    dtype: str | None = None,
    shard_bytes: int = SHARD_BYTES,
    log: Callable[[str], None] | None = None,
) -> ConversionReport:
    """Convert the SAT checkpoint folder ``source`` into the Hugging Face folder ``destination``
    (created; must be empty or absent). ``dtype`` (``bfloat16``, ``float16``, ``float32``) casts
    floating tensors; by default they keep the checkpoint's dtype."""
    import torch

    source, destination, code = Path(source), Path(destination), Path(code)
    tokenizer = Path(tokenizer) if tokenizer else code
    say = log or (lambda message: None)
    config_file = source / "model_config.json"
    if not config_file.is_file():
        raise ConversionError(f"{source} has no model_config.json: not a SAT checkpoint folder")
    try:
        sat_config = json.loads(config_file.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ConversionError(f"{config_file} is not JSON: {exc}") from exc
    code_files = sorted(p for p in code.glob("*.py")) if code.is_dir() else []
    if not code_files:
        raise ConversionError(
            f"{code} holds no model code (*.py): pass --code a CogVLM2 Hugging Face repository's folder "
            "(e.g. a download of THUDM/cogvlm2-llama3-chat-19B)"
        )
    base_file = code / "config.json"
    base = json.loads(base_file.read_text(encoding="utf-8")) if base_file.is_file() else {}
    if not base.get("auto_map"):
        raise ConversionError(f"{base_file} has no auto_map: the converted model could not find its code")
    if destination.exists() and any(destination.iterdir()):
        raise ConversionError(f"{destination} is not empty")
    cast = None
    if dtype:
        cast = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}.get(dtype)
        if cast is None:
            raise ConversionError(f"unknown dtype {dtype!r} (use bfloat16, float16 or float32)")

    checkpoint = _checkpoint_file(source)
    say(f"reading {checkpoint}")
    state = _load_state(checkpoint)
    report = ConversionReport(destination=destination, checkpoint=checkpoint)
    converted: dict = {}
    for name, tensor in state.items():
        if not isinstance(tensor, torch.Tensor):
            raise ConversionError(f"SAT parameter {name!r} is not a tensor ({type(tensor).__name__})")
        target = hf_name(name)
        if target is None:
            report.dropped.append(name)
            continue
        if target in converted:
            raise ConversionError(f"two SAT parameters map to {target!r} (the second is {name!r})")
        if cast is not None and tensor.is_floating_point():
            tensor = tensor.to(cast)
        converted[target] = tensor
        report.parameters += tensor.numel()
    report.tensors = len(converted)

    destination.mkdir(parents=True, exist_ok=True)
    say(f"writing {len(converted)} tensors ({report.parameters:,} parameters) to {destination}")
    _save_shards(converted, destination, shard_bytes)
    config = sat_config_to_hf(sat_config, base)
    if cast is not None:
        config["torch_dtype"] = config["dtype"] = dtype
    (destination / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True), encoding="utf-8")
    for file in code_files:
        shutil.copy(file, destination / file.name)
        report.code_files.append(file.name)
    for name in TOKENIZER_FILES:
        if (tokenizer / name).is_file():
            shutil.copy(tokenizer / name, destination / name)
            report.tokenizer_files.append(name)
    if not report.tokenizer_files:
        say(f"warning: no tokenizer files in {tokenizer}; copy the Llama-3 tokenizer into {destination}")
    return report
