"""VisionReward-Video-shaped models (CogVLM2-Video with its own code) as guessers: loaded through
the real loading code with trust_remote_code, the cached path equal to plain full forwards, the
remote-code refusal, and a video project pre-filled end to end through a pre-fill job."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from annotator.checklist import load_builtin
from annotator.models import Asset, Prediction
from tests import factories as f
from worker.models import Job, ModelSpec
from worker.prefill import loading
from worker.prefill.guessers.base import GuesserError, GuessRequest, MediaInput
from worker.prefill.guessers.cogvlm import CogVLMGuesser, cogvlm_architecture, read_config_json
from worker.prefill.guessers.scoring import p_yes_from_logits

from .conftest import import_url, upload

TOLERANCE = 1e-4


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny models: one thread is many times faster than several on a shared CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def _fresh_model_cache():
    loading.clear_guessers()
    yield
    loading.clear_guessers()


@pytest.fixture(scope="module")
def tiny_video_model(tmp_path_factory) -> Path:
    from .tiny_cogvlm import build_tiny_cogvlm

    return build_tiny_cogvlm(tmp_path_factory.mktemp("models") / "tiny-visionreward-video")


@pytest.fixture(scope="module")
def guesser(tiny_video_model) -> CogVLMGuesser:
    return CogVLMGuesser(str(tiny_video_model), trust_remote_code=True, device="cpu", dtype="float32", batch_size=8)


def video_request(frames=3, prompt="a red cat on a sofa", seed=0, checklist="visionreward-video") -> GuessRequest:
    rng = np.random.default_rng(seed)
    images = [Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)) for _ in range(frames)]
    media = MediaInput(kind="video", frames=images, fps=8.0, times=[float(i) for i in range(frames)])
    return GuessRequest(media=media, prompt=prompt, checklist=load_builtin(checklist))


def plain_p_yes(guesser: CogVLMGuesser, request: GuessRequest) -> dict[str, float]:
    """Independent of the guesser's code paths: per question, the model's own conversation with
    the reference's video tensor, one forward with no positions given (the model derives them)."""
    model, tokenizer = guesser.model, guesser.tokenizer
    frames = request.media.frames
    video = torch.from_numpy(np.stack([np.asarray(frame) for frame in frames])).permute(3, 0, 1, 2)
    out = {}
    with torch.inference_mode():
        for question in request.checklist.questions:
            built = model.build_conversation_input_ids(
                tokenizer=tokenizer,
                query=question.render(request.prompt),
                images=[video],
                history=[],
                template_version="chat",
            )
            logits = model(
                input_ids=built["input_ids"][None],
                token_type_ids=built["token_type_ids"][None],
                attention_mask=built["attention_mask"][None],
                images=[built["images"]],
            ).logits
            out[question.key] = p_yes_from_logits(logits[:, -1], guesser.yes_ids, guesser.no_ids).item()
    return out


def largest_difference(a: dict, b: dict) -> float:
    assert list(a) == list(b)
    return max(abs(a[key] - b[key]) for key in a)


def test_the_config_of_a_cogvlm_model_is_recognised_without_running_its_code(tiny_video_model, tmp_path):
    assert cogvlm_architecture(read_config_json(str(tiny_video_model))) == "TinyCogVLMVideoForCausalLM"
    assert cogvlm_architecture({"architectures": ["CogVLMVideoForCausalLM"]}) == "CogVLMVideoForCausalLM"
    assert cogvlm_architecture({"architectures": ["LlavaForConditionalGeneration"], "model_type": "llava"}) is None
    assert read_config_json(str(tmp_path)) is None and cogvlm_architecture(None) is None


def test_cached_answers_equal_a_plain_full_forward_per_question(guesser):
    request = video_request()
    result = guesser.guess(request)
    assert list(result.p_yes) == list(request.checklist.question_keys)
    assert all(0.0 <= p <= 1.0 for p in result.p_yes.values())
    # the model's own generation positions vs the model deriving them: the same answers
    assert largest_difference(result.p_yes, plain_p_yes(guesser, request)) <= TOLERANCE
    assert largest_difference(result.p_yes, guesser.guess_uncached(request).p_yes) <= TOLERANCE
    details = result.details
    assert details["method"] == "prefix-cache" and details["conversation"] == "spliced"
    assert details["frames"] == 3 and details["frame_times"] == [0.0, 1.0, 2.0] and details["remote_code"] is True
    # BOS, 3 frames of 6 vision tokens and a time stamp, then the shared start of the text
    assert details["prefix_tokens"] > 3 * 7
    assert len(set(result.p_yes.values())) > 1  # questions are told apart


