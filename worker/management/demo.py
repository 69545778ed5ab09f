"""What the demo of ``load_demo`` holds: its assets (the VisionReward samples with their real
prompts, and copies made from them by a visible transformation), the simulated raters' answer
sheets and pair ratings, and the demo refit's settings. Plain data and pure functions; the
command (``commands/load_demo.py``) writes them through the platform's own jobs and services.

Where everything comes from (also in ``annotator/demo/samples/NOTICE`` and ``docs/demo.md``):

* The prompts are the ones VisionReward's own scripts score these samples with:
  ``inference-image.py`` (test1.jpg and test2.jpg, one prompt) and ``inference-video.py``
  (test1.mp4 and test2.mp4, one prompt) in https://github.com/THUDM/VisionReward. So each
  project's two samples of one prompt are a genuine pair.
* Pairs and a held-out measurement need more than one prompt and more than one pair per
  prompt, so the demo makes, and labels in every asset's metadata: a blurred copy of each
  sample (Gaussian blur: a visible loss of clarity whose checklist answers are not in
  doubt), a still frame of each video (images of the video prompt, in the image project)
  and a slow zoom over each image (videos of the image prompt, in the video project).
* The raters are simulated (accounts ``demo-rater-1`` … ``-3``, named so): their checklist
  answers are the fixed sheets below (one per sample, written for the demo from looking at
  it; a blurred copy has its sample's sheet with clarity and detail worse), and they rate only
  the pairs a blur decides (one side blurred, the other not: the sharp one is preferred).
  Pairs of two sharp or two blurred assets are left for people to rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PORTRAIT = "A close-up portrait of a beautiful girl with an autumn leaves headdress and melting wax."
ELEPHANTS = (
    "Multiple elephants inhabit a surreal and dystopian urban landscape where towering trees emerge from the "
    "cracked city streets, their roots intertwining with skyscrapers, under an eerie, blood-red sky that looms "
    "overhead."
)
PROMPT_SOURCE = {
    PORTRAIT: "the prompt of test1.jpg and test2.jpg in inference-image.py of github.com/THUDM/VisionReward",
    ELEPHANTS: "the prompt of test1.mp4 and test2.mp4 in inference-video.py of github.com/THUDM/VisionReward",
}
REPOSITORY = "https://github.com/THUDM/VisionReward (Apache-2.0), asset/test/"

BLUR_RADIUS = 8  # px, the Gaussian σ (PIL radius, ffmpeg gblur sigma): clearly blurry at 1024 px and at 480 px
STILL_AT = 2.0  # seconds into the video
ZOOM = {"size": 512, "fps": 12, "frames": 36, "step": 0.006}  # 3 s, zooming in to 1.2x


@dataclass(frozen=True)
class DemoAsset:
    """One asset of a demo project, imported as ``name``."""

    name: str
    prompt: str
    make: str  # sample (the file as it is) | blur | still | still_blur | zoom | zoom_blur
    source: str  # the sample it is made from
    sheet: str  # the simulated raters' answer sheet (of the sample it shows)

    @property
    def blurred(self) -> bool:
        return self.make in ("blur", "still_blur", "zoom_blur")

    @property
    def metadata(self) -> dict:
        out = {
            "demo_origin": "sample" if self.make == "sample" else "made by load_demo from a sample",
            "demo_sample": f"{self.source} ({REPOSITORY}{self.source})",
            "prompt_source": PROMPT_SOURCE[self.prompt],
        }
        if self.make != "sample":
            out["demo_transformation"] = TRANSFORMATIONS[self.make].format(source=self.source, **ZOOM)
            out["demo_note"] = "not a model's generation: a visible transformation of one, made for the demo"
        return out


TRANSFORMATIONS = {
    "blur": f"Gaussian blur of {{source}} (σ {BLUR_RADIUS} px)",
    "still": f"the frame of {{source}} at {STILL_AT:g} s, as a JPEG",
    "still_blur": f"the frame of {{source}} at {STILL_AT:g} s, as a JPEG, then a Gaussian blur (σ {BLUR_RADIUS} px)",
    "zoom": "a 3 s slow zoom ({frames} frames at {fps} fps, {size} px) over {source}",
    "zoom_blur": f"a 3 s slow zoom ({{frames}} frames at {{fps}} fps, {{size}} px) over {{source}}, "
    f"then a Gaussian blur (σ {BLUR_RADIUS} px)",
}


def _stem(name: str) -> str:
    return name.rsplit(".", 1)[0]


def _assets(prompt: str, samples: tuple, ext: str, other_prompt: str, others: tuple, made: str) -> list[DemoAsset]:
    """A project's assets: its samples and their blurred copies (of their prompt), and what
    ``made`` makes of the other media's samples (still frames or zooms, of the other prompt),
    sharp and blurred."""
    out = []
    for source in samples:
        out.append(DemoAsset(source, prompt, "sample", source, source))
        out.append(DemoAsset(f"{_stem(source)}-blurred{ext}", prompt, "blur", source, source))
    for source in others:
        for make, suffix in ((made, ""), (f"{made}_blur", "-blurred")):
            name = f"{_stem(source)}-{made}{suffix}{ext}"
            out.append(DemoAsset(name, other_prompt, make, source, f"{source}:{made}"))
    return out


IMAGE_ASSETS = _assets(PORTRAIT, ("test1.jpg", "test2.jpg"), ".jpg", ELEPHANTS, ("test1.mp4", "test2.mp4"), "still")
VIDEO_ASSETS = _assets(ELEPHANTS, ("test1.mp4", "test2.mp4"), ".mp4", PORTRAIT, ("test1.jpg", "test2.jpg"), "zoom")

# --- the simulated raters' answer sheets (sub-dimension -> option code) ------------------------

# The visionreward-image checklist. Sub-dimensions gated shut by another answer are dropped
# by ``complete_options``.
_IMAGE_PORTRAIT = {
    "symmetry": 1,
    "object_pairing": 1,
    "main_object": 1,
    "richness": 1,
    "background": 1,
    "clarity": 2,
    "color_brightness": 1,
    "color_aesthetic": 1,
    "lighting_distinction": 1,
    "lighting_aesthetic": 1,
    "emotion": 0,
    "safety": 1,
    "detail_refinement": 1,
    "detail_realism": 1,
    "body": 1,
    "face": 1,
    "hands": -4,  # no human hands
}
_IMAGE_ELEPHANT_STILL = {
    "symmetry": 0,
    "object_pairing": 1,
    "main_object": 1,
    "richness": 1,
    "background": 1,
    "clarity": 1,
    "color_brightness": -1,
    "color_aesthetic": 1,
    "lighting_distinction": 1,
    "lighting_aesthetic": 1,
    "emotion": -1,
    "safety": 1,
    "detail_refinement": 0,
    "detail_realism": 0,
    "body": -4,  # no human body
    "face": -3,  # no human face
    "hands": -4,  # no human hands
}
# The visionreward-video checklist.
_VIDEO_ELEPHANTS = {
    "alignment": 3,
    "composition": 3,
    "focus": 3,
    "camera_movement": 2,
    "movement_smoothness": 3,
    "image_quality_stability": 4,
    "camera_stability": 3,
    "color": 4,
    "lighting_accurate": 3,
    "lighting_aesthetic": 4,
    "clarity": 4,
    "shape_at_beginning": 2,
    "shape_throughout": 3,
    "object_motion_dynamic": 3,
    "camera_motion_dynamic": 2,
    "movement_reality": 3,
    "detail_refinement": 4,
    "letters": 1,  # no letters
    "physics_law": 3,
    "safety": 5,
}
_VIDEO_PORTRAIT_ZOOM = {
    **_VIDEO_ELEPHANTS,
    "alignment": 4,
    "camera_movement": 3,
    "movement_smoothness": 4,
    "image_quality_stability": 5,
    "color": 4,
    "lighting_aesthetic": 4,
    "clarity": 5,
    "shape_at_beginning": 3,
    "shape_throughout": 4,
    "object_motion_dynamic": 1,
    "camera_motion_dynamic": 2,
}
SHEETS: dict[str, dict[str, int]] = {
    # the portraits: test1 faces the camera squarely; test2 is tilted, a leaf on the cheek
    "test1.jpg": _IMAGE_PORTRAIT,
    "test2.jpg": {**_IMAGE_PORTRAIT, "symmetry": 0, "richness": 2, "lighting_distinction": 0},
    # stills of the videos: test1 one brown elephant under a red sky; test2 three red elephants in fog
    "test1.mp4:still": _IMAGE_ELEPHANT_STILL,
    "test2.mp4:still": {
        **_IMAGE_ELEPHANT_STILL,
        "color_brightness": 0,
        "clarity": 0,
        "detail_realism": -1,
        "lighting_distinction": 0,
        "lighting_aesthetic": 0,
    },
    # the videos: test1 has one elephant where the prompt asks for several; test2's sky is grey
    "test1.mp4": _VIDEO_ELEPHANTS,
    "test2.mp4": {
        **_VIDEO_ELEPHANTS,
        "alignment": 4,
        "composition": 2,
        "color": 3,
        "lighting_aesthetic": 3,
        "clarity": 3,
        "shape_throughout": 2,
        "camera_motion_dynamic": 1,
        "detail_refinement": 3,
    },
    "test1.jpg:zoom": _VIDEO_PORTRAIT_ZOOM,
    "test2.jpg:zoom": {**_VIDEO_PORTRAIT_ZOOM, "composition": 2},
}
# What a blur does to a sheet, per checklist: clarity and detail go to their blurry options.
BLURRED = {
    "visionreward-image": {"clarity": -1, "detail_refinement": -1},
    "visionreward-video": {"clarity": 2, "detail_refinement": 2, "focus": 1},
}


def sheet_of(asset: DemoAsset, checklist_key: str) -> dict[str, int]:
    sheet = dict(SHEETS[asset.sheet])
    if asset.blurred:
        sheet.update(BLURRED[checklist_key])
    return sheet


def complete_options(checklist, sheet: dict[str, int]) -> dict[str, int]:
    """The sheet as a complete, consistent answer of ``checklist``: every sub-dimension once,
    those gated shut by another answer left out. A sheet missing one raises KeyError."""
    options: dict[str, int] = {}
    for sub in checklist.gate_order:
        if sub.gated_by is not None:
            gate = checklist.sub_dimension_of(sub.gated_by)
            if gate.key not in options or not gate.is_yes(checklist.question(sub.gated_by), options[gate.key]):
                continue
        options[sub.key] = sheet[sub.key]
    return options


def simulated_preference(a: DemoAsset, b: DemoAsset) -> int | None:
    """The simulated raters' 1–5 rating of the pair (A, B) (1 = A much better, 5 = B much
    better), or None when a blur does not decide it (both sharp or both blurred: left for
    people). A sharp asset beats its own blurred copy by much, another sample's blurred copy
    by a little less."""
    if a.blurred == b.blurred:
        return None
    much = a.source == b.source
    if b.blurred:
        return 1 if much else 2
    return 5 if much else 4


@dataclass(frozen=True)
class Rater:
    username: str
    first_name: str
    last_name: str = "(simulated)"


RATERS = [Rater(f"demo-rater-{n}", f"Simulated demo rater {n}") for n in (1, 2, 3)]

# The demo refit: fitted on the pairs of one prompt, measured on the other's (seed 0 holds out
# the elephants prompt at a test fraction of 0.3); 8 rated pairs per project; a candidate to
# compare with the published weights, which stay active (a fit on 4 pairs should not replace them).
REFIT_SETTINGS = {"min_pairs": 8, "test_fraction": 0.3, "seed": 0, "promote": "never"}
REFIT_LABEL = "demo refit on the simulated raters' pairs"

# The image demo's dominance-pair version (MPO training pairs, ``docs/datasets.md``), exported by a
# real export job from the simulated raters' answers scored with the published weights: a sample
# dominates when it is at least as good in quality and fidelity and better by 0.1 in one (the
# published weights' scale; a blur costs the portraits 0.36 in quality). On the demo's answers: 9
# candidates on the 2 prompts, 4 per prompt kept.
DOMINANCE_NAME = "demo-mpo-image"
DOMINANCE_SETTINGS = {
    "kind": "dominance_pairs",
    "dominance": {"source": "human", "margins": {"quality": 0.1, "fidelity": 0.1}, "pairs_per_prompt": 4},
}
DOMINANCE_DESCRIPTION = (
    "Demo: dominance pairs of the image demo (MPO training data) from the simulated raters' answers, "
    "scored with the published VisionReward weights."
)

# The image demo's pair gold check: the sample test1.jpg against its own blurred copy, with the
# preference the simulated raters give it (the sharp one much better), answered by every simulated
# rater, so the manage screen's pair gold columns have figures.
GOLD_PAIR = ("test1.jpg", "test1-blurred.jpg")
GOLD_COMMENT = "Demo: a sample against its own blurred copy; the sharp one is much better."


@dataclass(frozen=True)
class Demo:
    name: str
    media_type: str
    checklist: str
    assets: list[DemoAsset] = field(default_factory=list)
    slug: str | None = None  # the project's short handle (`vr export --project demo`)


DEMOS = [
    Demo("VisionReward image demo", "image", "visionreward-image", IMAGE_ASSETS, slug="demo"),
    Demo("VisionReward video demo", "video", "visionreward-video", VIDEO_ASSETS, slug="video-demo"),
]

MODEL_NAME = "demo-tiny-llava"


def description(demo: Demo) -> str:
    what = f"{demo.media_type}s"
    return (
        f"Demo: VisionReward's sample {what} with their real prompts, plus copies made from them (blurred, "
        f"{'still frames' if demo.media_type == 'image' else 'slow zooms'}; each asset's metadata says how). "
        f"Pre-filled by the offline model {MODEL_NAME} (random weights: it shows pre-fill at work, not real "
        "judgements); press Start annotating to see its guesses. Simulated demo raters gave the first of two "
        "answers per task and rated the pairs a blur decides; pairs of two sharp or two blurred "
        f"{what} wait for you. Weights: the published VisionReward weights are active, and a refit on the rated "
        "pairs is a candidate compared with them."
    )
