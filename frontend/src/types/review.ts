// Review and quality control: an item's k annotations with the gold answer, gold checks,
// accuracy on gold and agreement with peers, and the project's quality-control settings.

import type { Annotation, Task } from "./tasks";

export interface GoldAnswer {
  source: "accepted" | "corrected" | "imported";
  source_annotation: number | null;
  options: Record<string, number>;
  answers: (boolean | null)[];
  mask: boolean[];
  preference: number | null;
  dimension_preferences: Record<string, number>;
  comment: string;
  reviewed_by: string | null;
  updated_at: string;
  history: unknown[];
}

export interface ReviewItem {
  task: Task;
  annotations: Annotation[];
  disagreements: string[];
  gold: GoldAnswer | null;
}

/** One annotator's option accuracy on the gold checks, for one sub-dimension. */
export interface GoldSubDimensionAccuracy {
  key: string;
  title: string;
  /** Gold checks whose expected answer chose an option here. */
  n: number;
  accuracy: number | null;
}

export interface AnnotatorQuality {
  username: string;
  /** Annotations of gold-check tasks. */
  gold_checks: number;
  /** Binary answers compared with the expected ones (questions the expected answer applies). */
  gold_answers: number;
  /** Share of those answered as expected (0..1); null without any. */
  gold_accuracy: number | null;
  gold_options: number;
  /** Share of the expected sub-dimension options chosen (0..1). */
  gold_option_accuracy: number | null;
  gold_sub_dimensions: GoldSubDimensionAccuracy[];
  /** Annotations of pair gold-check tasks (absent from older servers). */
  pair_gold_checks?: number;
  /** Pair preferences compared with a gold preference. */
  pair_gold_preferences?: number;
  /** Share of those on the gold side (A better, tie, B better; strength does not count) (0..1). */
  pair_gold_agreement?: number | null;
  /** Per-dimension pair preferences compared. */
  pair_gold_dimensions?: number;
  /** Share of those on the gold side (0..1). */
  pair_gold_dimension_agreement?: number | null;
  /** Comparisons with the other annotators of the same tasks. */
  peer_answers: number;
  /** Share of those with the same answer (0..1). */
  peer_agreement: number | null;
}

export interface QualityStats {
  gold_check_rate: number;
  disagreement_threshold: number | null;
  max_extra_annotators: number;
  /** Single tasks used as gold checks. */
  gold_checks: number;
  /** Pair tasks used as gold checks (absent from older servers). */
  pair_gold_checks?: number;
  /** Tasks that got an extra annotator because their annotations disagreed. */
  routed_tasks: number;
  annotators: AnnotatorQuality[];
}

/** A task whose expected answers are known, served unseen among normal tasks. */
export interface GoldCheck {
  task: number;
  /** single or pair */
  kind?: "single" | "pair";
  asset: number;
  asset_b?: number | null;
  checklist_version: number;
  options: Record<string, number>;
  answers: number[];
  mask: number[];
  /** Pairs: the gold preference, 1 (A much better) … 3 (tie) … 5 (B much better). */
  preference?: number | null;
  dimension_preferences?: Record<string, number>;
  comment: string;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  /** Annotations of the task so far. */
  annotations: number;
}

/** The project's quality-control settings (`PATCH /api/projects/:id/`, managers; 400 names the field). */
export interface QualitySettings {
  /** 0..1: share of an annotator's claims that serve a gold check they never had; 0 serves none. */
  gold_check_rate: number;
  /** 0..1: ask one more annotator when a task's annotations disagree more than this; null: off. */
  disagreement_threshold: number | null;
  /** 0..10: at most this many annotators added to one task for disagreement. */
  max_extra_annotators: number;
}

/** Expected answers of a gold check: the options (single tasks), the gold preference (pairs),
 * or a copy of the task's reviewed (or imported) gold answer. */
export type GoldCheckRequest =
  | { options: Record<string, number>; comment?: string }
  | { preference: number; dimension_preferences?: Record<string, number>; comment?: string }
  | { from_gold_answer: true; comment?: string };