@pytest.mark.parametrize("batch_size", [1, 64])
def test_answers_do_not_depend_on_the_question_batch(tiny_video_model, guesser, batch_size):
    other = CogVLMGuesser(
        str(tiny_video_model), trust_remote_code=True, device="cpu", dtype="float32", batch_size=batch_size
    )
    request = video_request(frames=2, seed=3)
    assert largest_difference(other.guess(request).p_yes, guesser.guess(request).p_yes) <= TOLERANCE


def test_a_one_question_checklist_is_answered_as_the_plain_forward(guesser):
    from annotator.checklist import checklist_from_dict

    checklist = checklist_from_dict(
        {
            "key": "one",
            "title": "One",
            "media_type": "video",
            "dimensions": [
                {
                    "key": "quality",
                    "title": "Quality",
                    "sub_dimensions": [
                        {
                            "key": "clarity",
                            "title": "Clarity",
                            "options": [{"code": 1, "label": "clear"}, {"code": 0, "label": "blurry"}],
                            "questions": [{"key": "clear", "text": "Is the video clear?", "yes_if_at_least": 1}],
                        }
                    ],
                }
            ],
        }
    )
    request = GuessRequest(video_request().media, "", checklist)
    result = guesser.guess(request)
    assert list(result.p_yes) == ["clear"] and result.details["question_tokens"][0] >= 1
    assert largest_difference(result.p_yes, plain_p_yes(guesser, request)) <= TOLERANCE


def test_a_model_whose_code_returns_a_cache_object_answers_the_same(tmp_path):
    from .tiny_cogvlm import build_tiny_cogvlm

    path = build_tiny_cogvlm(tmp_path / "dynamic", dynamic_cache=True, seed=2)
    guesser = CogVLMGuesser(str(path), trust_remote_code=True, device="cpu", dtype="float32", batch_size=8)
    request = video_request(frames=2, seed=4)
    assert largest_difference(guesser.guess(request).p_yes, plain_p_yes(guesser, request)) <= TOLERANCE


def test_every_sampled_frame_up_to_24_is_shown_and_an_image_is_a_one_frame_video(guesser):
    many = guesser.guess(video_request(frames=26, seed=1))
    assert many.details["frames"] == 24
    image = Image.fromarray(np.full((20, 20, 3), 200, dtype=np.uint8))
    request = GuessRequest(MediaInput(kind="image", frames=[image]), "a cat", load_builtin("visionreward-image"))
    result = guesser.guess(request)
    assert result.details["frames"] == 1
    assert largest_difference(result.p_yes, guesser.guess_uncached(request).p_yes) <= TOLERANCE


def test_the_loader_picks_the_cogvlm_guesser_and_refuses_remote_code_the_spec_does_not_allow(db, tiny_video_model):
    spec = ModelSpec.objects.create(
        name="vr-video", source=str(tiny_video_model), device="cpu", dtype="float32", queue="default"
    )
    with pytest.raises(GuesserError, match=r"runs only with its repository's own Python code.*trust_remote_code"):
        loading.load_guesser(spec)
    with pytest.raises(loading.ModelLoadError, match="trust_remote_code"):
        loading.get_guesser(spec)
    spec.trust_remote_code = True
    spec.save()
    guesser = loading.get_guesser(spec)
    assert isinstance(guesser, CogVLMGuesser) and guesser.name == "vr-video" and guesser.takes_video
    assert "@default#" in guesser.version and len(guesser.version) <= 100


