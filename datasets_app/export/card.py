"""The dataset card (README.md with a YAML header) and the files beside it.

The YAML header is what ``datasets.load_dataset(folder)`` and the Hub read: ``configs`` (one
entry per written config, ``data_files`` with one glob per split, ``default`` marked),
``dataset_info`` (per config: the features in ``datasets``' own YAML form, from
``DatasetInfo._to_yaml_dict``, and the splits with ``num_examples`` — ``load_dataset`` checks
those counts against the data), plus ``pretty_name``, ``license``, ``language``,
``task_categories``, ``tags`` and ``size_categories``. ``num_bytes`` / ``download_size`` /
``dataset_size`` are the parquet bytes on disk.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from datasets import DatasetInfo, SplitDict, SplitInfo

from annotator.checklist import Checklist

from .items import ExportSettings
from .writers import WrittenConfig

VISIONREWARD_PAPER = "https://arxiv.org/abs/2412.21059"
VISIONREWARD_CODE = "https://github.com/THUDM/VisionReward"

TASK_CATEGORIES = {
    "image": ["image-classification", "visual-question-answering", "text-to-image"],
    "video": ["video-classification", "visual-question-answering", "text-to-video"],
}
TAGS = ["visionreward", "human-feedback", "preference", "reward-modeling", "checklist", "ai-generated"]

COMBINE_TEXT = {
    "all": (
        "one row per annotation (`source` = `annotation`, id `<asset>-<annotation>`), plus the reviewer's gold "
        "answer as a row of its own (`source` = `gold`, id `<asset>-gold`)"
    ),
    "majority": (
        "one row per asset (`source` = `majority`): per question the answer given by more than half of the raters "
        "for whom it applied; ties go to the gold answer when there is one (and it applies), otherwise to *no*. The "
        "mask applies the checklist's gating to the majority answers (with one level of gating: applicable for a "
        "strict majority of raters). `agreement` = share of the applicable raters who gave the chosen answer; "
        "`options` = the options the majority answers imply (null where inconsistent or undetermined)"
    ),
    "gold": (
        "one row per asset: the reviewer's gold answer where there is one (`source` = `gold`; `agreement` = share "
        "of the applicable raters who gave the gold answer), the majority row otherwise (`source` = `majority`)"
    ),
}

COLUMN_TEXT: dict[str, dict[str, str]] = {
    "default": {
        "id": "row id: `<asset>` (one row per asset) or `<asset>-<annotation>` / `<asset>-gold` (rule `all`)",
        "asset_id": "platform asset id",
        "project_id": "platform project id",
        "prompt": "the generation prompt",
        "media_type": "`image` or `video`",
        "image": "the image (Image feature)",
        "video_path": "the video, path relative to the dataset folder",
        "frames": "sampled video frames (embedded images)",
        "options": "chosen option code per sub-dimension key (null: not applicable / undetermined)",
        "answers": "binary answers in question-position order (`checklist.json`), 0 where not applicable",
        "mask": "1 where the question applies",
        "agreement": "per question, share of applicable raters agreeing with the answer (null where masked)",
        "num_annotations": "number of rater annotations of the asset (gold excluded)",
        "annotator": "annotator (or reviewer for gold rows); null for majority rows",
        "source": "`annotation`, `gold` or `majority`",
        "state": "annotation state: `submitted`, `reviewed` or `gold`; null for majority rows",
        "score": "weighted reward of the asset under the weight set (`weights.json`); null without one",
        "dimension_scores": "per-dimension reward under the weight set",
        "metadata": "asset metadata as a JSON string",
        "media_sha256": "sha256 the platform recorded for the asset (media files are named by their own sha256)",
    },
    "pairs": {
        "internal_id": "pairwise task id",
        "project_id": "platform project id",
        "prompt": "the prompt both assets were generated from",
        "asset_a_id": "first asset id",
        "asset_b_id": "second asset id",
        "image_a": "first image",
        "image_b": "second image",
        "video_a_path": "first video, relative path",
        "video_b_path": "second video, relative path",
        "ratings": "ratings 1 (A much better) … 3 (no preference) … 5 (B much better)",
        "num_ratings": "number of ratings",
        "gold_rating": "reviewer's rating on the same scale, if any",
        "preference_mean": "mean rating (null without ratings)",
        "label": "1.0 A preferred, 0.0 B preferred, 0.5 tie (gold rating if any, else mean; below 3 = A)",
        "standard_answer": '"1" A preferred, "2" B preferred, "0" tie (same judgement as `label`)',
    },
    "visionreward": {
        "image": "the image (as VisionRewardDB-Image)",
        "video_path": "the video, relative path (as VisionRewardDB-Video)",
        "internal_id": "the default config's row id",
        "prompt": "the generation prompt",
        "url": "source URL of the asset, if any",
        "annotation": "option code per sub-dimension, fields named as on the VisionRewardDB cards",
        "meta_result": "binary answers in question-file order",
        "meta_mask": "applicability mask in question-file order",
    },
    "regression": {
        "internal_id": "pairwise task id",
        "prompt": "the prompt",
        "standard_answer": '"1" first preferred, "2" second preferred, "0" tie (our convention; see below)',
        "video1_path": "first video, relative path",
        "video2_path": "second video, relative path",
        "image1": "first image",
        "image2": "second image",
    },
    "balanced_qa": {
        "id": "`<asset>-<question key>`",
        "asset_id": "platform asset id",
        "question_key": "question key (`checklist.json`)",
        "question": "question text with `[[prompt]]` filled in",
        "answer": "`yes` or `no`",
        "prompt": "the generation prompt",
        "image": "the image",
        "video_path": "the video, relative path",
        "frames": "sampled video frames (embedded images)",
        "split": "the split (same as the parquet split)",
    },
}

CONFIG_TEXT = {
    "default": "checklist answers, one row per asset or per annotation (combine rule above)",
    "pairs": "pairwise preferences (two assets of one prompt, rated 1–5)",
    "visionreward": "the same rows in the VisionRewardDB-Image / -Video layout",
    "regression": "pairs in VisionRewardDB-Video's `regression` layout",
    "balanced_qa": "per question as many *yes* as *no* examples, for fine-tuning a question-answering model",
}


SIZE_CATEGORIES = (
    (10**3, "n<1K"),
    (10**4, "1K<n<10K"),
    (10**5, "10K<n<100K"),
    (10**6, "100K<n<1M"),
    (10**7, "1M<n<10M"),
    (10**8, "10M<n<100M"),
    (10**9, "100M<n<1B"),
    (10**10, "1B<n<10B"),
    (10**11, "10B<n<100B"),
    (10**12, "100B<n<1T"),
)


def size_category(rows: int) -> str:
    """The Hub's ``size_categories`` bucket of a row count."""
    for limit, name in SIZE_CATEGORIES:
        if rows < limit:
            return name
    return "n>1T"


