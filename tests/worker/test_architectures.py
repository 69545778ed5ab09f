"""Every architecture of ``tests/worker/tiny_models.py`` loads the way a pre-fill job loads it
(``HFGuesser(path)`` on the saved folder) and its P(yes) equal one plain forward pass of the
full prompt per question (``guess_uncached``) within 1e-4 in float32, for an image and for a
2-frame video (its frames as images), over the builtin VisionReward checklists.

The supported-models table of ``docs/prefill-models.md`` (between the ``supported-models``
marker comments) is what this file measures: ``test_supported_models_table`` asserts the
committed table equals it, and with ``VR_WRITE_MODEL_TABLE=1`` rewrites it. Adding a row is
adding an entry to ``tiny_models.ARCHITECTURES``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from PIL import Image

from annotator.checklist import load_builtin
from tests.worker.tiny_models import ARCHITECTURES
from worker.prefill.guessers import GuessRequest, MediaInput
from worker.prefill.guessers.architectures import architecture_for
from worker.prefill.guessers.hf import HFGuesser

# PaliGemma's processor builds training labels with np.array(copy=False) on a tokenizer output.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
TOLERANCE = 1e-4
DOCS = Path(__file__).resolve().parents[2] / "docs" / "prefill-models.md"
SAMPLE = Path(__file__).resolve().parents[2] / "annotator" / "demo" / "samples" / "test1.jpg"
START, END = "<!-- supported-models:start -->", "<!-- supported-models:end -->"
PROMPT = "a red car under a tree at sunset"


@dataclass
class Measured:
    image: float  # max |ΔP(yes)| against the plain pass
    video: float | None  # None: the model takes no video
    method: str  # the guesser's path ("prefix-cache", "full-prompt")
    assembled: bool  # the processor was assembled without its video processor
    spread: float  # max - min P(yes) of the plain pass (the comparison is informative)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    # Two cores shared by several test runs: torch's thread pool then costs ~40x per forward.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def requests_by_kind():
    with Image.open(SAMPLE) as image:
        picture = image.convert("RGB").resize((64, 64))
    colors = [(220, 30, 30), (20, 40, 230)]
    frames = [Image.new("RGB", (48, 40), color) for color in colors]
    return {
        "image": GuessRequest(MediaInput(kind="image", frames=[picture]), PROMPT, load_builtin("visionreward-image")),
        "video": GuessRequest(
            MediaInput(kind="video", frames=frames, times=[0.0, 1.0]), PROMPT, load_builtin("visionreward-video")
        ),
    }


@pytest.fixture(scope="module")
def measure(tmp_path_factory, requests_by_kind):
    done: dict[str, Measured] = {}

    def run(name: str) -> Measured:
        if name not in done:
            arch = ARCHITECTURES[name]
            path = arch.build(tmp_path_factory.mktemp("archs") / re.sub(r"\W+", "-", name))
            guesser = (
                arch.load(path) if arch.load else HFGuesser(str(path), dtype="float32", device="cpu", batch_size=16)
            )
            diffs, methods, spreads = {}, set(), []
            for kind in ("image", "video") if arch.video else ("image",):
                result = guesser.guess(requests_by_kind[kind])
                reference = guesser.guess_uncached(requests_by_kind[kind])
                assert list(result.p_yes) == list(reference.p_yes)
                diffs[kind] = max(abs(result.p_yes[key] - reference.p_yes[key]) for key in result.p_yes)
                methods.add(result.details["method"])
                spreads.append(max(reference.p_yes.values()) - min(reference.p_yes.values()))
            done[name] = Measured(
                image=diffs["image"],
                video=diffs.get("video"),
                method="/".join(sorted(methods)),
                assembled=bool(getattr(guesser, "processor_note", None)),
                spread=min(spreads),
            )
        return done[name]

    return run


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_architecture_equals_plain_pass(name, measure):
    measured = measure(name)
    assert measured.spread > 0.1, "P(yes) nearly constant: the comparison would mean little"
    assert measured.image <= TOLERANCE
    if ARCHITECTURES[name].video:
        assert measured.video <= TOLERANCE


def _bucket(diff: float | None) -> str:
    if diff is None:
        return "—"
    for bound in (1e-5, 1e-4):
        if diff < bound:
            return f"< {bound:.0e}".replace("e-0", "e-")
    return f"{diff:.1e} (over 1e-4)"


def _how(name: str, measured: Measured) -> str:
    arch = ARCHITECTURES[name]
    if arch.how:
        return f"{arch.how} | {arch.own_video or '—'}"
    facts = architecture_for(type("Config", (), {"model_type": arch.family})())
    how = (
        "exact path: the full prompt per question (bidirectional prefix)"
        if measured.method == "full-prompt"
        else "shared-prefix cache"
    )
    if measured.assembled:
        how += "; processor assembled without its video processor"
    own = facts.own_video if facts is not None else "—"
    return f"{how} | {own}"


def render_table(measured: dict[str, Measured]) -> str:
    lines = [
        "| architecture | model type | image | video | max \\|ΔP(yes)\\| | how the guesser runs it "
        "| the model's own video path (HFGuesser gives frames as images instead) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, result in measured.items():
        arch = ARCHITECTURES[name]
        image = "pass" if result.image <= TOLERANCE else "FAIL"
        video = "—" if result.video is None else ("pass" if result.video <= TOLERANCE else "FAIL")
        worst = max(d for d in (result.image, result.video) if d is not None)
        lines.append(f"| {name} | `{arch.family}` | {image} | {video} | {_bucket(worst)} | {_how(name, result)} |")
    return "\n".join(lines)


def test_supported_models_table(measure):
    table = render_table({name: measure(name) for name in ARCHITECTURES})
    text = DOCS.read_text()
    assert START in text and END in text, f"{DOCS} has no supported-models markers"
    before, rest = text.split(START, 1)
    committed, after = rest.split(END, 1)
    if os.environ.get("VR_WRITE_MODEL_TABLE") == "1":
        DOCS.write_text(f"{before}{START}\n{table}\n{END}{after}")
        return
    assert committed.strip() == table, (
        "docs/prefill-models.md's supported-models table differs from what runs; "
        "regenerate it with VR_WRITE_MODEL_TABLE=1 pytest tests/worker/test_architectures.py"
    )


# --- the paths behind the table's "how" column ----------------------------------------------


def _max_diff(a, b) -> float:
    return max(abs(a.p_yes[key] - b.p_yes[key]) for key in a.p_yes)


def test_paligemma_prefix_cache_would_be_inexact(tmp_path, requests_by_kind):
    """Why PaliGemma gets the exact path: its prefix attends bidirectionally, so the cached path
    (forced here) is off; the exact path equals the plain pass and says why in its details."""
    guesser = HFGuesser(str(ARCHITECTURES["PaliGemma"].build(tmp_path / "paligemma")), dtype="float32", device="cpu")
    request = requests_by_kind["image"]
    reference = guesser.guess_uncached(request)
    exact = guesser.guess(request)
    assert exact.details["method"] == "full-prompt" and "bidirectional" in exact.details["exact_path"]
    assert _max_diff(exact, reference) <= TOLERANCE
    streamed = list(guesser.guess_stream([request, requests_by_kind["video"]], assets_per_batch=1))
    assert _max_diff(streamed[0], exact) == 0.0 and streamed[1].details["method"] == "full-prompt"
    guesser.exact_path = None  # what the shared-prefix cache would give
    cached = guesser.guess(request)
    assert cached.details["method"] == "prefix-cache"
    assert _max_diff(cached, reference) > 1e-2


def test_multimodal_rope_assets_in_one_call(tmp_path, requests_by_kind):
    """Qwen-VL (multimodal RoPE): several assets per guess_many / guess_stream call, one prefix
    forward each, equal to guess per asset and to the plain pass."""
    guesser = HFGuesser(str(ARCHITECTURES["Qwen2-VL"].build(tmp_path / "qwen2-vl")), dtype="float32", device="cpu")
    requests = [requests_by_kind["image"], requests_by_kind["video"], requests_by_kind["image"]]
    single = [guesser.guess(request) for request in requests]
    for results in (guesser.guess_many(requests), list(guesser.guess_stream(requests, assets_per_batch=2))):
        assert [_max_diff(a, b) for a, b in zip(results, single, strict=True)] == [0.0, 0.0, 0.0]
    assert all(result.details["assets_in_batch"] == 1 for result in single)
    assert _max_diff(single[1], guesser.guess_uncached(requests[1])) <= TOLERANCE


def test_mllama_question_tokens_see_their_assets_tiles(tmp_path):
    """Mllama: frames with different tile counts (a wide one: 2 tiles, a square one: 1 tile and
    a padded one); question rows carry the cross-attention mask of their prefix's last token."""
    guesser = HFGuesser(str(ARCHITECTURES["Mllama"].build(tmp_path / "mllama")), dtype="float32", device="cpu")
    frames = [Image.new("RGB", (64, 32), (200, 30, 30)), Image.new("RGB", (40, 40), (20, 30, 200))]
    request = GuessRequest(
        MediaInput(kind="video", frames=frames, times=[0.0, 1.0]), PROMPT, load_builtin("visionreward-video")
    )
    inputs = guesser.model_inputs(["<|image|> <|image|> a"], frames, False)
    assert inputs["cross_attention_mask"][0, -1, 1].tolist() == [1, 0]  # the square frame's second tile is padding
    reference = guesser.guess_uncached(request)
    assert _max_diff(guesser.guess(request), reference) <= TOLERANCE
    assert _max_diff(guesser.guess_full_batch(request), reference) <= TOLERANCE