def test_a_hub_id_in_the_local_cache_loads_without_going_online(db, tiny_video_model, tmp_path, monkeypatch):
    import huggingface_hub.constants
    import huggingface_hub.file_download

    def offline(*args, **kwargs):
        raise AssertionError("the loader asked the Hub")

    monkeypatch.setattr(huggingface_hub.file_download, "get_hf_file_metadata", offline)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    repo = tmp_path / "hub" / "models--THUDM--VisionReward-Video"
    snapshot = repo / "snapshots" / ("0" * 40)
    shutil.copytree(tiny_video_model, snapshot)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)

    spec = ModelSpec.objects.create(
        name="vr-video", source="THUDM/VisionReward-Video", device="cpu", dtype="float32", trust_remote_code=True
    )
    guesser = loading.load_guesser(spec)
    assert isinstance(guesser, CogVLMGuesser) and guesser.version.startswith("THUDM/VisionReward-Video@default#")
    assert set(guesser.guess(video_request(frames=1)).p_yes) == set(load_builtin("visionreward-video").question_keys)
    with pytest.raises(GuesserError, match=r"not in the local Hugging Face cache.*hf download THUDM/Other"):
        CogVLMGuesser("THUDM/Other", trust_remote_code=True, device="cpu")


def test_a_model_without_yes_and_no_tokens_cannot_load(tmp_path):
    from worker.prefill.tiny import build_tokenizer

    from .tiny_cogvlm import build_tiny_cogvlm

    path = build_tiny_cogvlm(tmp_path / "no-answers")
    build_tokenizer(answer_words=False).save_pretrained(path)
    with pytest.raises(GuesserError, match="no single token for 'yes'"):
        CogVLMGuesser(str(path), trust_remote_code=True, device="cpu", dtype="float32")


# --- end to end: a video project pre-filled through a pre-fill job ---------------------------------


def test_a_video_project_is_prefilled_end_to_end_by_the_tiny_visionreward_video_model(
    eager, people, manager_api, video_project, tiny_mp4, tiny_video_model, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import User

    ModelSpec.objects.create(
        name="vr-video", source=str(tiny_video_model), device="cpu", dtype="float32", batch_size=16, queue="default"
    )
    root = User.objects.create_superuser("root", password="pw")
    allow = {"trust_remote_code": True, "confirm_trust_remote_code": True}
    assert f.api(root).patch("/api/models/vr-video/", allow, format="json").status_code == 200

    files = [upload(f"clip{i}.mp4", tiny_mp4) for i in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_api.post(import_url(video_project), {"files": files}, format="multipart")
    assert response.status_code == 202, response.content
    imported = Job.objects.get(pk=response.json()["id"])
    assert imported.state == Job.State.SUCCEEDED, imported.log
    assets = list(Asset.objects.filter(project=video_project, status=Asset.Status.READY))
    assert len(assets) == 2 and all(a.kind == "video" and a.files["frames"] for a in assets)

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_api.post(f"/api/projects/{video_project.pk}/prefill/", {"model": "vr-video"}, format="json")
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == Job.State.SUCCEEDED, job.log
    assert job.result["predicted"] == 2 and job.result["failed"] == []
    assert "remote code: model vr-video runs its source's own code" in job.log and "allowed by root" in job.log

    checklist = video_project.checklist_version.checklist
    guesser = loading.get_guesser(ModelSpec.objects.get(name="vr-video"))
    assert isinstance(guesser, CogVLMGuesser)
    for prediction in Prediction.objects.filter(job_id=job.pk):
        assert (prediction.model_name, prediction.model_version) == ("vr-video", guesser.version)
        assert list(prediction.p_yes) == list(checklist.question_keys)
        assert all(0.0 <= p <= 1.0 for p in prediction.p_yes.values())
        assert prediction.options and set(prediction.options) <= {s.key for s in checklist.sub_dimensions}


def test_a_prefill_with_remote_code_not_allowed_fails_with_the_reason(
    eager, manager_api, video_project, tiny_mp4, tiny_video_model, django_capture_on_commit_callbacks
):
    ModelSpec.objects.create(name="vr-video", source=str(tiny_video_model), device="cpu", queue="default")
    with django_capture_on_commit_callbacks(execute=True):
        manager_api.post(import_url(video_project), {"files": [upload("clip.mp4", tiny_mp4)]}, format="multipart")
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_api.post(f"/api/projects/{video_project.pk}/prefill/", {"model": "vr-video"}, format="json")
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == Job.State.FAILED
    assert "trust_remote_code" in (job.error or job.log)
    assert not Prediction.objects.filter(job_id=job.pk).exists()
