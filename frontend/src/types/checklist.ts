// Checklists: dimensions → sub-dimensions → ordered options → binary questions, and a loaded
// (frozen, content-hashed) checklist version.

import type { MediaType } from "./common";

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
