"""A model's processor, loaded as ``AutoProcessor`` would, or assembled without what this
environment cannot provide.

transformers 5 gives many vision-language models (Qwen2-VL, Qwen2.5-VL, Qwen3-VL,
LLaVA-OneVision, LLaVA-NeXT-Video, InternVL, SmolVLM, ...) a **video processor**, and every video
processor needs ``torchvision``, which has no build here matched to the pinned CPU torch. The
guesser never hands a model a video tensor: it shows a video as its sampled frames, one image
each (``media.py``; the model's image path, which every one of these models also has). So when
``AutoProcessor`` fails only for lack of torchvision, :func:`load_processor` assembles the same
processor class itself: the tokenizer, the image processor on its Pillow backend, the
processor's saved settings and chat template, and **no video processor** (the attribute is
``None``; a video given to it would fail loudly). What the model computes is the same: the
image path of these processors does not touch the video processor.

Every failure is a :class:`~worker.prefill.guessers.base.GuesserError` naming the architecture,
what is missing and what to install (:func:`missing_package_error`).
"""

from __future__ import annotations

import inspect
import logging
import re
from functools import cache

from .base import GuesserError

__all__ = ["INSTALL_HINTS", "load_processor", "missing_package_error", "processor_without_video"]

logger = logging.getLogger(__name__)

# Python packages a model's code may import, and how to get them in this environment.
INSTALL_HINTS = {
    "num2words": "it is in requirements.txt: `make install` (or `pip install num2words==0.5.14`)",
    "torchvision": (
        "no torchvision build matches the pinned CPU torch here; the platform shows videos as frames "
        "(images), so a processor that needs torchvision only for video is assembled without it — this "
        "one needs it for images too: install the torchvision release matched to torch (same build, CPU or CUDA)"
    ),
    "timm": "`pip install timm` (remote code that builds its vision tower with timm)",
    "einops": "`pip install einops` (used by much remote code)",
    "sentencepiece": "`pip install sentencepiece` (slow tokenizers)",
    "protobuf": "`pip install protobuf` (slow tokenizers)",
}
# How transformers and Python say a package is missing, most specific first.
_MISSING = [
    re.compile(r"No module named '([\w.-]+)'"),
    re.compile(r"requires the following packages?[^:]*:\s*`?([\w.-]+)"),
    re.compile(r"Package `([\w.-]+)` is required"),
    re.compile(r"requires the (\w+) library", re.I),
    re.compile(r"pip install `?([\w.-]+)"),
]


def _missing_package(exc: BaseException) -> str | None:
    """The package an ImportError (or a transformers 'requires X' error) is about, if it says."""
    name = getattr(exc, "name", None)
    if name:
        return name.split(".")[0]
    text = str(exc)
    for pattern in _MISSING:
        if match := pattern.search(text):
            return match.group(1).split(".")[0].lower()
    return None


def missing_package_error(architecture: str, what: str, exc: BaseException) -> GuesserError:
    """A GuesserError for ``what`` (e.g. "the processor") of ``architecture`` failing on a
    missing package: which one, and how to install it."""
    package = _missing_package(exc)
    if package is None:
        return GuesserError(f"{architecture}: cannot load {what}: {exc}")
    hint = INSTALL_HINTS.get(package, f"`pip install {package}`")
    return GuesserError(f"{architecture}: {what} needs the Python package {package!r}, which is not installed: {hint}")


def _only_torchvision_missing(exc: BaseException) -> bool:
    return _missing_package(exc) == "torchvision"


