"""VisionReward-Image: a SwissArmyTransformer-shaped CogVLM2 checkpoint (written by the test from a
tiny model, with SAT's parameter names) converted by ``manage.py convert_visionreward_image`` into
a folder the CogVLM guesser loads, answering exactly as the model it came from."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from django.core.management import CommandError, call_command
from PIL import Image

from annotator.checklist import load_builtin
from worker.prefill.guessers.base import GuesserError, GuessRequest, MediaInput
from worker.prefill.guessers.cogvlm import CogVLMGuesser
from worker.prefill.guessers.cogvlm_sat import ConversionError, convert_sat_cogvlm, hf_name

TOLERANCE = 1e-4


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny models: one thread is many times faster than several on a shared CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# The SAT names of the Hugging Face CogVLM2 parameters (the oracle, written out by hand).
SAT_OF_HF = [
    (r"model\.embed_tokens\.weight", "transformer.word_embeddings.weight"),
    (r"model\.norm\.weight", "transformer.final_layernorm.weight"),
    (r"lm_head\.weight", "mixins.lm.lm_head.weight"),
    (r"model\.layers\.(\d+)\.input_layernorm\.weight", r"transformer.layers.\1.input_layernorm.weight"),
    (
        r"model\.layers\.(\d+)\.post_attention_layernorm\.weight",
        r"transformer.layers.\1.post_attention_layernorm.weight",
    ),
    (
        r"model\.layers\.(\d+)\.self_attn\.language_expert_query_key_value\.weight",
        r"transformer.layers.\1.attention.query_key_value.weight",
    ),
    (
        r"model\.layers\.(\d+)\.self_attn\.language_expert_dense\.weight",
        r"transformer.layers.\1.attention.dense.weight",
    ),
    (r"model\.layers\.(\d+)\.mlp\.language_mlp\.up_proj\.weight", r"transformer.layers.\1.mlp.dense_h_to_4h.weight"),
    (r"model\.layers\.(\d+)\.mlp\.language_mlp\.down_proj\.weight", r"transformer.layers.\1.mlp.dense_4h_to_h.weight"),
    (r"model\.layers\.(\d+)\.mlp\.language_mlp\.gate_proj\.weight", r"mixins.mlp.gate_proj.\1.weight"),
    (r"model\.layers\.(\d+)\.mlp\.vision_mlp\.gate_proj\.weight", r"mixins.mlp.vision_gate_proj.\1.weight"),
    (r"model\.layers\.(\d+)\.mlp\.vision_mlp\.up_proj\.weight", r"mixins.mlp.vision_dense_h_to_4h_list.\1.weight"),
    (r"model\.layers\.(\d+)\.mlp\.vision_mlp\.down_proj\.weight", r"mixins.mlp.vision_dense_4h_to_h_list.\1.weight"),
    (
        r"model\.layers\.(\d+)\.self_attn\.vision_expert_query_key_value\.(weight|bias)",
        r"mixins.rotary.vision_query_key_value_list.\1.\2",
    ),
    (r"model\.layers\.(\d+)\.self_attn\.vision_expert_dense\.weight", r"mixins.rotary.vision_dense_list.\1.weight"),
    (r"model\.vision\.patch_embedding\.proj\.(weight|bias)", r"mixins.eva.vit_model.mixins.patch_embedding.proj.\1"),
    (r"model\.vision\.patch_embedding\.cls_embedding", "mixins.eva.vit_model.mixins.patch_embedding.cls_embedding"),
    (
        r"model\.vision\.patch_embedding\.position_embedding\.weight",
        "mixins.eva.vit_model.transformer.position_embeddings.weight",
    ),
    (
        r"model\.vision\.transformer\.layers\.(.+)\.mlp\.fc1\.(.+)",
        r"mixins.eva.vit_model.transformer.layers.\1.mlp.dense_h_to_4h.\2",
    ),
    (
        r"model\.vision\.transformer\.layers\.(.+)\.mlp\.fc2\.(.+)",
        r"mixins.eva.vit_model.transformer.layers.\1.mlp.dense_4h_to_h.\2",
    ),
    (r"model\.vision\.transformer\.layers\.(.+)", r"mixins.eva.vit_model.transformer.layers.\1"),
    (r"model\.vision\.linear_proj\.(.+)", r"mixins.eva.linear_proj.\1"),
    (r"model\.vision\.conv\.(.+)", r"mixins.eva.conv.\1"),
    (r"model\.vision\.(boi|eoi)", r"mixins.eva.\1"),
]


def sat_name(name: str) -> str:
    for pattern, template in SAT_OF_HF:
        match = re.fullmatch(pattern, name)
        if match:
            return match.expand(template)
    raise AssertionError(f"the test has no SAT name for {name}")


def write_sat_checkpoint(model_folder: Path, target: Path, *, extra: dict | None = None) -> Path:
    """``model_folder``'s weights and sizes as a SAT checkpoint folder (what VisionReward-Image ships)."""
    from safetensors.torch import load_file

    config = json.loads((model_folder / "config.json").read_text())
    vision = config["vision_config"]
    sat_config = {
        "model_class": "VisualLlamaEVA",
        "hidden_size": config["hidden_size"],
        "num_layers": config["num_hidden_layers"],
        "num_attention_heads": config["num_attention_heads"],
        "vocab_size": config["vocab_size"],
        "inner_hidden_size": config["intermediate_size"],
        "layernorm_epsilon": config["rms_norm_eps"],
        "eva_args": {
            "image_size": [vision["image_size"], vision["image_size"]],
            "patch_size": vision["patch_size"],
            "hidden_size": vision["hidden_size"],
            "num_layers": vision["num_hidden_layers"],
            "num_attention_heads": vision["num_heads"],
        },
    }
    state = {sat_name(name): tensor for name, tensor in load_file(str(model_folder / "model.safetensors")).items()}
    # SAT's ViT keeps a token embedding it never uses: the converter leaves it out
    state["mixins.eva.vit_model.transformer.word_embeddings.weight"] = torch.zeros(1, vision["hidden_size"])
    state.update(extra or {})
    (target / "1").mkdir(parents=True)
    (target / "model_config.json").write_text(json.dumps(sat_config))
    (target / "latest").write_text("1\n")
    torch.save({"module": state}, target / "1" / "mp_rank_00_model_states.pt")
    return target


