import type { JobKind, JobState, JobSummary } from "../../types";

// Names and formats of the jobs page.

export const JOB_KINDS: { value: JobKind; label: string }[] = [
  { value: "import", label: "import" },
  { value: "dataset_import", label: "dataset import" },
  { value: "prefill", label: "pre-fill" },
  { value: "refit", label: "refit" },
  { value: "score", label: "score" },
  { value: "export", label: "export" },
  { value: "push", label: "push" },
  { value: "archive", label: "archive" },
  { value: "finetune", label: "fine-tune" },
  { value: "evaluate", label: "evaluate" },
];

export const JOB_STATES: JobState[] = ["queued", "running", "succeeded", "failed", "cancelled"];

/** "finetune" → "fine-tune"; a kind this app does not know shows as it is. */
export const kindLabel = (kind: string) => JOB_KINDS.find((k) => k.value === kind)?.label ?? kind;

export const isUnfinished = (job: Pick<JobSummary, "state"> | null | undefined) =>
  !!job && (job.state === "queued" || job.state === "running");
export const canCancel = isUnfinished;
export const canRetry = (job: Pick<JobSummary, "state">) => job.state === "failed" || job.state === "cancelled";

/** 0..1 → a whole percent, clamped. */
export const percentOf = (progress: number | null | undefined) =>
  Math.round(Math.min(1, Math.max(0, Number.isFinite(progress) ? (progress as number) : 0)) * 100);

/** 3725 → "1 h 2 min"; 65 → "1 min 5 s"; 4.2 → "4.2 s"; null → "—". */
export function duration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return "—";
  if (seconds < 10) return `${Number(seconds.toFixed(1))} s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h) return m ? `${h} h ${m} min` : `${h} h`;
  const rest = s % 60;
  return rest ? `${m} min ${rest} s` : `${m} min`;
}

/** A result's number: whole numbers grouped, others to four decimals (tiny ones in exponent form). */
export function resultNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString("en-US");
  const abs = Math.abs(v);
  if (abs < 0.0001) return v.toExponential(2);
  return String(Number(v.toFixed(4)));
}