@cache
def processor_without_video(processor_class: type) -> type:
    """A subclass of ``processor_class`` that accepts ``video_processor=None`` (the mixin's class
    check would look the video processor base class up, which needs torchvision) and renders its
    chat template with the generic ``ProcessorMixin.apply_chat_template`` (SmolVLM's override
    reads video sampling defaults off its video processor; the guesser never sends video
    content blocks)."""
    from transformers.processing_utils import ProcessorMixin

    def check_argument_for_proper_class(self, argument_name, argument):
        if argument is None and "video" in argument_name:
            return None
        return processor_class.check_argument_for_proper_class(self, argument_name, argument)

    namespace = {
        "check_argument_for_proper_class": check_argument_for_proper_class,
        "__doc__": f"{processor_class.__name__} without its video processor (assembled by the platform).",
        "__module__": __name__,
        "without_video": True,
    }
    if "apply_chat_template" in vars(processor_class):
        namespace["apply_chat_template"] = ProcessorMixin.apply_chat_template
    return type(processor_class.__name__, (processor_class,), namespace)


def _processor_class(source: str, config, common: dict) -> type | None:
    """The processor class the folder names (``processor_config.json``), else the one
    transformers maps the model type to."""
    import transformers
    from transformers.models.auto.processing_auto import PROCESSOR_MAPPING_NAMES

    from_dict = None
    try:
        from transformers.processing_utils import ProcessorMixin

        processor_dict, _ = ProcessorMixin.get_processor_dict(source, **common)
        from_dict = processor_dict.get("processor_class")
    except (OSError, ValueError, TypeError):
        pass
    name = from_dict or PROCESSOR_MAPPING_NAMES.get(getattr(config, "model_type", None))
    if not name:
        return None
    return getattr(transformers, name, None)


def assemble_processor(source: str, config, common: dict, architecture: str):
    """The model's processor class built from its parts without a video processor (see the
    module docstring); raises GuesserError when it cannot be."""
    from transformers import AutoImageProcessor, AutoTokenizer

    processor_class = _processor_class(source, config, common)
    if processor_class is None:
        raise GuesserError(f"{architecture}: no processor class is known for model type {config.model_type!r}")
    assembled = processor_without_video(processor_class)
    try:
        processor_dict, _ = processor_class.get_processor_dict(source, **common)
    except (OSError, ValueError, TypeError):
        processor_dict = {}
    parameters = inspect.signature(processor_class.__init__).parameters
    attributes = processor_class.get_attributes()
    kwargs = {key: value for key, value in processor_dict.items() if key in parameters and key not in attributes}
    try:
        for attribute in attributes:
            if "tokenizer" in attribute:
                kwargs[attribute] = AutoTokenizer.from_pretrained(source, **common)
            elif "image_processor" in attribute:
                kwargs[attribute] = AutoImageProcessor.from_pretrained(source, backend="pil", **common)
            elif "video" in attribute:
                kwargs[attribute] = None
            else:
                raise GuesserError(
                    f"{architecture}: the processor ({processor_class.__name__}) needs a {attribute}, "
                    "which the platform cannot assemble without torchvision"
                )
        if "chat_template" in parameters and not kwargs.get("chat_template"):
            kwargs["chat_template"] = getattr(kwargs.get("tokenizer"), "chat_template", None)
        return assembled(**kwargs)
    except ImportError as exc:
        raise missing_package_error(architecture, "the processor", exc) from exc
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise GuesserError(
            f"{architecture}: cannot assemble the processor ({processor_class.__name__}): {exc}"
        ) from exc


def load_processor(source: str, config, common: dict, architecture: str):
    """``AutoProcessor.from_pretrained``, or the processor assembled without a video processor
    where only torchvision is missing (the module docstring); every failure a GuesserError."""
    from transformers import AutoProcessor

    try:
        return AutoProcessor.from_pretrained(source, **common)
    except ImportError as exc:
        if not _only_torchvision_missing(exc):
            raise missing_package_error(architecture, "the processor", exc) from exc
        logger.info("%s: AutoProcessor needs torchvision; assembling the processor without video", architecture)
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        if not _only_torchvision_missing(exc):
            raise GuesserError(f"{architecture}: cannot load the processor: {exc}") from exc
        logger.info("%s: AutoProcessor needs torchvision; assembling the processor without video", architecture)
    return assemble_processor(source, config, common, architecture)
