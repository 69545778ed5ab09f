"""Benchmark: answering the 59 VisionReward image questions per image, four ways (five with cascade attention).

    .venv/bin/python bench/prefill_speed.py                       # tiny random LLaVA, CPU
    .venv/bin/python bench/prefill_speed.py --model realistic --device cuda --dtype bfloat16
    .venv/bin/python bench/prefill_speed.py --model /models/llava-1.5-7b-hf --device cuda
    .venv/bin/python bench/prefill_speed.py --assets-per-batch 16 --batch-size 64   # (d) settings
    .venv/bin/python bench/prefill_speed.py --smoke     # seconds: the test suite's tiny model, one repeat

(a) **reference**: like the VisionReward code, one ``model.generate`` per question
    (``--gen-tokens`` new tokens, greedy) with the processor called per question (the image
    is re-processed and re-encoded 59 times). Generation is used here only, as the baseline.
(b) **full batch**: ``HFGuesser.guess_full_batch``, one forward per batch of questions over
    full inputs, no cache: the image is processed once, but every row holds the media tokens
    and the whole prefix again (and runs the vision tower again); P(yes) from the logits.
(c) **ours**: ``HFGuesser.guess``, the media and shared prompt run once, questions in batches
    from its KV cache (with ``question_attention="copy"``, as (d)).
(d) **ours, K assets per batch**: ``HFGuesser.guess_many`` on ``--assets-per-batch`` (K)
    assets (the same image, prompts of slightly different lengths): one processor call and one
    right-padded prefix forward for the K assets, then all their questions in batches of
    ``--batch-size`` rows from the batched cache. Time per asset = the call's time / K.
(e) **ours, cascade, K assets**: (d) with ``question_attention="cascade"``
    (``worker/guessers/cascade.py``): the question rows attend to their asset's prefix KV in
    place (one matmul per asset, merged by log-sum-exp with the rows' own causal attention)
    instead of each row getting a copy of it: per layer one batched matmul for all the assets
    of a question batch (whole assets per batch, their prefix KV stacked). Only for models where
    cascade is supported (Llama language models); otherwise left out.
(f) **ours, streamed, K assets**: ``HFGuesser.guess_stream`` over ``--stream-chunks`` chunks
    of K assets, with the question attention of (d)/(e) that was faster: chunk i + 1 is
    prepared on the CPU (prompts, processor call, tokenizing) in a background thread while the
    model runs chunk i. Wall time per asset in the steady state: from the first chunk's last
    result to the end, over the later chunks' assets (the first chunk's preparation cannot
    overlap anything).

It prints a Markdown table (median wall time per asset over ``--repeats`` runs after one
warm-up run each; the same without the shared CPU preparation; questions/s; speed-ups) and the
token-count limit of prefix caching: with N questions, p prefix tokens (media + shared text)
and q question tokens on average, a full input costs p + q tokens and the cached path p + Nq in
all, so (b)/(c) can reach at most N(p + q) / (p + Nq) when time is proportional to tokens;
the speed-ups of (c) and (d) over (b) are given as a fraction of that (target: at least 80 %).
(b) also runs the vision tower per row, which token counts leave out, so the fraction can
exceed 100 %.

The CPU preparation (building the prompt, tokenizing, image processing) is the same work in
(b), (c) and (d) (in (d) one processor call for the K images): it is printed on its own line,
and the "model" columns and speed-ups leave it out, so it is not counted in both the
numerator and the denominator of the model-stage ratio.

Only ``annotator.checklist`` and ``worker.prefill.guessers.*`` (and the test helper that builds the
tiny model) are imported: no Django, so the bench runs with torch, transformers, Pillow and
PyYAML alone.

Models (no download, ever):

* ``tiny``: a random LLaVA saved to a temporary folder and loaded by ``HFGuesser(path)``,
  bigger than the test one: 224 px images with 14 px patches (256 image tokens), a 4-layer
  CLIP tower (hidden 192) and a 4-layer Llama (hidden 256), word-level tokenizer.
* ``realistic``: CLIP ViT-L/14 at 336 px (576 image tokens, 24 layers, hidden 1024) and a
  TinyLlama-1.1B-shaped Llama (22 layers, hidden 2048, 32 heads, 4 KV heads, vocab 32000),
  built from the config in memory with random weights (``HFGuesser.from_objects``): for GPU
  timing; on CPU it is slow.
* ``smoke``: the test suite's tiny LLaVA (``worker/prefill/tiny.py`` at its defaults: 32 px
  images), for ``--smoke``: it checks that every method still runs and the table is made, in
  seconds; its figures mean nothing.
* anything else: a local folder or a Hub id already in the local Hugging Face cache.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import torch  # noqa: E402
import transformers  # noqa: E402
from PIL import Image  # noqa: E402

from annotator.checklist import load_builtin  # noqa: E402
from worker.prefill.guessers import GuessRequest, MediaInput  # noqa: E402
from worker.prefill.guessers.hf import HFGuesser  # noqa: E402

DEFAULT_IMAGE = REPO / "annotator" / "demo" / "samples" / "test1.jpg"
DEFAULT_PROMPT = "A red vintage car parked under a tree at sunset"
TINY = {
    "image_size": 224,
    "patch_size": 14,
    "vision_hidden": 192,
    "vision_layers": 4,
    "vision_heads": 4,
    "hidden": 256,
    "layers": 4,
    "heads": 8,
    "kv_heads": 4,
    "initializer_range": 0.05,
}
# --smoke: every method once, on the smallest model and batches (what the test suite runs).
SMOKE = {
    "model": "smoke",
    "device": "cpu",
    "dtype": "float32",
    "batch_size": 16,
    "assets_per_batch": 2,
    "stream_chunks": 2,
    "repeats": 1,
    "warmup": False,
}
REALISTIC = {
    "image_size": 336,
    "patch_size": 14,
    "vision_hidden": 1024,
    "vision_layers": 24,
    "vision_heads": 16,
    "vision_intermediate": 4096,
    "hidden": 2048,
    "layers": 22,
    "heads": 32,
    "kv_heads": 4,
    "intermediate": 5632,
    "initializer_range": 0.02,
}


def load_guesser(args, workdir: Path) -> HFGuesser:
    from worker.prefill import tiny

    if args.model in ("tiny", "smoke"):
        sizes = TINY if args.model == "tiny" else {}
        path = tiny.build_tiny_llava(workdir / f"{args.model}-bench-llava", seed=0, **sizes)
        return HFGuesser(str(path), device=args.device, dtype=args.dtype, batch_size=args.batch_size)
    if args.model == "realistic":
        from worker.prefill.guessers.hf import _resolve_device, _resolve_dtype

        device = _resolve_device(args.device)
        dtype = _resolve_dtype(args.dtype, device)
        tokenizer = tiny.build_tokenizer(vocab_size=32000)
        sizes = dict(REALISTIC)
        image_size, patch_size = sizes.pop("image_size"), sizes.pop("patch_size")
        config = tiny.llava_config(tokenizer, image_size=image_size, patch_size=patch_size, **sizes)
        model = tiny.build_model(config, seed=0, dtype=dtype, device=str(device))
        processor = tiny.build_processor(tokenizer, image_size=image_size, patch_size=patch_size)
        return HFGuesser.from_objects(model, processor, name="realistic-random-llava", batch_size=args.batch_size)
    return HFGuesser(
        args.model,
        device=args.device,
        dtype=args.dtype,
        batch_size=args.batch_size,
        trust_remote_code=args.trust_remote_code,
        local_files_only=True,
    )


def reference_generate(guesser: HFGuesser, request: GuessRequest, gen_tokens: int) -> dict:
    """(a): per question, the processor on the full text + image, then greedy generation."""
    prompt = guesser.build_prompt(request)
    tokenizer = guesser.tokenizer
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    started = time.perf_counter()
    with torch.inference_mode():
        for text in prompt.question_texts:
            inputs = guesser.model_inputs([prompt.prefix_text + text], prompt.images, prompt.add_special_tokens)
            guesser.model.generate(
                **inputs,
                max_new_tokens=gen_tokens,
                min_new_tokens=gen_tokens,
                do_sample=False,
                pad_token_id=pad,
            )
        guesser._sync()
    return {"total": time.perf_counter() - started}


PROMPT_TAILS = ["", ", photo", " in the city at night", ", a painting", " on a street with people", ", sunset"]


def asset_requests(request: GuessRequest, count: int) -> list[GuessRequest]:
    """``count`` assets for (d): the same image, the prompt with tails of different lengths (so
    the batched prefixes are padded as in a real batch)."""
    return [
        GuessRequest(request.media, request.prompt + PROMPT_TAILS[i % len(PROMPT_TAILS)], request.checklist)
        for i in range(count)
    ]


def prepare_seconds(guesser: HFGuesser, requests: list[GuessRequest]) -> float:
    """The shared CPU preparation of these assets in one go: prompts, tokenizing and one
    processor call (image processing) for all, on the device."""
    started = time.perf_counter()
    prompts = [guesser.build_prompt(request) for request in requests]
    guesser._encode_many(prompts)
    guesser._sync()
    return time.perf_counter() - started


def timed(run, repeats: int, warmup: bool = True) -> tuple[float, list]:
    """Median wall time of ``repeats`` runs after one warm-up (kernels, allocator, caches), and
    every run's result."""
    if warmup:
        run()
    times, results = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        results.append(run())
        times.append(time.perf_counter() - started)
    return statistics.median(times), results


