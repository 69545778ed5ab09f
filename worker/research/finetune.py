"""Fine-tune jobs: LoRA on a dataset version's ``balanced_qa`` train split, merged into a new
registered model (``docs/research-jobs.md``).

The request side (``start_finetune``) validates the body (400 naming the field, nothing saved)
and writes a ``finetune`` job on the base model's queue. The runner (``run_finetune``):

1. loads the base model through the real loading code (``prefill.load_guesser``: a fresh
   ``HFGuesser`` with the spec's dtype and device; ``auto`` is the GPU when there is one, else the
   CPU, as for pre-fill);
2. builds every example exactly as the guesser asks the question: ``HFGuesser.build_prompt`` on
   the row's image and prompt with the version's checklist, that question's suffix appended to
   the prefix (instruction, image, prompt, question, answer cue, assistant turn);
3. the **loss** is the cross-entropy over the yes/no pair at the first answer position, the
   way P(yes) is read (``guessers.scoring``): with ``z = logsumexp(logits[yes spellings]) −
   logsumexp(logits[no spellings])`` at the prompt's last token, ``P(yes) = σ(z)`` and the loss
   is ``BCE(σ(z), target)`` (target 1 for "yes", 0 for "no"). The mass on other tokens does not
   count (it does not count when P(yes) is read either);
4. trains LoRA adapters (``peft``) with AdamW in a plain loop, one progress report per step and
   a cancel honoured between steps; the validation split is evaluated before and after (mean log
   loss and accuracy of P(yes) > 0.5), as is a sample of the training examples;
5. merges the adapters (``merge_and_unload``), saves model + processor aside under
   ``VR_MODELS_ROOT/.staging/`` and renames the folder to ``VR_MODELS_ROOT/<name>/`` in the
   transaction that registers the new ``ModelSpec`` (same dtype, device, queue, batch size and
   frames as the base; notes with the base, dataset version, settings and metrics).

A retry starts the training from the beginning (nothing is resumed).
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import random
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings
from django.db import transaction

from annotator.api_errors import summarize
from worker.jobs import JobCancelled, JobContext, JobFailed, create_job
from worker.models import Job, ModelSpec

logger = logging.getLogger(__name__)

FINETUNE_FIELDS = ("dataset_version", "model", "name", "settings")
DEFAULT_SETTINGS: dict[str, Any] = {
    "epochs": 1,
    "max_steps": None,
    "learning_rate": 1e-4,
    "batch_size": 4,
    "lora_r": 8,
    "lora_alpha": 16,
    "lora_dropout": 0.05,
    "target_modules": None,  # None: the language model's attention projections
    "seed": 0,
}
ATTENTION_PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj")
_VISION_WORDS = ("vision", "visual", "image_encoder", "vit", "multi_modal_projector", "mm_projector")
TRAIN_SAMPLE = 64  # training examples scored before and after (the "train" metrics)
_NAME_RE = re.compile(r"^[-a-zA-Z0-9_]+$")


class ResearchRequestError(Exception):
    """The request is invalid; ``errors`` maps a field to readable messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        self.detail = summarize(errors)
        super().__init__(self.detail)


def models_root() -> Path:
    return Path(getattr(django_settings, "VR_MODELS_ROOT", Path(django_settings.VAR_DIR) / "models"))


# --- reading a dataset version ------------------------------------------------------------------


@contextmanager
def local_version(version) -> Iterator[Path | None]:
    """The version's folder on this host for the length of the ``with`` (a research job reads it
    there): the folder itself on a filesystem datasets storage (nothing copied), else a scratch
    copy of it from the object store (``annotator.storage.local_tree``, removed afterwards); None
    when nothing is stored under it."""
    from annotator.storage import datasets_storage, local_tree

    if not version.path:
        yield None
        return
    with local_tree(datasets_storage(), version.path) as folder:
        yield folder if folder.is_dir() else None


def has_files(version) -> bool:
    """Its folder is stored: a local folder that exists, or its README.md in the object store."""
    from annotator.storage import datasets_storage, join, local_path

    if not version.path:
        return False
    store = datasets_storage()
    folder = local_path(store, version.path)
    if folder is not None:
        return folder.is_dir()
    return store.exists(join(version.path, "README.md"))


