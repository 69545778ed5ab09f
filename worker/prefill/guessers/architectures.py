"""What the guesser needs to know per vision-language architecture (by the config's
``model_type``): the name people know it by, whether the shared-prefix cache is exact for it,
and what the platform does with videos for it (``docs/prefill-models.md`` has the table).

The platform shows a video as its sampled frames, one image each, in time order
(``media.py``: one frame per second, thinned to ``max_frames``). For models whose processor has
a separate video path (a video tensor: Qwen-VL's temporal patches, LLaVA-OneVision's and
LLaVA-NeXT-Video's pooled frames, SmolVLM's and InternVL's frame lists) that path is not used:
those video processors need torchvision (``processors.py``), and every one of these models also
takes several images in one prompt through its image path.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ARCHITECTURES", "Architecture", "architecture_for", "architecture_name"]


@dataclass(frozen=True)
class Architecture:
    name: str
    # False where the prefix is not causal, so a question appended after a cached prefix
    # cannot see what the full prompt's forward would see (PaliGemma: its image + prompt
    # prefix attends bidirectionally, and the question is part of that prefix).
    prefix_cache_exact: bool = True
    # What the model's own video path is (for the docs); the platform always gives frames as images.
    own_video: str = "none (images only)"


ARCHITECTURES: dict[str, Architecture] = {
    "llava": Architecture("LLaVA-1.5"),
    "gemma3": Architecture("Gemma 3"),
    "idefics3": Architecture("Idefics3"),
    "mllama": Architecture("Mllama (Llama 3.2 Vision)"),
    "qwen2_vl": Architecture("Qwen2-VL", own_video="video tensor, two frames per temporal patch (torchvision)"),
    "qwen2_5_vl": Architecture("Qwen2.5-VL", own_video="video tensor, two frames per temporal patch (torchvision)"),
    "qwen3_vl": Architecture("Qwen3-VL", own_video="video tensor with timestamps, temporal patches (torchvision)"),
    "llava_onevision": Architecture("LLaVA-OneVision", own_video="frames pooled 2x2 per frame (torchvision)"),
    "llava_next_video": Architecture("LLaVA-NeXT-Video", own_video="frames pooled per frame (torchvision)"),
    "internvl": Architecture("InternVL", own_video="frames as images with Frame-i labels (torchvision)"),
    "smolvlm": Architecture("SmolVLM", own_video="sampled frames as images with timestamps (torchvision)"),
    "paligemma": Architecture("PaliGemma", prefix_cache_exact=False),
}


def architecture_for(config) -> Architecture | None:
    return ARCHITECTURES.get(getattr(config, "model_type", None))


def architecture_name(config) -> str:
    """The architecture's common name (else its model type, else its class names)."""
    known = architecture_for(config)
    if known is not None:
        return known.name
    model_type = getattr(config, "model_type", None)
    return model_type or ", ".join(getattr(config, "architectures", None) or []) or "unknown architecture"
