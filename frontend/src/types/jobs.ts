// Jobs: the project's background work, and research jobs (fine-tune, evaluate).

export interface Job {
  id: number;
  kind: string;
  state: "queued" | "running" | "succeeded" | "failed" | "cancelled";
  progress: number;
  message: string;
  created_at: string;
  project?: number | null;
  /** Why a failed job failed, where the server says. */
  error?: string;
}

export type JobKind =
  | "import"
  | "dataset_import"
  | "prefill"
  | "model_check"
  | "refit"
  | "score"
  | "export"
  | "push"
  | "archive"
  | "finetune"
  | "evaluate";
export type JobState = Job["state"];

/** A job as GET /api/jobs/ lists it. */
export interface JobSummary extends Job {
  project: number | null;
  /** Who started it; null for the system (a policy, a schedule). */
  created_by: string | null;
  queue: string;
  attempts: number;
  max_attempts: number;
  /** Cancel was asked for; a running job stops at its next checkpoint. */
  cancel_requested: boolean;
  dispatched_at: string | null;
  started_at: string | null;
  heartbeat_at: string | null;
  finished_at: string | null;
  duration_seconds: number | null;
}

/** GET /api/jobs/:id/: the summary plus what it was asked, what it produced and its log. */
export interface JobDetail extends JobSummary {
  params: Record<string, unknown>;
  /** Free-form, by kind (an evaluate job: per-question accuracy, preference accuracy, …). */
  result: unknown;
  error: string;
  /** The last lines of its log. */
  log: string;
  celery_task_id: string | null;
  /** What it concerns or produced: name → API URL (absent from older servers). */
  links?: Record<string, string>;
}

/** Filters of the jobs list; "" is any. */
export interface JobFilter {
  kind?: JobKind | "";
  state?: JobState | "";
}

/** How a fine-tune trains (LoRA on the base model). */
export interface FinetuneSettings {
  epochs: number;
  max_steps: number;
  learning_rate: number;
  batch_size: number;
  lora_r: number;
  lora_alpha: number;
  lora_dropout: number;
  seed: number;
}

/** POST /api/finetune/: train a new model from `model` on a ready dataset version. */
export interface FinetuneRequest {
  dataset_version: number;
  /** The base model's name (a ModelSpec). */
  model: string;
  /** The new model's name. */
  name?: string;
  settings?: Partial<FinetuneSettings>;
}

/** POST /api/evaluate/: measure a model and/or a weight set on a ready dataset version. */
export interface EvaluateRequest {
  dataset_version: number;
  model?: string;
  weight_set?: number;
}