def config_splits(version, config: str, *, folder: Path | None = None) -> list[tuple[str, str]]:
    """(split, parquet path) of a config of a ready version (read in ``folder``, its
    :func:`local_version`; its own folder by default); [] when it has none."""
    from datasets_app.export.diff import config_files

    folder = version.folder if folder is None else folder
    if folder is None or not folder.is_dir():
        return []
    try:
        return config_files(folder, config)
    except FileNotFoundError:
        return []


def read_config(
    version, config: str, *, splits: set[str] | None = None, media: bool = False, folder: Path | None = None
) -> list[dict]:
    """The rows of one config (``split`` added); with ``media`` the ``image`` column is kept as
    the parquet cell (``{"bytes", "path"}``, opened by :func:`open_image`), else it is dropped."""
    import pyarrow.parquet as pq

    rows: list[dict] = []
    for split, path in config_splits(version, config, folder=folder):
        if splits is not None and split not in splits:
            continue
        parquet = pq.ParquetFile(path)
        names = parquet.schema_arrow.names
        columns = [n for n in names if media or n not in ("image", "image_a", "image_b", "frames")]
        for batch in parquet.iter_batches(batch_size=500, columns=columns):
            for row in batch.to_pylist():
                row["split"] = split
                rows.append(row)
    return rows


def open_image(version, cell, *, folder: Path | None = None):
    """A PIL image from an ``Image`` cell: embedded bytes, else a path relative to the folder
    (``folder``, its :func:`local_version`; its own folder by default)."""
    from PIL import Image

    if not cell:
        raise JobFailed(f"dataset version {version.pk} has a row without an image")
    data = cell.get("bytes")
    if data:
        image = Image.open(io.BytesIO(data))
    else:
        folder = version.folder if folder is None else folder
        path = (folder / (cell.get("path") or "")).resolve()
        if folder.resolve() not in path.parents:
            raise JobFailed(f"dataset version {version.pk}: image path {cell.get('path')!r} leaves its folder")
        image = Image.open(path)
    return image.convert("RGB")


def media_type_of(version) -> str:
    from annotator.models import Project

    types = set(Project.objects.filter(pk__in=version.projects.values("pk")).values_list("media_type", flat=True))
    return types.pop() if len(types) == 1 else "mixed"


# --- request validation (shared with evaluating) ------------------------------------------------


def check_version(user, value, errors: dict, *, need: str | None = None):
    """The ready dataset version ``value`` the user may see (researcher or manager of all its
    projects), with image media; records an error under ``dataset_version`` otherwise."""
    from datasets_app.models import DatasetVersion
    from datasets_app.views import visible_versions

    if not is_id(value):
        errors["dataset_version"] = ["must be the id of a dataset version"]
        return None
    version = visible_versions(user).filter(pk=int(value)).first()
    if version is None:
        errors["dataset_version"] = [f"dataset version {value} does not exist or you cannot see it"]
        return None
    if version.state != DatasetVersion.State.READY:
        errors["dataset_version"] = [f"dataset version {version.pk} is {version.state}, not ready"]
        return None
    if not has_files(version):
        errors["dataset_version"] = [f"dataset version {version.pk} has no files on this server"]
        return None
    if media_type_of(version) != "image":
        errors["dataset_version"] = [
            f"dataset version {version.pk} is not an image dataset (only images are supported)"
        ]
        return None
    if need and not (version.row_counts or {}).get(need):
        errors["dataset_version"] = [f"dataset version {version.pk} has no {need} rows"]
        return None
    return version


def is_id(value) -> bool:
    """A positive database id (an int, or a string of ASCII digits), small enough for bigint."""
    return (
        not isinstance(value, bool) and isinstance(value, int | str) and bool(re.fullmatch(r"[0-9]{1,18}", str(value)))
    )


