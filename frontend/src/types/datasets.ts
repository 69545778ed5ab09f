// Dataset versions and exports (Hugging Face datasets of the annotations), and their diffs.

import type { Job } from "./jobs";

export type DatasetVersionState = "queued" | "building" | "ready" | "failed" | "duplicate";
/** How the annotations of an item become rows: one per annotation, the majority, or the gold answer. */
export type CombineRule = "all" | "majority" | "gold";
export type ExportAnswerState = "submitted" | "reviewed";

/** How a dataset version was built (the server fills in what a request left out). */
export interface ExportSettings {
  /** Which annotations; a reviewer's gold answer is always kept. */
  states: ExportAnswerState[];
  combine: CombineRule;
  /** Split name → share of the prompts, in order; the shares sum to 1. */
  split_ratios: Record<string, number>;
  /** Salts the split assignment and the balanced subset's sampling. */
  seed: number;
  /** Images as bytes inside the parquet files (else files under media/). */
  embed_media: boolean;
  /** Videos: also the sampled frames, embedded. */
  embed_frames: boolean;
  shard_rows: number;
  /** At most this many yes and as many no rows per question in `balanced_qa`; null: no such config. */
  balanced_cap: number | null;
  /** A Hub license identifier: cc-by-4.0, apache-2.0, other, … */
  license: string;
  /** Whether late extras (beyond a task's k) count; false by default. */
  include_late?: boolean;
  /** What the version holds: the annotations (default) or dominance pairs for MPO. */
  kind?: DatasetKind;
  /** For `kind: "dominance_pairs"`: the rule (stored complete). */
  dominance?: DominanceRule | null;
}

export type DatasetKind = "annotations" | "dominance_pairs";
/** Where a dominance version's per-dimension scores come from. */
export type DominanceSource = "human" | "model" | "human_else_model";

/**
 * Which pairs a dominance version keeps: A over B when A is at least as good on every chosen
 * dimension (≥ −tolerance) and better by at least its margin on one (docs/datasets.md).
 */
export interface DominanceRule {
  source: DominanceSource;
  /** Dimension key → margin (> 0); the keys are the chosen dimensions. */
  margins: Record<string, number>;
  pairs_per_prompt: number;
  /** Each asset in at most this many of a prompt's pairs; null: no limit. */
  max_uses?: number | null;
  tolerance?: number;
}

/** POST /api/projects/:id/datasets/dominance-stats/. */
export interface DominanceStatsRequest {
  dominance: DominanceRule;
  /** Default: the project's active weight set. */
  weight_set?: number;
}

/** What a dominance rule yields before export (also a dominance version's `stats`). */
export interface DominanceStats {
  assets: number;
  /** Assets left out for want of answers or predictions. */
  unscored: number;
  prompts: number;
  prompts_with_several: number;
  ordered_pairs: number;
  /** Per chosen dimension: pairs it alone allows (difference ≥ margin) and candidates of the full rule where it does. */
  per_dimension: Record<string, { margin: number; alone: number; in_rule: number }>;
  /** Pairs the full rule yields. */
  candidates: number;
  /** After the per-prompt cap: what is exported. */
  selected: number;
  prompts_with_pairs: number;
  rule: DominanceRule;
  weight_set?: { id: number; label: string };
}

export interface DatasetVersion {
  id: number;
  name: string;
  /** Counts up per name. */
  version: number;
  /** "name vN". */
  label: string;
  description: string;
  projects: number[];
  checklist_version: number;
  settings: ExportSettings;
  /** The weight set whose scores it holds. */
  weight_set: number | null;
  state: DatasetVersionState;
  content_hash: string;
  /** A duplicate's ready version with the same content. */
  duplicate_of: number | null;
  /** Config (default, visionreward, pairs, regression, balanced_qa) → split → rows. */
  row_counts: Record<string, Record<string, number>>;
  /** Free-form: the agreement summary (items, annotations, mean_kappa, questions, …). */
  stats: Record<string, unknown>;
  /** Every file, relative to the dataset folder. */
  files: string[];
  error: string;
  job: number | null;
  created_by: string | null;
  created_at: string;
  finished_at: string | null;
  /** Archive URLs; null unless ready. A URL answers the file once its archive is built (202 before). */
  download: { zip: string; tar: string } | null;
  /** Each archive as built by its archive job; null while never asked for (absent from older servers). */
  archives?: Record<ArchiveFormat, DatasetArchive | null>;
  /** Where it was published on the Hub, oldest first. */
  pushes?: HubPush[];
}

/** `zip`, or `tar` (a gzip-compressed .tar.gz). */
export type ArchiveFormat = "zip" | "tar";

/** A version's archive: building (by job `job`), ready (with its size in bytes) or failed (why in `error`). */
export interface DatasetArchive {
  format: ArchiveFormat;
  state: "building" | "ready" | "failed";
  size: number | null;
  job: number | null;
  error: string;
  built_at: string | null;
}

/** POST /api/dataset-versions/:id/archives/: the archive and the job building it (null once built). */
export interface ArchiveStarted {
  detail: string;
  archive: DatasetArchive;
  job: Job | null;
}

/** One publication of a version on the Hub (a push job's result). */
export interface HubPush {
  repo_id: string;
  private: boolean;
  commit: string | null;
  /** The dataset's page on the Hub. */
  url: string;
  commit_url?: string | null;
  at: string;
  by: string | null;
}

/** GET /api/dataset-versions/:id/push/: where pushes go and whether the server has a token. */
export interface PushOptions {
  endpoint: string;
  server_token: boolean;
}

/** POST /api/dataset-versions/:id/push/ (`token`: for this push only; left out: the server's). */
export interface PushRequest {
  repo_id: string;
  private: boolean;
  token?: string;
}

/** POST /api/exports/: a new version of `name` from the projects' annotations. */
export interface ExportRequest {
  name: string;
  description?: string;
  projects: number[];
  /** Default: the first project's active weight set. */
  weight_set?: number;
  settings?: Partial<ExportSettings>;
}

/** The queued version and the job that builds it. */
export interface ExportStarted {
  dataset_version: DatasetVersion;
  job: Job;
}

export interface DiffPart<T> {
  count: number;
  /** The first few, in reading order. */
  examples: T[];
}

/** Per question: applicable yes answers in A and in B, B − A, and matched rows that changed on it. */
export interface QuestionDiff {
  yes_a: number;
  yes_b: number;
  diff: number;
  changed: number;
}

/** What changed from version A (`from`) to version B (`to`), rows of the default config matched by id. */
export interface DatasetDiff {
  from: number;
  to: number;
  rows_a: number;
  rows_b: number;
  /** Ids only in B. */
  added: DiffPart<string>;
  /** Ids only in A. */
  removed: DiffPart<string>;
  /** Same id, other answers or mask: the question keys that differ. */
  changed: DiffPart<{ id: string; questions: string[] }>;
  /** Same id, other split. */
  moved_split: DiffPart<{ id: string; from: string | null; to: string | null }>;
  unchanged: number;
  /** Question key (q1, q2, … in checklist order) → its counts. */
  questions: Record<string, QuestionDiff>;
}
