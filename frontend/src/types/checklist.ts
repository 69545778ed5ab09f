// Checklists: dimensions → sub-dimensions → ordered options → binary questions, and a loaded
// (frozen, content-hashed) checklist version.

import type { MediaType } from "./common";

/** Texts in other languages, per language tag: `{"zh-CN": {"title": "…"}}` (docs/checklist-format.md). */
export type Translations = Record<string, Record<string, string>>;

export interface Option {
  code: number;
  label: string;
  description?: string;
  not_present?: boolean;
  translations?: Translations;
}

export interface QuestionDef {
  key: string;
  text: string;
  yes_if_at_least: number;
  presence?: boolean;
  translations?: Translations;
}

export interface SubDimension {
  key: string;
  title: string;
  description?: string;
  hf_field?: string;
  gated_by?: string | null;
  options: Option[]; // best first, worst last
  questions: QuestionDef[];
  translations?: Translations;
}

export interface Dimension {
  key: string;
  title: string;
  description?: string;
  sub_dimensions: SubDimension[];
  translations?: Translations;
}

export interface ChecklistDefinition {
  key: string;
  title: string;
  media_type: MediaType;
  description?: string;
  instructions?: string;
  dimensions: Dimension[];
  translations?: Translations;
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
  builtin?: boolean;
  source_name?: string;
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

/** One problem of an uploaded checklist file: its path in the file, and its line and column where known. */
export interface ChecklistProblem {
  path: string;
  message: string;
  line: number | null;
  column: number | null;
}

/** What an uploaded file would be (POST /api/checklists/validate/): nothing is stored. */
export interface ChecklistPreview {
  filename: string;
  key: string;
  title: string;
  media_type: MediaType;
  content_hash: string;
  question_count: number;
  sub_dimension_count: number;
  definition: ChecklistDefinition;
  questions: Question[];
  /** The stored version with the same content, if any. */
  existing: { id: number; key: string; version: number; builtin: boolean } | null;
  /** Its version number: the existing one's, or the next of its key. */
  version: number;
}

interface KeyChanges {
  kept: string[];
  changed: string[];
  new: string[];
  dropped: string[];
}

/** What changing a project's checklist does (POST /api/projects/:id/checklist/), or did (`applied`). */
export interface ChecklistChange {
  applied: boolean;
  from: { id: number; key: string; version: number; title: string };
  to: { id: number; key: string; version: number; title: string };
  annotations: { total: number; under_current: number };
  sub_dimensions: KeyChanges;
  questions: KeyChanges;
  tasks: { done: number; unfinished: number; drafts: number; drafts_losing_answers: number };
  /** Single-task gold checks (total, carried over, paused) and pair gold checks (always carried over). */
  gold_checks: { total: number; carried_over: number; paused: number; pairs_carried_over?: number };
  /** Disagreement routing judged again under the new version: tasks given one more annotator / their extra slots back. */
  routing?: { routed: number; unrouted: number };
  gold_answers: number;
  predictions: number;
  /** The same, in sentences, to show as they are. */
  consequences: string[];
}