def check_model(value, errors: dict, field: str = "model") -> ModelSpec | None:
    if not isinstance(value, str) or not _NAME_RE.match(value.strip()) or len(value.strip()) > 100:
        errors[field] = ["must be the name of a registered model"]
        return None
    spec = ModelSpec.objects.filter(name=value.strip()).first()
    if spec is None:
        known = ", ".join(ModelSpec.objects.filter(enabled=True).values_list("name", flat=True)[:20]) or "none"
        errors[field] = [f"no model named {value.strip()!r} (enabled models: {known})"]
        return None
    if not spec.enabled:
        errors[field] = [f"model {spec.name!r} is disabled"]
        return None
    return spec


def _number(settings: dict, key: str, errors: dict, *, kind=float, low=None, high=None, low_open=False):
    value = settings[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or (kind is int and not float(value).is_integer()):
        errors[f"settings.{key}"] = [f"must be {'an integer' if kind is int else 'a number'}"]
        return
    value = kind(value)
    if not math.isfinite(value) or (low is not None and (value <= low if low_open else value < low)):
        errors[f"settings.{key}"] = [f"must be {'>' if low_open else '≥'} {low}"]
        return
    if high is not None and value > high:
        errors[f"settings.{key}"] = [f"must be ≤ {high}"]
        return
    settings[key] = value


def validate_settings(raw, errors: dict) -> dict:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        errors["settings"] = ["must be an object"]
        return {}
    for key in sorted(k for k in raw if k not in DEFAULT_SETTINGS):
        errors[f"settings.{key}"] = [f"unknown setting; allowed: {', '.join(DEFAULT_SETTINGS)}"]
    settings = {**DEFAULT_SETTINGS, **{k: v for k, v in raw.items() if k in DEFAULT_SETTINGS}}
    _number(settings, "epochs", errors, kind=int, low=1, high=1000)
    if settings["max_steps"] is not None:
        _number(settings, "max_steps", errors, kind=int, low=1, high=1_000_000)
    _number(settings, "learning_rate", errors, low=0, high=1, low_open=True)
    _number(settings, "batch_size", errors, kind=int, low=1, high=512)
    _number(settings, "lora_r", errors, kind=int, low=1, high=1024)
    _number(settings, "lora_alpha", errors, low=0, high=1e6, low_open=True)
    _number(settings, "lora_dropout", errors, low=0, high=0.99)
    _number(settings, "seed", errors, kind=int, low=0, high=2**31 - 1)
    modules = settings["target_modules"]
    if modules is not None:
        if (
            not isinstance(modules, list)
            or not modules
            or not all(isinstance(m, str) and re.fullmatch(r"[\w.]+", m) for m in modules)
        ):
            errors["settings.target_modules"] = ['must be a non-empty list of module names (e.g. ["q_proj", "v_proj"])']
    return settings


def validate_finetune(user, data) -> tuple[Any, ModelSpec, str, dict]:
    errors: dict[str, list[str]] = {}
    if not isinstance(data, dict):
        raise ResearchRequestError({"non_field_errors": ["expected a JSON object"]})
    for key in sorted(str(k) for k in data if k not in FINETUNE_FIELDS):
        errors[key] = [f"unknown field; allowed: {', '.join(FINETUNE_FIELDS)}"]
    version = check_version(user, data.get("dataset_version"), errors, need="balanced_qa")
    if version is not None and not (version.row_counts.get("balanced_qa") or {}).get("train"):
        errors["dataset_version"] = [f"dataset version {version.pk} has no balanced_qa rows in its train split"]
    spec = check_model(data.get("model"), errors)
    name = data.get("name")
    if name in (None, ""):
        name = None
        if spec is not None and version is not None:
            base = f"{spec.name}-ft-{version.name}-v{version.version}"[:90]
            base = re.sub(r"[^-a-zA-Z0-9_]", "-", base)
            name, n = base, 1
            while ModelSpec.objects.filter(name=name).exists() or (models_root() / name).exists():
                n += 1
                name = f"{base}-{n}"
    elif not isinstance(name, str) or not _NAME_RE.match(name) or len(name) > 100:
        errors["name"] = ["must be a slug (letters, digits, - and _), at most 100 characters"]
    elif ModelSpec.objects.filter(name=name).exists():
        errors["name"] = [f"a model named {name!r} already exists"]
    elif (models_root() / name).exists():
        errors["name"] = [f"the folder {models_root() / name} already exists"]
    elif Job.objects.filter(
        kind=Job.Kind.FINETUNE, state__in=[Job.State.QUEUED, Job.State.RUNNING], params__name=name
    ).exists():
        errors["name"] = [f"another fine-tune job is already making a model named {name!r}"]
    settings = validate_settings(data.get("settings"), errors)
    if errors:
        raise ResearchRequestError(errors)
    return version, spec, name, settings


def first_project(version):
    return version.projects.order_by("pk").first()


def start_finetune(user, data) -> Job:
    version, spec, name, settings = validate_finetune(user, data)
    with transaction.atomic():
        return create_job(
            Job.Kind.FINETUNE,
            {
                "dataset_version": version.pk,
                "model": spec.name,
                "model_id": spec.pk,
                "name": name,
                "settings": settings,
            },
            project=first_project(version),
            user=user,
            queue=spec.queue,
            max_attempts=2,
            message=f"queued: fine-tune {spec.name} on {version.label} → {name}",
        )


# --- the model side -------------------------------------------------------------------------------


def default_target_modules(model) -> list[str]:
    """Full names of the language model's attention projections (never the vision tower's)."""
    import torch

    names = []
    for name, module in model.named_modules():
        if not isinstance(module, torch.nn.Linear) or name.rsplit(".", 1)[-1] not in ATTENTION_PROJECTIONS:
            continue
        lowered = name.lower()
        if any(word in lowered for word in _VISION_WORDS):
            continue
        names.append(name)
    return names


def build_examples(guesser, version, checklist, rows: list[dict], *, folder: Path | None = None) -> list[dict]:
    """(text, images, add_special_tokens, target) per row, as the guesser asks the question."""
    from worker.prefill.guessers.base import GuessRequest, MediaInput

    keys = list(checklist.question_keys)
    examples = []
    prompts: dict = {}
    for row in rows:
        key = row.get("question_key")
        if key not in keys:
            raise JobFailed(f"question {key!r} of row {row.get('id')} is not in the checklist of the dataset version")
        answer = str(row.get("answer", "")).strip().lower()
        if answer not in ("yes", "no"):
            raise JobFailed(f"row {row.get('id')} has answer {row.get('answer')!r} (expected yes or no)")
        cache_key = (row.get("asset_id"), row.get("prompt"))
        prompt = prompts.get(cache_key)
        if prompt is None:
            media = MediaInput(kind="image", frames=[open_image(version, row.get("image"), folder=folder)])
            prompt = guesser.build_prompt(
                GuessRequest(media=media, prompt=row.get("prompt") or "", checklist=checklist)
            )
            prompts[cache_key] = prompt
        examples.append(
            {
                "text": prompt.prefix_text + prompt.question_texts[prompt.keys.index(key)],
                "images": prompt.images,
                "add_special_tokens": prompt.add_special_tokens,
                "target": 1.0 if answer == "yes" else 0.0,
                "question_key": key,
            }
        )
    return examples


def answer_logit(guesser, model, examples: list[dict]):
    """z = logsumexp(yes logits) − logsumexp(no logits) at each example's last prompt token
    (P(yes) = σ(z), exactly as ``scoring.p_yes_from_logits`` reads it)."""
    import torch

    if len({e["add_special_tokens"] for e in examples}) != 1:
        raise JobFailed("examples of one batch must share their template")
    inputs = guesser._processor_inputs(
        [e["text"] for e in examples],
        [image for e in examples for image in e["images"]],
        examples[0]["add_special_tokens"],
    )
    last = inputs["attention_mask"].sum(dim=1) - 1
    out = model(**inputs, use_cache=False)
    rows = torch.arange(len(examples), device=out.logits.device)
    logits = out.logits[rows, last.to(out.logits.device)].float()
    yes = torch.as_tensor(guesser.yes_ids, device=logits.device)
    no = torch.as_tensor(guesser.no_ids, device=logits.device)
    return torch.logsumexp(logits.index_select(-1, yes), -1) - torch.logsumexp(logits.index_select(-1, no), -1)


def qa_metrics(guesser, model, examples: list[dict], batch_size: int) -> dict | None:
    """Mean log loss and accuracy of P(yes) > 0.5 over ``examples`` (None when there are none)."""
    import torch
    import torch.nn.functional as F

    if not examples:
        return None
    was_training = model.training
    model.eval()
    total_loss, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(examples), batch_size):
            chunk = examples[start : start + batch_size]
            z = answer_logit(guesser, model, chunk)
            target = torch.tensor([e["target"] for e in chunk], device=z.device)
            total_loss += float(F.binary_cross_entropy_with_logits(z, target, reduction="sum"))
            correct += int(((z > 0).float() == target).sum())
    model.train(was_training)
    return {"examples": len(examples), "log_loss": total_loss / len(examples), "accuracy": correct / len(examples)}


