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
  [key: string]: unknown;
}