def config_info_yaml(config: WrittenConfig) -> dict[str, Any]:
    """One ``dataset_info`` entry, in ``datasets``' own YAML form."""
    size = sum(split.num_bytes for split in config.splits.values())
    info = DatasetInfo(
        features=config.features,
        splits=SplitDict(
            {
                name: SplitInfo(name=name, num_bytes=split.num_bytes, num_examples=split.num_examples)
                for name, split in config.splits.items()
            }
        ),
        download_size=size,
        dataset_size=size,
    )
    return {"config_name": config.name, **info._to_yaml_dict()}


def card_header(
    settings: ExportSettings, checklist: Checklist, configs: Sequence[WrittenConfig], extra_tags: Sequence[str] = ()
) -> dict[str, Any]:
    """The YAML front matter as a dict (configs without rows are left out)."""
    written = [config for config in configs if config.splits]
    default_rows = next((config.num_rows for config in written if config.name == "default"), 0)
    header: dict[str, Any] = {"pretty_name": settings.pretty_name, "license": settings.license}
    if settings.license == "other":
        header["license_name"] = "custom"
    header.update(
        {
            "language": ["en"],
            "task_categories": TASK_CATEGORIES[checklist.media_type],
            "tags": [*TAGS, checklist.media_type, *extra_tags],
            "size_categories": [size_category(default_rows)],
            "configs": [
                {
                    "config_name": config.name,
                    **({"default": True} if config.name == "default" else {}),
                    "data_files": config.data_files(),
                }
                for config in written
            ],
            "dataset_info": [config_info_yaml(config) for config in written],
        }
    )
    return header


