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

// Dataset imports: a Hugging Face dataset (Hub id or local path) previewed, its columns mapped,
// its rows imported as assets or as rated pairs by one resumable job.

export type DatasetImportMode = "assets" | "pairs";
export type PreferenceFormat = "labels" | "choice" | "rating" | "scores";

/** One column as the dataset describes it: image, video, binary, string, int, float, bool, class_label, list, struct, other. */
export interface DatasetColumn {
  name: string;
  type: string;
  detail: string;
  names?: string[];
}

/** A preview cell: text (cut to 200 characters), a plain value, or media (its size, a thumbnail). */
export type PreviewCell =
  | { kind: "text"; value: string; truncated: boolean }
  | { kind: "value"; value: number | boolean | null }
  | { kind: "media"; size: number | null; path: string; data_url?: string; width?: number; height?: number };

export interface DatasetSource {
  source: string;
  config?: string;
  split?: string;
  revision?: string;
}

/** How columns become assets (media, prompt, metadata) or rated pairs (two media and a preference). */
export interface DatasetMapping {
  media?: string;
  media_a?: string;
  media_b?: string;
  prompt: string;
  prompt_required: boolean;
  metadata: string[];
  preference_format?: PreferenceFormat | "";
  preference?: string[];
}

/** POST /api/projects/:id/imports/{huggingface|pairs}/preview/ */
export interface DatasetPreview {
  source: string;
  kind: "local" | "hub";
  layout: string;
  configs: string[];
  config: string;
  splits: string[];
  split: string;
  num_rows: number | null;
  columns: DatasetColumn[];
  rows: { row: number; cells: Record<string, PreviewCell> }[];
  suggestion: DatasetMapping;
  media_type: string;
}

export interface DatasetImportRequest extends DatasetSource {
  mapping: DatasetMapping;
  limit?: number | null;
  rate_again?: boolean;
}

/** A dataset import job's result (and, while it runs, its checkpoint). */
export interface DatasetImportResult {
  mode?: DatasetImportMode;
  rows?: number;
  total?: number | null;
  imported?: number;
  failed?: number;
  duplicates?: number;
  pairs?: number;
  failures?: { row: number; file: string; reason: string }[];
  checkpoint?: { next_row: number };
}

/** GET /api/storage/: where files are stored, and whether browsers upload straight to the bucket. */
export interface StorageInfo {
  backend: "filesystem" | "s3";
  direct_uploads: boolean;
  /** The part size of a direct upload (a file larger than this goes as several parts). */
  part_bytes: number;
  max_upload_bytes: number;
}

/** A direct upload: an S3 multipart upload from the browser to the bucket (POST/GET /api/projects/:id/uploads/). */
export interface DirectUpload {
  id: string;
  filename: string;
  size_bytes: number;
  part_bytes: number;
  part_count: number;
  state: "created" | "complete" | "aborted" | "imported";
  /** The parts the bucket holds (while created). */
  parts_done: { number: number; size: number }[];
  /** Presigned URLs of the parts still to send (while created). */
  parts: { number: number; url: string }[];
}