def _save_model(model, processor, name: str, job: Job) -> Path:
    root = models_root()
    staging = root / ".staging" / f"{name}-job{job.pk}-{job.attempts}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    model.save_pretrained(staging)
    processor.save_pretrained(staging)
    return staging


def _register(staging: Path, name: str, base: ModelSpec, notes: dict, user=None) -> ModelSpec:
    """Register the new model and move its folder in place (one transaction: the folder appears
    only with the row; a rename failure rolls the row back)."""
    final = models_root() / name
    with transaction.atomic():
        if ModelSpec.objects.filter(name=name).exists():
            raise JobFailed(f"a model named {name!r} was registered meanwhile")
        if final.exists():
            raise JobFailed(f"the folder {final} exists already")
        spec = ModelSpec.objects.create(
            name=name,
            title=f"{base.title or base.name} fine-tuned ({name})"[:200],
            source=str(final),
            dtype=base.dtype,
            device=base.device,
            queue=base.queue,
            batch_size=base.batch_size,
            max_frames=base.max_frames,
            trust_remote_code=base.trust_remote_code,
            notes=json.dumps(notes, indent=1, sort_keys=True),
        )
        if spec.trust_remote_code:  # the base's decision carries over to its fine-tune: say so
            from worker.models import RemoteCodeDecision

            from .remote_code import ALLOWED, record

            record(spec, ALLOWED, user, RemoteCodeDecision.Via.FINETUNE)
        os.replace(staging, final)
    return spec


