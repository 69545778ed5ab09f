// Assets, the tasks made of them (single or pair), assignments (an annotator's lease of a task,
// with its draft) and annotations.

import type { MediaType } from "./common";
import type { PredictionSummary } from "./predictions";

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