def _fmt(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{100 * value:.1f} %" if percent else f"{value:.3f}"


def _provenance_lines(provenance: Mapping[str, Any]) -> list[str]:
    lines = []
    for key, value in provenance.items():
        label = key.replace("_", " ")
        if key == "projects" and isinstance(value, list | tuple):
            names = [
                f"{project.get('name', '?')} (id {project.get('id', '?')})"
                if isinstance(project, Mapping)
                else str(project)
                for project in value
            ]
            lines.append(f"- projects: {', '.join(names) or 'none'}")
        elif isinstance(value, Mapping):
            lines.append(f"- {label}: " + ", ".join(f"{k} = {v}" for k, v in value.items()))
        elif isinstance(value, list | tuple):
            lines.append(f"- {label}: {', '.join(map(str, value))}")
        else:
            lines.append(f"- {label}: {value}")
    return lines


def _columns_table(config: WrittenConfig) -> list[str]:
    texts = COLUMN_TEXT.get(config.name, {})
    lines = ["| column | type | meaning |", "| --- | --- | --- |"]
    for name, feature in config.features.items():
        kind = getattr(feature, "_type", None) or ("struct" if isinstance(feature, dict) else type(feature).__name__)
        if kind == "Value":
            kind = feature.dtype
        elif kind == "List":
            inner = feature.feature
            kind = f"list<{getattr(inner, 'dtype', None) or getattr(inner, '_type', 'struct').lower()}>"
        lines.append(f"| `{name}` | {str(kind).lower()} | {texts.get(name, '')} |")
    return lines


def _load_section(folder_name: str, media_type: str, settings: ExportSettings, configs: Sequence[str]) -> list[str]:
    first = next(iter(settings.split_ratios))
    lines = [
        "## Loading",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        f'ds = load_dataset("{folder_name}")            # the default config (a local folder or a Hub repo id)',
    ]
    for name in configs:
        if name != "default":
            lines.append(f'{name} = load_dataset("{folder_name}", "{name}")')
    lines += [
        "# or one config's parquet files directly:",
        f'ds = load_dataset("parquet", data_files={{"{first}": "{folder_name}/data/{first}-*.parquet"}})',
        "```",
        "",
    ]
    if media_type == "image" and not settings.embed_media:
        lines += [
            "Images are **not embedded**: each image cell holds a path relative to this folder "
            "(`media/<sha[:2]>/<sha256>.<ext>`) and no bytes. `datasets` opens such paths relative to the "
            "*working directory*, so either load from inside this folder, or resolve the paths first:",
            "",
            "```python",
            "import os",
            "from datasets import Image, load_dataset",
            "",
            f'root = os.path.abspath("{folder_name}")',
            f'ds = load_dataset(root, split="{first}").cast_column("image", Image(decode=False))',
            'ds = ds.map(lambda row: {"image": {"path": os.path.join(root, row["image"]["path"]), "bytes": None}})',
            'ds = ds.cast_column("image", Image())   # decodes to PIL images again',
            "```",
            "",
            "The same holds for `image_a` / `image_b` (`pairs`), `image1` / `image2` (`regression`).",
            "",
        ]
    elif media_type == "image":
        lines += ['Images are embedded in the parquet files (`Image` feature): `ds[0]["image"]` is a PIL image.', ""]
    if media_type == "video":
        lines += [
            "Videos are not embedded (as in VisionRewardDB-Video): `video_path` is relative to this folder, "
            '`os.path.join(root, row["video_path"])` opens it.'
            + (" `frames` holds the sampled frames as embedded images." if settings.embed_frames else ""),
            "",
        ]
    return lines


def dataset_card(
    *,
    settings: ExportSettings,
    checklist: Checklist,
    configs: Sequence[WrittenConfig],
    provenance: Mapping[str, Any] | None = None,
    weights: Mapping[str, Any] | None = None,
    stats: Mapping[str, Any] | None = None,
    content_hash: str | None = None,
    balanced: Mapping[str, int] | None = None,
    dataset_name: str = "path/to/this/folder",
) -> str:
    """README.md text: the YAML header (see the module docstring) and prose on how the data
    was made, its configs and columns, how to load it, and attribution.

    ``provenance``: free-form facts (``projects`` as ``[{"id", "name"}]``, ``dataset_version``,
    ``checklist_version``, ``weight_set``, ``created_at``, ``annotation_states``…);
    ``stats``: :meth:`AgreementSummary.to_dict` output; ``balanced``: per-question k of the
    ``balanced_qa`` config; ``dataset_name``: how the loading examples name the dataset (the
    published folder or a Hub repo id)."""
    header = card_header(settings, checklist, configs)
    written = [config for config in configs if config.splits]
    by_name = {config.name: config for config in written}
    lines = ["---", yaml.safe_dump(header, sort_keys=False, allow_unicode=True, width=1000).rstrip(), "---", ""]
    lines += [f"# {settings.pretty_name}", ""]
    if settings.description.strip():
        lines += [settings.description.strip(), ""]
    lines += [
        f"Fine-grained human preference annotations of AI-generated {checklist.media_type}s, collected with a "
        f"VisionReward-style checklist ([VisionReward]({VISIONREWARD_PAPER})): dimension → sub-dimension → ordered "
        "options → binary yes/no questions, every question phrased so that *yes* is desirable.",
        "",
        "## Summary",
        "",
        "| config | split | rows |",
        "| --- | --- | --- |",
    ]
    for config in written:
        for split in config.splits.values():
            lines.append(f"| `{config.name}` | `{split.name}` | {split.num_examples} |")
    lines.append("")
    if content_hash:
        lines += [f"Content hash (sha256 over every row, media by sha256): `{content_hash}`", ""]

    lines += ["## How it was made", ""]
    lines += _provenance_lines(provenance or {})
    lines += [
        f"- checklist: `{checklist.key}` — {checklist.title}; {len(checklist.dimensions)} dimensions, "
        f"{len(checklist.sub_dimensions)} sub-dimensions, {len(checklist.questions)} questions; content hash "
        f"`{checklist.content_hash()}` (definition in `checklist.json`)",
        f"- combine rule `{settings.combine}`: {COMBINE_TEXT[settings.combine]}",
        "- splits: by prompt — `sha256(seed + NUL + prompt)` mapped to [0, 1) and cut at the cumulative ratios "
        + ", ".join(f"`{name}` {share:g}" for name, share in settings.split_ratios.items())
        + f" (seed {settings.seed}); every row of a prompt (assets, annotations, pairs) is in one split and adding "
        "prompts never moves old ones. Splits without rows are left out.",
    ]
    if weights:
        name = weights.get("name") or weights.get("label") or weights.get("key") or "weight set"
        lines.append(
            f"- scores: `score` and `dimension_scores` come from the weight set {name} "
            f"(`weights.json`: {len(weights.get('coefficients', {}))} coefficients, "
            f"encoding {weights.get('encoding', 'n/a')}, normalization {weights.get('normalization', 'n/a')})"
        )
    else:
        lines.append(
            "- scores: no weight set was recorded with this export (no `weights.json`); `score` and "
            "`dimension_scores` are as the platform provided them (null when none)"
        )
    if stats:
        lines.append(
            f"- counts: {stats.get('items', 0)} assets, {stats.get('annotations', 0)} annotations by "
            f"{stats.get('annotators', 0)} annotators, {stats.get('gold', 0)} gold answers"
            + (
                f"; annotation states {', '.join(f'{k} {v}' for k, v in stats.get('annotation_states', {}).items())}"
                if stats.get("annotation_states")
                else ""
            )
        )
        lines.append(
            "- agreement on the binary answers (raters for whom the question applied; assets with ≥ 2 such raters): "
            f"mean percent agreement {_fmt(stats.get('mean_percent_agreement'), percent=True)}, mean Fleiss' kappa "
            f"{_fmt(stats.get('mean_kappa'))} (the paper reports 89.29 % for images, 89.33 % for videos)"
        )
    if "balanced_qa" in by_name and balanced is not None:
        cap = settings.balanced_cap
        lines.append(
            f"- `balanced_qa`: per question k = min(#yes, #no, {cap}) of each answer, chosen by smallest "
            f"`sha256(seed, question, asset)`; {sum(1 for k in balanced.values() if k)} of {len(balanced)} "
            "questions have both answers"
        )
    lines.append("")
    if stats and stats.get("questions"):
        lines += [
            "<details><summary>Agreement per question</summary>",
            "",
            "| question | assets | percent agreement | kappa |",
            "| --- | --- | --- | --- |",
        ]
        for key, value in stats["questions"].items():
            lines.append(
                f"| `{key}` | {value['n_items']} | {_fmt(value['percent_agreement'], percent=True)} "
                f"| {_fmt(value['kappa'])} |"
            )
        lines += ["", "</details>", ""]

    lines += ["## Configs and columns", ""]
    for config in written:
        lines += [f"### `{config.name}`", "", CONFIG_TEXT.get(config.name, ""), ""]
        lines += _columns_table(config)
        lines.append("")
    lines += [
        "The questions, in answer-vector order, with their sub-dimension and dimension:",
        "",
        "<details><summary>Questions</summary>",
        "",
        "| # | key | dimension | sub-dimension | question |",
        "| --- | --- | --- | --- | --- |",
    ]
    for question in checklist.questions:
        text = question.text.replace("|", "\\|")
        lines.append(
            f"| {question.position} | `{question.key}` | `{question.dimension}` | `{question.sub_dimension}` | {text} |"
        )
    lines += ["", "</details>", ""]
    if "regression" in by_name:
        lines += [
            "`standard_answer`: the VisionRewardDB-Video card declares this column as a string without saying what it "
            'holds. Here it is "1" when the first asset is preferred, "2" when the second is, "0" for a tie.',
            "",
        ]

    lines += _load_section(dataset_name, checklist.media_type, settings, [config.name for config in written])
    lines += [
        "## Files",
        "",
        "- `README.md`: this card; `checklist.json`: the checklist definition (questions in answer order)",
        "- `weights.json`: the weight set behind `score` (absent when none)",
        "- `data/`, `<config>/`: parquet shards `<split>-0000N-of-0000M.parquet`",
        "- `annotations.jsonl`: the default config as JSON lines (media as relative paths), when written",
        "- `media/`: media files named by sha256 (path-mode images, videos)",
        "",
        "## Attribution",
        "",
        "The checklist structure, question texts and the VisionRewardDB layouts follow VisionReward (Xu et al., "
        f'"VisionReward: Fine-Grained Multi-Dimensional Human Preference Learning for Image and Video Generation", '
        f"arXiv:2412.21059; code and data: {VISIONREWARD_CODE}, Apache-2.0). The annotations are this platform's.",
        "",
        "```bibtex",
        "@article{xu2024visionreward,",
        "  title={VisionReward: Fine-Grained Multi-Dimensional Human Preference Learning for Image and Video "
        "Generation},",
        "  author={Xu, Jiazheng and Huang, Yu and Cheng, Jiale and others},",
        "  journal={arXiv preprint arXiv:2412.21059},",
        "  year={2024}",
        "}",
        "```",
        "",
    ]
    return "\n".join(lines)


def write_card_files(
    folder: str | os.PathLike, card: str, checklist: Checklist, weights: Mapping[str, Any] | None = None
) -> list[str]:
    """Write ``README.md``, ``checklist.json`` and (when given) ``weights.json``; returns the
    names written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text(card, encoding="utf-8")
    (folder / "checklist.json").write_text(
        json.dumps(checklist.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    names = ["README.md", "checklist.json"]
    if weights is not None:
        (folder / "weights.json").write_text(
            json.dumps(dict(weights), indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
        )
        names.append("weights.json")
    return names