def streamed(guesser: HFGuesser, many: list[GuessRequest], chunks: int) -> tuple[float, list]:
    """(f): ``guess_stream`` over ``chunks`` copies of ``many`` (K assets each, one chunk each);
    seconds per asset in the steady state (after the first chunk's results; all of it with one
    chunk) and the results."""
    k = len(many)
    started = time.perf_counter()
    results, first = [], None
    for result in guesser.guess_stream(many * chunks, assets_per_batch=k):
        results.append(result)
        if len(results) == k:
            first = time.perf_counter()
    ended = time.perf_counter()
    if chunks == 1:
        return (ended - started) / k, results
    return (ended - first) / (k * (chunks - 1)), results


def set_question_attention(guesser: HFGuesser, mode: str) -> None:
    """Switch a loaded guesser between "copy" and "cascade" question attention."""
    guesser.question_attention = mode
    guesser._cascade = guesser._cascade_supported(mode)


def model_stage(row) -> str:
    """Median seconds per asset of the question stage of a (d)/(e) row."""
    return f"{statistics.median(r[0].timings['questions'] for r in row[1]):.4f} s"


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model", default="tiny", help="tiny | realistic | smoke | a local model folder | a cached Hub id"
    )
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    parser.add_argument("--dtype", default="auto", help="auto | float32 | bfloat16 | float16")
    parser.add_argument("--batch-size", type=int, default=16, help="question rows per forward in (b), (c), (d)")
    parser.add_argument("--assets-per-batch", type=int, default=8, help="K, assets per guess_many call in (d)")
    parser.add_argument(
        "--cascade-batches",
        choices=["whole", "sorted"],
        default="whole",
        help="(e)/(f) cascade question batches: whole assets, or all rows longest first (less padding)",
    )
    parser.add_argument("--stream-chunks", type=int, default=4, help="chunks of K assets streamed in (f)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per method (after one warm-up)")
    parser.add_argument("--no-warmup", dest="warmup", action="store_false", help="no warm-up run (figures colder)")
    parser.add_argument("--gen-tokens", type=int, default=1, help="new tokens per question in (a)")
    parser.add_argument("--skip-reference", action="store_true", help="leave out (a)")
    parser.add_argument("--trust-remote-code", action="store_true")
    parser.add_argument("--image", type=Path, default=DEFAULT_IMAGE)
    parser.add_argument("--prompt", default=DEFAULT_PROMPT)
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--smoke", action="store_true", help="seconds, figures meaningless: " + json.dumps(SMOKE))
    args = parser.parse_args(argv)
    if args.smoke:
        vars(args).update(SMOKE)
    torch.manual_seed(0)

    with tempfile.TemporaryDirectory(prefix="prefill-bench-") as workdir:
        guesser = load_guesser(args, Path(workdir))
    checklist = load_builtin("visionreward-image")
    with Image.open(args.image) as image:
        request = GuessRequest(MediaInput(kind="image", frames=[image.convert("RGB")]), args.prompt, checklist)
    n = len(checklist.questions)

    k = args.assets_per_batch
    guesser.assets_per_batch = k
    guesser._cascade_whole_assets = args.cascade_batches == "whole"
    many = asset_requests(request, k)
    set_question_attention(guesser, "copy")  # (b)-(d) on the copy path, (e) on cascade

    rows = {}
    if not args.skip_reference:
        rows["a"] = timed(lambda: reference_generate(guesser, request, args.gen_tokens), args.repeats, args.warmup)
    rows["b"] = timed(lambda: guesser.guess_full_batch(request), args.repeats, args.warmup)
    rows["c"] = timed(lambda: guesser.guess(request), args.repeats, args.warmup)
    seconds_d, results_d = timed(lambda: guesser.guess_many(many), args.repeats, args.warmup)
    rows["d"] = (seconds_d / k, results_d)  # per asset
    from worker.prefill.guessers.cascade import supported

    if supported(guesser.model) is None:
        set_question_attention(guesser, "cascade")
        seconds_e, results_e = timed(lambda: guesser.guess_many(many), args.repeats, args.warmup)
        rows["e"] = (seconds_e / k, results_e)
        set_question_attention(guesser, "copy")
    best = "cascade" if "e" in rows and rows["e"][0] < rows["d"][0] else "copy"
    chunks = max(1, args.stream_chunks)
    set_question_attention(guesser, best)
    if args.warmup:
        streamed(guesser, many, chunks)
    runs = [streamed(guesser, many, chunks) for _ in range(args.repeats)]
    rows["f"] = (statistics.median(seconds for seconds, _ in runs), [results for _, results in runs])
    streamed_all = runs[-1][1]
    set_question_attention(guesser, "copy")
    prep_one = timed(lambda: prepare_seconds(guesser, [request]), args.repeats, args.warmup)[0]
    prep_many = timed(lambda: prepare_seconds(guesser, many), args.repeats, args.warmup)[0] / k

    ours = rows["c"][1][-1]
    p = ours.details["prefix_tokens"]
    q = statistics.mean(ours.details["question_tokens"])
    limit = n * (p + q) / (p + n * q)
    full = rows["b"][1][-1]
    batched = rows["d"][1][-1]
    max_diff = max(abs(ours.p_yes[k_] - full.p_yes[k_]) for k_ in ours.p_yes)
    max_diff_d = max(abs(ours.p_yes[k_] - batched[0].p_yes[k_]) for k_ in ours.p_yes)
    # model stages: each run's own wall time less its own preparation (the per-asset share in (d))
    model = {
        "b": statistics.median(r.timings["forward"] for r in rows["b"][1]),
        "c": statistics.median(r.timings["prefix"] + r.timings["questions"] for r in rows["c"][1]),
        "d": statistics.median(r[0].timings["prefix"] + r[0].timings["questions"] for r in rows["d"][1]),
    }
    model["f"] = statistics.median(r[0].timings["prefix"] + r[0].timings["questions"] for r in rows["f"][1])
    ours_keys = ("c", "d", "f")
    max_diff_f = max(
        abs(a.p_yes[k_] - b.p_yes[k_]) for a, b in zip(batched * chunks, streamed_all, strict=True) for k_ in a.p_yes
    )
    max_diff_e = None
    if "e" in rows:
        model["e"] = statistics.median(r[0].timings["prefix"] + r[0].timings["questions"] for r in rows["e"][1])
        ours_keys = ("c", "d", "e", "f")
        cascade_last = rows["e"][1][-1]
        max_diff_e = max(
            abs(a.p_yes[k_] - b.p_yes[k_]) for a, b in zip(batched, cascade_last, strict=True) for k_ in a.p_yes
        )
    speedup = {key: rows["b"][0] / rows[key][0] for key in ours_keys}
    speedup_model = {key: model["b"] / model[key] for key in ours_keys}
    params = sum(t.numel() for t in guesser.model.parameters())

    labels = {
        "a": f"(a) reference: generate ({args.gen_tokens} token) per question, media re-processed",
        "b": "(b) full inputs (media tokens per row), batched, no cache",
        "c": "(c) ours: prefix cache + batched questions, one asset",
        "d": f"(d) ours: K = {k} assets per batch (guess_many)",
        "e": f"(e) ours, cascade, K = {k} assets per batch (question_attention='cascade', {args.cascade_batches})",
        "f": f"(f) ours, streamed (prep overlapped), K = {k}, {chunks} chunks (question_attention={best!r})",
    }
    print(
        f"\nmodel {guesser.name} ({params / 1e6:.1f} M parameters), {guesser.device}, {guesser.dtype}, "
        f"batch size {args.batch_size}, K = {k}, median of {args.repeats}; torch {torch.__version__}, "
        f"transformers {transformers.__version__}, {platform.processor() or platform.machine()}"
        + (f", {torch.cuda.get_device_name(guesser.device)}" if guesser.device.type == "cuda" else "")
    )
    print(f"image {args.image.name}, N = {n} questions, p = {p} prefix tokens, q = {q:.1f} mean question tokens")
    print(f"token-count limit of (b) over (c)/(d): N(p+q)/(p+Nq) = {limit:.1f}x\n")
    print(
        "| method | wall s / asset | model s / asset | questions / s | vs (a) | vs (b) | % of limit "
        "| model vs (b) | model % of limit |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for key in sorted(rows):
        seconds = rows[key][0]
        vs_a = f"{rows['a'][0] / seconds:.1f}x" if "a" in rows else "–"
        model_s = f"{model[key]:.4f}" if key in model else "–"
        cells = ["–"] * 4
        if key in speedup:
            cells = [
                f"{speedup[key]:.1f}x",
                f"{100 * speedup[key] / limit:.0f} %",
                f"{speedup_model[key]:.1f}x",
                f"{100 * speedup_model[key] / limit:.0f} %",
            ]
        print(f"| {labels[key]} | {seconds:.4f} | {model_s} | {n / seconds:.1f} | {vs_a} | {' | '.join(cells)} |")
    print(
        f"\nshared CPU preparation (prompt, tokenizing, image processing; inside the wall times of (b), (c), "
        f"(d), left out of the model columns): {prep_one:.4f} s / asset one at a time, "
        f"{prep_many:.4f} s / asset with K = {k} in one processor call"
    )
    print(f"stages of (c) in the last run: {ours.timings}; of (d), per asset: {batched[0].timings}")
    print(f"max |P(yes) (c) - (b)| = {max_diff:.2e}; max |P(yes) (c) - (d), same asset| = {max_diff_d:.2e}")
    print(f"max |P(yes) (d) - (f)|, every asset of every chunk = {max_diff_f:.2e}")
    if max_diff_e is not None:
        print(f"max |P(yes) (d) - (e)|, every asset = {max_diff_e:.2e}")
        print(f"question stage per asset: (d) copy {model_stage(rows['d'])}, (e) cascade {model_stage(rows['e'])}")

    figures = {
        "model": guesser.name,
        "parameters": params,
        "device": str(guesser.device),
        "dtype": str(guesser.dtype),
        "batch_size": args.batch_size,
        "assets_per_batch": k,
        "N": n,
        "p": p,
        "q": q,
        "seconds": {key: seconds for key, (seconds, _) in rows.items()},
        "prepare_seconds": {"one": prep_one, "per_asset_of_k": prep_many},
        "limit": limit,
        "speedup_over_b": speedup,
        "fraction_of_limit": {key: value / limit for key, value in speedup.items()},
        "model_seconds": model,
        "model_speedup_over_b": speedup_model,
        "model_fraction_of_limit": {key: value / limit for key, value in speedup_model.items()},
        "max_abs_diff_b_c": max_diff,
        "max_abs_diff_c_d": max_diff_d,
        "max_abs_diff_d_e": max_diff_e,
        "max_abs_diff_d_f": max_diff_f,
        "stream": {"chunks": chunks, "question_attention": best},
        "stages_c": ours.timings,
        "stages_d_per_asset": batched[0].timings,
    }
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
