// Weight sets, refits and scores (VisionReward: a linear weight per question).

import type { MediaType, Page } from "./common";

export type WeightSetStatus = "candidate" | "active" | "retired";
export type WeightSetSource = "fitted" | "public" | "uploaded";
/** How an answer counts: signed (yes +1, no −1, not applicable 0), binary (yes 1, else 0),
 * unmasked (yes +1, no or not applicable −1: the reference video scorer's rule). */
export type WeightEncoding = "signed" | "binary" | "unmasked";

export interface WeightQuestion {
  key: string;
  text: string;
  sub_dimension: string;
  weight: number;
}

export interface WeightDimension {
  key: string;
  title: string;
  total_weight: number;
  /** The dimension's share of the score (0..1), where known. */
  contribution: number | null;
  questions: WeightQuestion[];
}

/** Pairwise accuracy of a weight set on some pairs (held-out `test` or `train`). */
export interface PairMetrics {
  /** Share of non-tied pairs whose score difference has the people's sign. */
  accuracy_diff: number | null;
  /** Accuracy counting ties (|difference| ≤ tie_threshold), as the paper's τ accuracy. */
  accuracy_tau: number | null;
  tie_threshold?: number | null;
  pairs?: number;
  ties?: number;
  log_loss?: number | null;
}

export interface WeightSetMetrics {
  test?: PairMetrics;
  train?: PairMetrics;
  /** The set that was active when this one was fitted, on the same held-out pairs. */
  compared_with?: { weight_set: number; version: number; accuracy_diff: number | null; accuracy_tau?: number | null };
  dimension_accuracy?: Record<string, number | null>;
}

export interface RefitSettings {
  features?: "human" | "model";
  solver?: "newton" | "masking";
  l2?: number;
  l1?: number;
  test_fraction?: number;
  seed?: number;
  encoding?: WeightEncoding;
  promote?: "if_better" | "never" | "always";
  /** Fewer usable pairs refuse the refit (default 10). */
  min_pairs?: number;
  /** Promote a result that no held-out pair measured (default false: it stays a candidate). */
  promote_without_holdout?: boolean;
}

/** GET /api/projects/:id/refit/readiness/: whether a refit can run and be measured, and why not. */
export interface RefitReadiness {
  rated_pairs: number;
  usable_pairs: number;
  decisive_pairs: number;
  prompts: number;
  train_pairs: number;
  train_decisive: number;
  held_out_pairs: number;
  held_out_decisive: number;
  held_out_prompts: number;
  min_pairs: number;
  test_fraction: number;
  can_start: boolean;
  can_measure: boolean;
  reasons: string[];
  warnings: string[];
}

export interface WeightSet {
  id: number;
  project: number;
  /** Counts up per project. */
  version: number;
  label: string;
  status: WeightSetStatus;
  source: WeightSetSource;
  checklist_version: number;
  encoding: WeightEncoding;
  normalization: "sum" | "mean";
  intercept: number;
  coefficients: Record<string, number>;
  /** Weights of named non-question features, e.g. {"alignment": 2.35}. */
  extra: Record<string, number>;
  dimensions: WeightDimension[];
  /** How it was fitted (free-form; the refit settings and more). */
  fit_settings: Record<string, unknown>;
  /** pairs, train_pairs, test_pairs, ties, pairs_without_answers, … */
  data_counts: Record<string, number>;
  metrics: WeightSetMetrics;
  /** Why it was or was not promoted. */
  decision: string;
  created_by: string | null;
  created_at: string;
  promoted_at: string | null;
  promoted_by: string | null;
  job: number | null;
}

export interface RefitPolicy {
  enabled: boolean;
  min_new_pairs: number;
  settings: RefitSettings;
  /** Labelled pairs since the last fit (read-only). */
  new_pairs?: number;
  last_fit_at?: string | null;
}

export interface WeightSetRef {
  id: number;
  version: number;
  label: string;
}

export interface ScoredAssetRef {
  id: number;
  prompt: string;
  kind: MediaType;
  thumbnail: string | null;
}

export interface AssetScore {
  asset: ScoredAssetRef;
  total: number;
  /** Dimension key → that dimension's part of the score. */
  dimensions: Record<string, number>;
  source: "human" | "model";
  computed_at: string;
}

/** A page of scores; `weight_set` is null while the project has no active weight set. */
export interface ScorePage extends Page<AssetScore> {
  weight_set: WeightSetRef | null;
}

/** One asset's score, term by term: contribution = value × weight. */
export interface ScoreBreakdown {
  asset: ScoredAssetRef;
  weight_set: WeightSetRef;
  total: number;
  source: "human" | "model";
  intercept: number;
  dimensions: {
    key: string;
    title: string;
    score: number;
    questions: { key: string; text: string; value: number; weight: number; contribution: number }[];
  }[];
  extra: { name: string; value: number; weight: number; contribution: number }[];
}
