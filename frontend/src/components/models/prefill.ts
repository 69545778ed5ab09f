import type { JobDetail } from "../../types";

// A pre-fill job's progress as a manager reads it: assets done of the job's total (its progress
// is done / total, counted after every asset, skipped ones included), the assets the model
// predicted (its message: "3/10: 2 predicted, 1 skipped, 0 failed"), the questions it answered
// (predicted assets × the checklist's questions) and its rate since the job started.

export interface PrefillProgress {
  assets: number;
  assetsDone: number;
  predicted: number | null;
  questionsDone: number | null;
  /** Assets predicted per minute since it started; null before it has predicted any. */
  perMinute: number | null;
}

export function prefillProgress(
  job: Pick<JobDetail, "progress" | "params" | "started_at" | "finished_at" | "message">,
  questionCount: number | null,
  now = Date.now(),
): PrefillProgress {
  const params = (job.params ?? {}) as { asset_count?: unknown; assets?: unknown };
  const assets = typeof params.asset_count === "number" ? params.asset_count : Array.isArray(params.assets) ? params.assets.length : 0;
  const assetsDone = Math.min(assets, Math.round((job.progress ?? 0) * assets));
  const started = job.started_at ? Date.parse(job.started_at) : NaN;
  const end = job.finished_at ? Date.parse(job.finished_at) : now;
  const minutes = (end - started) / 60000;
  const match = /(\d+) predicted/.exec(job.message ?? "");
  const predicted = match ? Number(match[1]) : null;
  return {
    assets,
    assetsDone,
    predicted,
    questionsDone: questionCount != null && predicted != null ? predicted * questionCount : null,
    perMinute: predicted && Number.isFinite(minutes) && minutes > 0 ? predicted / minutes : null,
  };
}