def run_finetune(job: Job, ctx: JobContext) -> dict:
    import torch
    import torch.nn.functional as F

    from datasets_app.models import DatasetVersion
    from worker.prefill.loading import load_guesser

    params = job.params or {}
    settings = {**DEFAULT_SETTINGS, **(params.get("settings") or {})}
    name = params.get("name")
    version = (
        DatasetVersion.objects.select_related("checklist_version").filter(pk=params.get("dataset_version")).first()
    )
    if version is None or version.state != DatasetVersion.State.READY:
        raise JobFailed(f"dataset version {params.get('dataset_version')} is missing or not ready")
    base = (
        ModelSpec.objects.filter(pk=params.get("model_id")).first()
        or ModelSpec.objects.filter(name=params.get("model", "")).first()
    )
    if base is None:
        raise JobFailed(f"model {params.get('model')!r} no longer exists")
    if ModelSpec.objects.filter(name=name).exists():
        raise JobFailed(f"a model named {name!r} exists already")
    checklist = version.checklist_version.checklist

    ctx.report(progress=0.0, message="reading the dataset", log=f"reading balanced_qa of {version.label}")
    with local_version(version) as folder:  # the images are read (and decoded) in here
        rows = read_config(version, "balanced_qa", splits={"train", "validation"}, media=True, folder=folder)
        train_rows = [r for r in rows if r["split"] == "train"]
        val_rows = [r for r in rows if r["split"] == "validation"]
        if not train_rows:
            raise JobFailed(f"dataset version {version.pk} has no balanced_qa rows in its train split")

        started = time.perf_counter()
        ctx.report(message=f"loading model {base.name}")
        try:
            guesser = load_guesser(base)
        except Exception as exc:
            raise JobFailed(f"model {base.name!r} could not be loaded from {base.source!r}: {exc}") from exc
        ctx.log(f"loaded {base.name} on {guesser.device} ({guesser.dtype}) in {time.perf_counter() - started:.1f}s")
        train = build_examples(guesser, version, checklist, train_rows, folder=folder)
        val = build_examples(guesser, version, checklist, val_rows, folder=folder)
    batch_size = int(settings["batch_size"])
    rng = random.Random(int(settings["seed"]))
    sample = train if len(train) <= TRAIN_SAMPLE else rng.sample(train, TRAIN_SAMPLE)

    from peft import LoraConfig, get_peft_model

    torch.manual_seed(int(settings["seed"]))
    targets = settings["target_modules"] or default_target_modules(guesser.model)
    if not targets:
        raise JobFailed("no attention projections found in the language model: set settings.target_modules")
    lora = LoraConfig(
        r=int(settings["lora_r"]),
        lora_alpha=float(settings["lora_alpha"]),
        lora_dropout=float(settings["lora_dropout"]),
        target_modules=targets,
        bias="none",
    )
    try:
        model = get_peft_model(guesser.model, lora)
    except ValueError as exc:
        raise JobFailed(f"settings.target_modules: {exc}") from exc
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    ctx.log(f"LoRA on {len(targets)} module(s), {trainable} trainable parameters")

    ctx.report(message="evaluating before training")
    before = {
        "validation": qa_metrics(guesser, model, val, batch_size),
        "train": qa_metrics(guesser, model, sample, batch_size),
    }

    per_epoch = math.ceil(len(train) / batch_size)
    # max_steps, when given, overrides epochs (as in Hugging Face's Trainer)
    total = int(settings["max_steps"]) if settings["max_steps"] else per_epoch * int(settings["epochs"])
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=float(settings["learning_rate"])
    )
    model.train()
    losses: list[float] = []
    step = 0
    order: list[int] = []
    while step < total:
        if not order:
            order = list(range(len(train)))
            rng.shuffle(order)
        batch = [train[i] for i in order[:batch_size]]
        order = order[batch_size:]
        z = answer_logit(guesser, model, batch)
        target = torch.tensor([e["target"] for e in batch], device=z.device)
        loss = F.binary_cross_entropy_with_logits(z, target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        value = loss.item()
        losses.append(round(value, 6))
        if ctx.report(progress=0.9 * step / total, message=f"step {step}/{total}: loss {value:.4f}"):
            raise JobCancelled()

    ctx.report(message="merging and evaluating")
    model.eval()
    merged = model.merge_and_unload()
    after = {
        "validation": qa_metrics(guesser, merged, val, batch_size),
        "train": qa_metrics(guesser, merged, sample, batch_size),
    }
    metrics = {"before": before, "after": after}
    ctx.check_cancel()

    ctx.report(progress=0.95, message=f"saving {name}")
    staging = _save_model(merged, guesser.processor, name, job)
    notes = {
        "fine_tuned_from": {"model": base.name, "source": base.source, "revision": base.revision},
        "dataset_version": {"id": version.pk, "label": version.label, "content_hash": version.content_hash},
        "settings": {**settings, "target_modules": targets},
        "metrics": metrics,
        "job": job.pk,
    }
    try:
        spec = _register(staging, name, base, notes, job.created_by)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    ctx.log(f"registered model {spec.name} at {spec.source}")
    return {
        "model": spec.name,
        "model_id": spec.pk,
        "source": spec.source,
        "base_model": base.name,
        "dataset_version": version.pk,
        "steps": step,
        "examples": {"train": len(train), "validation": len(val)},
        "losses": {"first": losses[0], "last": losses[-1], "per_step": losses[-200:]},
        "metrics": metrics,
        "settings": {**settings, "target_modules": targets},
        "seconds": round(time.perf_counter() - started, 3),
    }
