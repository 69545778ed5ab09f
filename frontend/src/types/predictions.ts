// Models and their predictions: a model in the registry, its P(yes) per question collapsed to an
// option per sub-dimension, and how the project's latest model agrees with people.

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

/** A model the server can run (GET /api/models/). */
export interface ModelSpec {
  name: string;
  title: string;
  source: string;
  queue: string;
  device: string;
  dtype: string;
  enabled: boolean;
  id?: number;
  /** Hub branch, tag or commit ("" : the default). */
  revision?: string;
  /** Questions scored per forward pass (1..512). */
  batch_size?: number;
  /** Video frames the model sees (1..64). */
  max_frames?: number;
  trust_remote_code?: boolean;
  notes?: string;
  created_at?: string;
  updated_at?: string;
  /** The last test load (a model_check job) of the model as it then was. */
  last_check_at?: string | null;
  last_check_ok?: boolean | null;
  last_check_message?: string;
  [key: string]: unknown;
}

/** What the registry form sends (POST /api/models/, PATCH /api/models/:name/). */
export interface ModelSpecInput {
  name: string;
  title: string;
  source: string;
  revision: string;
  dtype: string;
  device: string;
  queue: string;
  batch_size: number;
  max_frames: number;
  trust_remote_code: boolean;
  confirm_trust_remote_code?: boolean;
  enabled: boolean;
  notes: string;
}

/** GET/PUT /api/projects/:id/model/: the project's active model (`model` null: none). */
export interface ProjectModel {
  project: number;
  model: string | null;
  auto_prefill: boolean | null;
  spec: ModelSpec | null;
  updated_by: string | null;
  updated_at: string | null;
}

/** POST /api/projects/:id/prefill/. */
export interface PrefillRequest {
  model?: string;
  /** Skip assets with a prediction of this model version (true: "new assets only"). */
  only_missing: boolean;
  assets?: number[];
}
