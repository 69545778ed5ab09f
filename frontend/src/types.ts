// Domain types, named as in the API and the docs (checklist, dimension, sub-dimension, option,
// question, task, assignment, annotation, prediction, pair, gold answer).

export type MediaType = "image" | "video";
export type Role = "annotator" | "reviewer" | "manager" | "researcher" | "admin";

export interface User {
  id: number;
  username: string;
  is_staff: boolean;
}

/** A project's member and their role (GET /api/projects/:id/members/). */
export interface Member {
  id: number;
  username: string;
  role: Exclude<Role, "admin">;
  created_at: string;
}

/** An invitation by e-mail (GET /api/invitations/); the link is only in the answer that made it. */
export interface Invitation {
  id: number;
  email: string;
  project: number | null;
  role: Exclude<Role, "admin"> | "";
  invited_by: string | null;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
  state: "pending" | "accepted" | "expired" | "revoked";
}

export interface IssuedInvitation extends Invitation {
  link: string;
}

/** What an invitation link invites to (POST /api/auth/invitation/). */
export interface InvitationSummary {
  email: string;
  project: string | null;
  role: string;
  expires_at: string;
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
  /** Quality control: the share of an annotator's claims that serve an unseen gold check (0..1). */
  gold_check_rate?: number;
  /** Quality control: ask one more annotator when a task's annotations disagree more than this (0..1); null: off. */
  disagreement_threshold?: number | null;
  /** Quality control: at most this many annotators added to one task for disagreement. */
  max_extra_annotators?: number;
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
  /** A late extra: submitted after its lease lapsed and its slot went to someone else (not one of the task's k). */
  late?: boolean;
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
    /** Late extras among `annotations` (submitted after the lease lapsed and the slot went to someone else). */
    late_annotations?: number;
    assets_ready: number;
    assets_failed: number;
    gold: number;
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

// --- weight sets, refits and scores (VisionReward: a linear weight per question) -------------

export type WeightSetStatus = "candidate" | "active" | "retired";
export type WeightSetSource = "fitted" | "public" | "uploaded";
export type WeightEncoding = "signed" | "binary";

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

// --- dataset versions and exports (Hugging Face datasets of the annotations) -----------------

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
  /** Archive URLs; null unless ready. */
  download: { zip: string; tar: string } | null;
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

// --- quality control: gold checks, accuracy on gold, agreement with peers --------------------

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
  /** Comparisons with the other annotators of the same tasks. */
  peer_answers: number;
  /** Share of those with the same answer (0..1). */
  peer_agreement: number | null;
}

export interface QualityStats {
  gold_check_rate: number;
  disagreement_threshold: number | null;
  max_extra_annotators: number;
  /** Tasks used as gold checks. */
  gold_checks: number;
  /** Tasks that got an extra annotator because their annotations disagreed. */
  routed_tasks: number;
  annotators: AnnotatorQuality[];
}

/** A task whose expected answers are known, served unseen among normal tasks. */
export interface GoldCheck {
  task: number;
  asset: number;
  checklist_version: number;
  options: Record<string, number>;
  answers: number[];
  mask: number[];
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

/** Expected answers of a gold check: the options, or a copy of the task's reviewed gold answer. */
export type GoldCheckRequest =
  | { options: Record<string, number>; comment?: string }
  | { from_gold_answer: true; comment?: string };

// --- jobs: the project's background work, and research jobs (fine-tune, evaluate) ----------

export type JobKind = "import" | "prefill" | "refit" | "score" | "export" | "push" | "finetune" | "evaluate";
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

/** A model the server can run (GET /api/models/). */
export interface ModelSpec {
  name: string;
  title: string;
  source: string;
  queue: string;
  device: string;
  dtype: string;
  enabled: boolean;
  [key: string]: unknown;
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
