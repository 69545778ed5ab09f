// Domain types, named as in the API and the docs (checklist, dimension, sub-dimension, option,
// question, task, assignment, annotation, prediction, pair, gold answer).

export type MediaType = "image" | "video";
export type Role = "annotator" | "reviewer" | "manager" | "researcher" | "admin";

export interface User {
  id: number;
  username: string;
  is_staff: boolean;
}

export interface Option {
  code: number;
  label: string;
  description?: string;
  not_present?: boolean;
}

export interface QuestionDef {
  key: string;
  text: string;
  yes_if_at_least: number;
  presence?: boolean;
}

export interface SubDimension {
  key: string;
  title: string;
  description?: string;
  hf_field?: string;
  gated_by?: string | null;
  options: Option[]; // best first, worst last
  questions: QuestionDef[];
}

export interface Dimension {
  key: string;
  title: string;
  description?: string;
  sub_dimensions: SubDimension[];
}

export interface ChecklistDefinition {
  key: string;
  title: string;
  media_type: MediaType;
  description?: string;
  instructions?: string;
  dimensions: Dimension[];
}

export interface Question {
  key: string;
  position: number;
  text: string;
  dimension: string;
  sub_dimension: string;
  yes_if_at_least: number;
  presence: boolean;
}

export interface ChecklistVersion {
  id: number;
  key: string;
  version: number;
  title: string;
  media_type: MediaType;
  content_hash: string;
  question_count: number;
  sub_dimension_count: number;
  definition: ChecklistDefinition;
  questions: Question[];
}

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
  archived: boolean;
  my_role: Role | null;
  /** In lists: the caller's done / assigned / remaining tasks (as `progress/`'s `mine`). */
  my_progress?: { done: number; assigned: number; remaining: number } | null;
}

export interface FrameRef {
  url: string;
  time: number | null;
  index: number | null;
}

export interface Asset {
  id: number;
  project: number;
  kind: MediaType;
  status: "ready" | "failed" | string;
  failure_reason: string;
  original_name: string;
  prompt: string;
  width: number | null;
  height: number | null;
  duration_seconds: number | null;
  fps: number | null;
  frame_count: number | null;
  import_job_id: number | null;
  urls: { original?: string; display?: string; poster?: string; thumbnail?: string; frames: FrameRef[] };
}

export interface Task {
  id: number;
  project: number;
  kind: "single" | "pair";
  asset: Asset;
  asset_b: Asset | null;
  required: number;
  assigned_count: number;
  submitted_count: number;
  status: string;
  priority: number;
}

export interface PredictedOption {
  option: number;
  confidence: number;
}

export interface PredictionSummary {
  id: number;
  model_name: string;
  model_version: string;
  created_at: string;
  options: Record<string, PredictedOption>;
}

/** What an annotator has chosen so far (a draft or a submit). */
export interface AnswerState {
  options: Record<string, number>;
  preference: number | null;
  dimension_preferences: Record<string, number>;
  comment: string;
}

export interface Assignment {
  id: number;
  project: number;
  checklist_version: number;
  task: Task;
  state: "active" | "submitted" | "expired" | "skipped" | "released";
  leased_at: string;
  expires_at: string;
  finished_at: string | null;
  skip_reason: string;
  draft: Partial<AnswerState>;
  draft_saved_at: string | null;
  annotation: number | null;
  prediction: PredictionSummary | null;
}

export interface Annotation {
  id: number;
  project: number;
  task: number;
  assignment: number;
  user: number;
  username: string;
  checklist_version: number;
  client_id: string;
  state: "submitted" | "reviewed";
  options: Record<string, number>;
  answers: (boolean | null)[];
  mask: boolean[];
  question_keys: string[];
  preference: number | null;
  dimension_preferences: Record<string, number>;
  comment: string;
  time_spent_ms: number;
  revision: number;
  submitted_at: string;
  reviewed_by: number | null;
  reviewed_at: string | null;
}

export interface GoldAnswer {
  source: "accepted" | "corrected";
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

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export interface ModelAgreementRow {
  key: string;
  text: string;
  /** Applicable human answers with a model probability. */
  n: number;
  /** Share where P(yes) ≥ 0.5 matches the human answer. */
  accuracy: number | null;
  /** Mean (P(yes) − answer)²; 0 is perfect. */
  brier: number | null;
  /** Mean probability the model gave to the answer people chose. */
  mean_p_human: number | null;
}

export interface ModelAgreement {
  model_name: string | null;
  questions: ModelAgreementRow[];
}

export interface ProjectStats {
  days: number;
  progress: {
    tasks_total: number;
    tasks_done: number;
    annotations: number;
    assets_ready: number;
    assets_failed: number;
    gold: number;
  };
  daily: { date: string; submitted: number }[];
  annotators: {
    username: string;
    submitted: number;
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
  imports: { import_job_id: number | null; assets: number; ready: number; failed: number }[];
  failed_assets: { id: number; original_name: string; failure_reason: string }[];
}

export interface Job {
  id: number;
  kind: string;
  state: "queued" | "running" | "succeeded" | "failed" | "cancelled";
  progress: number;
  message: string;
  created_at: string;
  project?: number | null;
}
