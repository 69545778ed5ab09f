"""A tiny VisionReward-shaped model saved as a remote-code folder (test helper, no test here).

``build_tiny_cogvlm(path, video=True)`` writes what a VisionReward-Video download looks like to
the platform: a ``config.json`` whose ``auto_map`` names the model's own code, that code
(``configuration_tiny_cogvlm.py``, ``modeling_tiny_cogvlm.py`` from ``tiny_cogvlm_code/``),
random weights and a tokenizer built in code (word-level, with ``Yes``/``No``), but no processor.
It loads only with ``trust_remote_code``. ``video=False`` gives the image variant (one image per
conversation, as VisionReward-Image after conversion). Nothing is downloaded.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import torch

CODE = Path(__file__).with_name("tiny_cogvlm_code")
CODE_FILES = ("configuration_tiny_cogvlm.py", "modeling_tiny_cogvlm.py")
VIDEO_ARCHITECTURE = "TinyCogVLMVideoForCausalLM"
IMAGE_ARCHITECTURE = "TinyCogVLMForCausalLM"


def _load_code():
    """The remote-code classes, imported as transformers' dynamic modules would (a package)."""
    from tests.worker.tiny_cogvlm_code import configuration_tiny_cogvlm, modeling_tiny_cogvlm

    return configuration_tiny_cogvlm, modeling_tiny_cogvlm


def tiny_cogvlm_config(tokenizer, *, video: bool = True, **sizes):
    configuration, _ = _load_code()
    architecture = VIDEO_ARCHITECTURE if video else IMAGE_ARCHITECTURE
    config = configuration.TinyCogVLMConfig(
        vocab_size=len(tokenizer),
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        architectures=[architecture],
        **sizes,
    )
    config.auto_map = {
        "AutoConfig": "configuration_tiny_cogvlm.TinyCogVLMConfig",
        "AutoModelForCausalLM": f"modeling_tiny_cogvlm.{architecture}",
    }
    return config


def build_tiny_cogvlm_model(config, *, video: bool = True, seed: int = 0):
    _, modeling = _load_code()
    torch.manual_seed(seed)
    cls = modeling.TinyCogVLMVideoForCausalLM if video else modeling.TinyCogVLMForCausalLM
    return cls(config).eval()


def write_code(path: Path) -> None:
    for name in CODE_FILES:
        shutil.copy(CODE / name, Path(path) / name)


def build_tiny_cogvlm(path: Path, *, video: bool = True, seed: int = 0, **sizes) -> Path:
    """Build and save the tiny model into ``path`` (created); returns ``path``."""
    from worker.prefill.tiny import build_tokenizer

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer()
    config = tiny_cogvlm_config(tokenizer, video=video, **sizes)
    model = build_tiny_cogvlm_model(config, video=video, seed=seed)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    write_code(path)
    return path
