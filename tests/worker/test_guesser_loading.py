"""Loading a model folder: processors assembled without their video processor where
``AutoProcessor`` needs torchvision, and every load failure a GuesserError that names the
architecture, what is missing and what to install (never a raw ImportError)."""

from __future__ import annotations

import pytest
import torch
import transformers

from tests.worker.tiny_models import build_qwen2_vl, build_smolvlm
from worker.prefill.guessers import GuesserError
from worker.prefill.guessers.hf import HFGuesser


@pytest.fixture(scope="module")
def qwen_folder(tmp_path_factory):
    return build_qwen2_vl(tmp_path_factory.mktemp("models") / "qwen2-vl")


@pytest.fixture(scope="module")
def smolvlm_folder(tmp_path_factory):
    return build_smolvlm(tmp_path_factory.mktemp("models") / "smolvlm")


def _load(path):
    return HFGuesser(str(path), dtype="float32", device="cpu")


def test_autoprocessor_needs_torchvision_so_the_processor_is_assembled(qwen_folder):
    with pytest.raises(ImportError, match="(?i)torchvision"):  # why the assembly exists
        transformers.AutoProcessor.from_pretrained(str(qwen_folder))
    guesser = _load(qwen_folder)
    processor = guesser.processor
    assert type(processor).__name__ == "Qwen2VLProcessor" and processor.video_processor is None
    assert isinstance(processor, transformers.Qwen2VLProcessor)
    assert type(processor.image_processor).__name__.endswith("Pil")  # the Pillow backend
    assert processor.chat_template and "<|im_start|>" in processor.chat_template
    assert guesser.architecture == "Qwen2-VL"
    assert "without its video processor" in guesser.processor_note


def test_assembled_processor_refuses_a_video_tensor(qwen_folder):
    processor = _load(qwen_folder).processor
    with pytest.raises(Exception):  # noqa: B017 - whatever transformers raises: never a silent video
        processor(text=["<|video_pad|>"], videos=[torch.zeros(2, 3, 32, 32)], return_tensors="pt")


def test_missing_num2words_is_a_guesser_error(smolvlm_folder, monkeypatch):
    import transformers.models.smolvlm.processing_smolvlm as smolvlm

    monkeypatch.setattr(smolvlm, "num2words", None)
    with pytest.raises(GuesserError) as caught:
        _load(smolvlm_folder)
    message = str(caught.value)
    assert "SmolVLM" in message and "'num2words'" in message and "requirements.txt" in message
    assert not isinstance(caught.value, ImportError)


def test_a_missing_package_of_the_processor_is_a_guesser_error(qwen_folder, monkeypatch):
    def needs_timm(*args, **kwargs):
        raise ModuleNotFoundError("No module named 'timm'", name="timm")

    monkeypatch.setattr(transformers.AutoProcessor, "from_pretrained", needs_timm)
    with pytest.raises(GuesserError, match=r"Qwen2-VL .*'timm'.*pip install timm"):
        _load(qwen_folder)


def test_a_missing_package_of_the_model_is_a_guesser_error(qwen_folder, monkeypatch):
    def needs_flash_attn(*args, **kwargs):
        raise ImportError(
            "This modeling file requires the following packages: flash_attn. Run `pip install flash_attn`"
        )

    for model_class in (transformers.AutoModelForImageTextToText, transformers.Qwen2VLForConditionalGeneration):
        monkeypatch.setattr(model_class, "from_pretrained", needs_flash_attn)
    with pytest.raises(GuesserError, match=r"Qwen2-VL .*the model needs the Python package 'flash_attn'"):
        _load(qwen_folder)


def test_an_image_processor_that_cannot_be_assembled_is_a_guesser_error(tmp_path, qwen_folder):
    import shutil

    broken = shutil.copytree(qwen_folder, tmp_path / "no-image-processor")
    (broken / "preprocessor_config.json").unlink()
    with pytest.raises(GuesserError, match=r"Qwen2-VL .*(processor|Qwen2VLProcessor)"):
        _load(broken)


def test_a_hub_id_in_the_local_cache_loads_without_going_online(qwen_folder, tmp_path, monkeypatch):
    """With local_files_only (the workers' default) a Hub id is read from its cached snapshot, and
    nothing asks the Hub (not even for the optional files transformers looks for by id)."""
    import shutil

    import huggingface_hub.constants
    import huggingface_hub.file_download

    def offline(*args, **kwargs):
        raise AssertionError("the loader asked the Hub")

    monkeypatch.setattr(huggingface_hub.file_download, "get_hf_file_metadata", offline)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    repo = tmp_path / "hub" / "models--Qwen--Qwen2-VL-2B-Instruct"
    shutil.copytree(qwen_folder, repo / "snapshots" / ("1" * 40))
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("1" * 40)

    guesser = HFGuesser("Qwen/Qwen2-VL-2B-Instruct", dtype="float32", device="cpu")
    assert guesser.architecture == "Qwen2-VL" and guesser.version.startswith("Qwen/Qwen2-VL-2B-Instruct@")
    with pytest.raises(GuesserError, match=r"not in the local Hugging Face cache.*hf download Qwen/Other"):
        HFGuesser("Qwen/Other", dtype="float32", device="cpu")