@pytest.fixture(scope="module")
def tiny_image_model(tmp_path_factory) -> Path:
    from .tiny_cogvlm import build_tiny_cogvlm

    return build_tiny_cogvlm(tmp_path_factory.mktemp("models") / "tiny-cogvlm2", video=False, seed=5)


@pytest.fixture(scope="module")
def code_folder(tmp_path_factory) -> Path:
    """What a CogVLM2 Hugging Face repository offers: its code and a config.json, here of a model
    with other sizes than the checkpoint's (the converter must take the checkpoint's)."""
    from .tiny_cogvlm import build_tiny_cogvlm

    built = build_tiny_cogvlm(tmp_path_factory.mktemp("models") / "other", video=False, hidden_size=48)
    code = tmp_path_factory.mktemp("code")
    for name in ("config.json", "configuration_tiny_cogvlm.py", "modeling_tiny_cogvlm.py", "tokenizer.json"):
        shutil.copy(built / name, code / name)
    shutil.copy(built / "tokenizer_config.json", code / "tokenizer_config.json")
    return code


def image_request(seed=0) -> GuessRequest:
    pixels = np.random.default_rng(seed).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    return GuessRequest(
        MediaInput(kind="image", frames=[Image.fromarray(pixels)]), "a red cat", load_builtin("visionreward-image")
    )


def test_the_converted_checkpoint_answers_as_the_model_it_came_from(tiny_image_model, code_folder, tmp_path):
    source = write_sat_checkpoint(tiny_image_model, tmp_path / "VisionReward-Image")
    destination = tmp_path / "converted"
    call_command("convert_visionreward_image", str(source), str(destination), "--code", str(code_folder))

    config = json.loads((destination / "config.json").read_text())
    assert config["template_version"] == "vqa" and config["hidden_size"] == 32  # the checkpoint's, not the code's 48
    assert config["auto_map"]["AutoModelForCausalLM"] == "modeling_tiny_cogvlm.TinyCogVLMForCausalLM"
    assert (destination / "modeling_tiny_cogvlm.py").is_file() and (destination / "tokenizer.json").is_file()

    converted = CogVLMGuesser(str(destination), trust_remote_code=True, device="cpu", dtype="float32")
    original = CogVLMGuesser(
        str(tiny_image_model), trust_remote_code=True, device="cpu", dtype="float32", template_version="vqa"
    )
    assert not converted.takes_video and converted.template_version == "vqa"
    request = image_request()
    result = converted.guess(request)
    reference = original.guess_uncached(request)
    assert list(result.p_yes) == list(request.checklist.question_keys)
    assert max(abs(result.p_yes[k] - reference.p_yes[k]) for k in result.p_yes) <= TOLERANCE
    assert max(abs(result.p_yes[k] - v) for k, v in converted.guess_uncached(request).p_yes.items()) <= TOLERANCE
    assert result.details["frames"] == 1 and result.details["template_version"] == "vqa"

    video = GuessRequest(MediaInput(kind="video", frames=request.media.frames * 2), "", request.checklist)
    with pytest.raises(GuesserError, match="answers images, not videos"):
        converted.guess(video)


def test_every_sat_name_is_mapped_or_the_conversion_stops_naming_it(tiny_image_model, code_folder, tmp_path):
    assert hf_name("mixins.rotary.vision_dense_list.3.weight") == "model.layers.3.self_attn.vision_expert_dense.weight"
    assert hf_name("mixins.eva.vit_model.transformer.word_embeddings.weight") is None
    source = write_sat_checkpoint(
        tiny_image_model, tmp_path / "odd", extra={"mixins.adapter.layers.0.weight": torch.zeros(2)}
    )
    with pytest.raises(CommandError, match=r"unknown SAT parameter 'mixins\.adapter\.layers\.0\.weight'"):
        call_command("convert_visionreward_image", str(source), str(tmp_path / "out"), "--code", str(code_folder))


def test_bad_sources_are_refused_with_the_reason(tiny_image_model, code_folder, tmp_path):
    with pytest.raises(ConversionError, match="no model_config.json"):
        convert_sat_cogvlm(tmp_path, tmp_path / "out", code=code_folder)
    source = write_sat_checkpoint(tiny_image_model, tmp_path / "sat")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConversionError, match=r"holds no model code \(\*\.py\)"):
        convert_sat_cogvlm(source, tmp_path / "out", code=empty)
    (source / "latest").write_text("7")
    with pytest.raises(ConversionError, match="names '7'"):
        convert_sat_cogvlm(source, tmp_path / "out", code=code_folder)
    (source / "latest").write_text("1")
    torch.save({"module": {"x": torch.zeros(1)}, "args": Path("/")}, source / "1" / "mp_rank_00_model_states.pt")
    with pytest.raises(ConversionError, match="as tensors only"):
        convert_sat_cogvlm(source, tmp_path / "out", code=code_folder)
