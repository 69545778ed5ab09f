// Projects (media type, checklist version, overlap k, lease, quality-control settings) and
// their statistics (GET /api/projects/:id/stats/).

import type { MediaType, Role } from "./common";
import type { ModelAgreement } from "./predictions";
import type { QualityStats } from "./review";

export interface Project {
  id: number;
  name: string;
  description: string;
  instructions: string;
  media_type: MediaType;
  checklist_version: number;
  overlap: number;
  lease_seconds: number;
  /** Serve the tasks with the least certain model prediction first. */
  prefer_uncertain?: boolean;
  /** Quality control: the share of an annotator's claims that serve an unseen gold check (0..1). */
  gold_check_rate?: number;
  /** Quality control: ask one more annotator when a task's annotations disagree more than this (0..1); null: off. */
  disagreement_threshold?: number | null;
  /** Quality control: at most this many annotators added to one task for disagreement. */
  max_extra_annotators?: number;
  /** Pair tasks on: two ready assets of one prompt also become a pair task, after each import. */
  pair_tasks?: boolean;
  /** Pre-fill, 0.5..1: `a` accepts only the model's guesses with at least this confidence. */
  accept_threshold?: number;
  archived: boolean;
  my_role: Role | null;
  /** In lists: the caller's done / assigned / remaining tasks (as `progress/`'s `mine`). */
  my_progress?: { done: number; assigned: number; remaining: number } | null;
}

export interface ProjectStats {
  days: number;
  progress: {
    tasks_total: number;
    tasks_done: number;
    annotations: number;
    /** Late extras among `annotations` (submitted after the lease lapsed and the slot went to someone else). */
    late_annotations?: number;
    assets_ready: number;
    assets_failed: number;
    gold: number;
    /** Pair ratings read from a preference dataset by a pair import. */
    imported_ratings?: number;
  };
  daily: { date: string; submitted: number }[];
  annotators: {
    username: string;
    submitted: number;
    /** Late extras among `submitted`. */
    late?: number;
    skipped: number;
    active: number;
    median_time_ms: number | null;
    last_submitted_at: string | null;
    daily: number[];
  }[];
  questions: {
    key: string;
    text: string;
    dimension: string;
    sub_dimension: string;
    n_items: number;
    percent_agreement: number | null;
    kappa: number | null;
  }[];
  sub_dimensions: { key: string; title: string; dimension: string; n_items: number; percent_agreement: number | null }[];
  /** How the project's latest model agrees with people, per question (absent from older servers). */
  model_agreement?: ModelAgreement;
  /** Quality control: accuracy on gold checks and agreement with peers (absent from older servers). */
  quality?: QualityStats;
  imports: { import_job_id: number | null; assets: number; ready: number; failed: number }[];
  failed_assets: { id: number; original_name: string; failure_reason: string }[];
}
