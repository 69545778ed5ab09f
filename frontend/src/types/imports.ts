// Imports: a Label Studio export's preview, and what an import job reports when it finishes.

/** A key of the tasks' `data`, as the preview found it. */
export interface LabelStudioKey {
  key: string;
  /** How many tasks have it. */
  tasks: number;
  /** How many of its values look like a media reference (a URL, /data/upload/…, a file name). */
  media_like: number;
  /** How many of its values are text. */
  text: number;
  example: string;
}

/** One task as the import would take it, or why it would fail. */
export interface LabelStudioPreviewTask {
  index: number;
  task_id: number | string | null;
  problem?: string;
  media?: string;
  /** "url": downloaded by the import job; "file": matched among the files sent alongside. */
  media_source?: "url" | "file";
  matched_file?: string;
  prompt?: string;
  metadata?: Record<string, unknown>;
}

/** POST /api/projects/:id/imports/label-studio/ with preview=true. */
export interface LabelStudioPreview {
  format: "json" | "json-min" | "jsonl";
  task_count: number;
  keys: LabelStudioKey[];
  suggested: { media_key: string; prompt_key: string };
  media_key: string;
  prompt_key: string;
  importable: number;
  to_download: number;
  files_alongside: number;
  tasks: LabelStudioPreviewTask[];
  problem_count: number;
  problems: { index: number; task_id: number | string | null; reason: string }[];
}

/** An import job's `result` once it has finished. */
export interface ImportResult {
  total: number;
  imported: number;
  failed: number;
  failures: { file: string; reason: string }[];
  ignored: number;
}
