// The upload queue of the Assets screen, as pure functions (no DOM, no network): what was chosen
// (files, a folder, a zip, a manifest) becomes a plan — the files to send with their import names
// and prompts, what is skipped and why, problems that stop the upload — then batches (one import
// request and job each), each batch's share of the manifest, per-file upload progress from the
// request's byte count, and each file's outcome from its job's result.
//
// The server stays the authority: it checks the manifest (every key, every limit) and the media.
// What is checked here is what must be known before anything is sent: which files a manifest row
// names (the server imports exactly the manifest's rows), and which chosen files are not media.

/** One chosen file and its place in what was chosen ("shoot/cats/a.jpg"; the bare name for a single file). */
export interface Picked {
  file: File;
  path: string;
  /** Chosen with the file picker: sent whatever its name (from a folder or a drop, only media names). */
  oneByOne?: boolean;
}

export type ItemState = "waiting" | "uploading" | "uploaded" | "importing" | "imported" | "failed" | "cancelled";

export interface QueueItem {
  id: number;
  file: File;
  /** The asset's name: its path relative to the manifest's folder (with one), else as chosen. */
  name: string;
  /** "media" is sent as `files` (+ `paths`), "archive" as `archive` (its entries are unpacked by the job). */
  role: "media" | "archive";
  size: number;
  /** The manifest's prompt for it; null: no manifest row names it (an archive: its rows are inside). */
  prompt: string | null;
  /** 1-based line of its manifest row. */
  manifestLine: number | null;
  state: ItemState;
  /** Bytes of it the server has received. */
  loaded: number;
  /** Why it failed (or was cancelled). */
  reason: string;
  /** The import job it went to (the latest attempt). */
  jobId: number | null;
}

export interface Skipped {
  path: string;
  reason: string;
}

export interface ManifestRow {
  /** Where the record starts in the file (1-based), as the server counts. */
  line: number;
  file: string;
  prompt: string;
  /** The record as it is in the file (sent again as it was, in the batch that carries its file). */
  raw: string;
}

export interface Manifest {
  name: string;
  format: "jsonl" | "csv";
  /** CSV: the header record as it is in the file. */
  header: string;
  rows: ManifestRow[];
  /** Problems found here that the server would refuse the whole request for. */
  problems: string[];
}

export interface Plan {
  items: QueueItem[];
  manifest: Manifest | null;
  skipped: Skipped[];
  /** Anything here stops the upload: fix the files and choose again. */
  problems: string[];
  /** Manifest rows left for the archive to carry (not among the chosen files). */
  archiveRows: ManifestRow[];
}

const MANIFEST_SUFFIXES = [".jsonl", ".csv"];
// .tar and .tar.gz are read in the browser into their files (tar.ts) before a plan is made.
const OTHER_ARCHIVES = [".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tbz2", ".txz", ".7z", ".rar", ".gz", ".bz2", ".xz"];
// By name, what is surely an image or a video. Anything else chosen one by one is still sent (the
// server reads the content, not the name); from a folder or a drop it is skipped with its reason.
const MEDIA_SUFFIXES = new Set(
  (
    "jpg jpeg jpe jfif png apng webp gif bmp tif tiff avif heic heif jxl jp2 qoi ppm pgm pbm pnm tga dds psd exr hdr " +
    "mp4 m4v mov webm mkv avi wmv flv mpg mpeg mpe ts mts m2ts 3gp 3g2 ogv ogg mxf y4m h264 264 hevc h265"
  ).split(" "),
);

const lower = (s: string) => s.toLowerCase();
const suffixOf = (name: string) => {
  const base = name.slice(name.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? lower(base.slice(dot + 1)) : "";
};
export const dirname = (path: string) => (path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "");

/** "./a//b\\c.jpg" → "a/b/c.jpg" (as the server normalizes a name). */
export function normalizePath(path: string): string {
  const parts = path.trim().replace(/\\/g, "/").split("/");
  const out: string[] = [];
  for (const part of parts) {
    if (!part || part === ".") continue;
    if (part === ".." && out.length && out[out.length - 1] !== "..") out.pop();
    else out.push(part);
  }
  return out.join("/");
}

export function isManifestName(name: string): boolean {
  return MANIFEST_SUFFIXES.some((s) => lower(name).endsWith(s));
}

/** Directories' litter: dotfiles (.DS_Store), macOS resource forks, Thumbs.db. */
function isLitter(path: string): boolean {
  const parts = path.split("/").filter(Boolean);
  return !parts.length || parts[0] === "__MACOSX" || parts.some((p) => p.startsWith(".")) || lower(parts[parts.length - 1]) === "thumbs.db";
}

export function isMediaFile(file: Pick<File, "name" | "type">): boolean {
  return file.type.startsWith("image/") || file.type.startsWith("video/") || MEDIA_SUFFIXES.has(suffixOf(file.name));
}

// --- manifests ---------------------------------------------------------------------------

/** A .jsonl or .csv manifest's rows (file, prompt) with their lines and raw text. */
export function parseManifest(name: string, text: string): Manifest {
  const csv = lower(name).endsWith(".csv");
  const manifest: Manifest = { name, format: csv ? "csv" : "jsonl", header: "", rows: [], problems: [] };
  text = text.replace(/^\ufeff/, "");
  if (csv) parseCsv(text, manifest);
  else parseJsonl(text, manifest);
  const seen = new Map<string, number>();
  for (const row of manifest.rows) {
    const key = normalizePath(row.file);
    const first = seen.get(key);
    if (first !== undefined) manifest.problems.push(`manifest line ${row.line}: \`${row.file}\` is already named on line ${first}`);
    else seen.set(key, row.line);
  }
  return manifest;
}

function parseJsonl(text: string, manifest: Manifest) {
  text.split("\n").forEach((rawLine, index) => {
    const line = index + 1;
    const raw = rawLine.replace(/\r$/, "");
    if (!raw.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (exc) {
      manifest.problems.push(`manifest line ${line}: bad JSON (${exc instanceof Error ? exc.message : String(exc)})`);
      return;
    }
    if (!value || typeof value !== "object" || Array.isArray(value)) {
      manifest.problems.push(`manifest line ${line}: expected a JSON object with \`file\``);
      return;
    }
    const obj = value as Record<string, unknown>;
    if (typeof obj.file !== "string" || !obj.file.trim()) {
      manifest.problems.push(`manifest line ${line}: missing \`file\``);
      return;
    }
    manifest.rows.push({ line, file: obj.file.trim(), prompt: typeof obj.prompt === "string" ? obj.prompt : "", raw });
  });
}

interface CsvRecord {
  line: number;
  cells: string[];
  raw: string;
}

/** RFC 4180 records (quoted fields may hold commas, quotes and line breaks), with their start lines. */
export function csvRecords(text: string): { records: CsvRecord[]; problem: string } {
  const records: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const start = i;
    const startLine = line;
    const cells: string[] = [];
    let cell = "";
    let quoted = false;
    let atCellStart = true;
    for (;;) {
      if (i >= text.length) {
        if (quoted) return { records, problem: `manifest line ${startLine}: a quoted field is not closed` };
        cells.push(cell);
        break;
      }
      const ch = text[i];
      if (quoted) {
        if (ch === '"' && text[i + 1] === '"') {
          cell += '"';
          i += 2;
        } else if (ch === '"') {
          quoted = false;
          i += 1;
        } else {
          if (ch === "\n") line += 1;
          cell += ch;
          i += 1;
        }
      } else if (ch === '"' && atCellStart) {
        quoted = true;
        atCellStart = false;
        i += 1;
      } else if (ch === ",") {
        cells.push(cell);
        cell = "";
        atCellStart = true;
        i += 1;
      } else if (ch === "\n" || ch === "\r") {
        cells.push(cell);
        i += ch === "\r" && text[i + 1] === "\n" ? 2 : 1;
        line += 1;
        break;
      } else {
        cell += ch;
        atCellStart = false;
        i += 1;
      }
    }
    const raw = text.slice(start, i).replace(/\r?\n$|\r$/, "");
    records.push({ line: startLine, cells, raw });
  }
  return { records, problem: "" };
}

function parseCsv(text: string, manifest: Manifest) {
  const { records, problem } = csvRecords(text);
  if (problem) manifest.problems.push(problem);
  const [head, ...rest] = records;
  if (!head) {
    manifest.problems.push("manifest line 1: the file is empty (expected a header with a `file` column)");
    return;
  }
  const header = head.cells.map((h) => h.trim());
  const fileColumn = header.indexOf("file");
  if (fileColumn < 0) {
    manifest.problems.push(`manifest line 1: the header has no \`file\` column (columns: ${header.join(", ")})`);
    return;
  }
  manifest.header = head.raw;
  const promptColumn = header.indexOf("prompt");
  for (const record of rest) {
    if (!record.cells.some((c) => c.trim())) continue;
    const file = (record.cells[fileColumn] ?? "").trim();
    if (!file) {
      manifest.problems.push(`manifest line ${record.line}: missing \`file\``);
      continue;
    }
    manifest.rows.push({ line: record.line, file, prompt: promptColumn >= 0 ? (record.cells[promptColumn] ?? "") : "", raw: record.raw });
  }
}

// --- the plan ------------------------------------------------------------------------------

/** What will be sent, from everything chosen or dropped. */
export function planUpload(picked: Picked[], manifests: { path: string; text: string }[]): Plan {
  const plan: Plan = { items: [], manifest: null, skipped: [], problems: [], archiveRows: [] };
  if (manifests.length > 1) {
    plan.problems.push(`choose at most one manifest; got ${manifests.length} (${manifests.map((m) => m.path).join(", ")})`);
  }
  const manifestFile = manifests[0];
  const base = manifestFile ? dirname(normalizePath(manifestFile.path)) : "";
  if (manifestFile) {
    plan.manifest = parseManifest(manifestFile.path, manifestFile.text);
    plan.problems.push(...plan.manifest.problems);
  }
  const byName = new Map<string, QueueItem>();
  let nextId = 1;
  for (const { file, path: chosenPath, oneByOne } of picked) {
    const path = normalizePath(chosenPath || file.name);
    if (isManifestName(path)) continue; // read by the caller
    if (isLitter(path)) {
      plan.skipped.push({ path, reason: "a hidden or system file" });
      continue;
    }
    const name = base && path.startsWith(`${base}/`) ? path.slice(base.length + 1) : path;
    const lowerPath = lower(path);
    const archive = lowerPath.endsWith(".zip");
    if (!archive && OTHER_ARCHIVES.some((s) => lowerPath.endsWith(s))) {
      plan.skipped.push({ path, reason: "only .zip, .tar and .tar.gz archives can be imported; unpack it or zip it again" });
      continue;
    }
    if (!archive && !oneByOne && !isMediaFile(file)) {
      plan.skipped.push({ path, reason: "not an image or video file (by its name)" });
      continue;
    }
    if (!file.size) {
      plan.skipped.push({ path, reason: "the file is empty" });
      continue;
    }
    if (byName.has(name)) {
      plan.skipped.push({ path, reason: `another chosen file has the same name \`${name}\`` });
      continue;
    }
    const item: QueueItem = {
      id: nextId++,
      file,
      name,
      role: archive ? "archive" : "media",
      size: file.size,
      prompt: null,
      manifestLine: null,
      state: "waiting",
      loaded: 0,
      reason: "",
      jobId: null,
    };
    byName.set(name, item);
    plan.items.push(item);
  }
  const archives = plan.items.filter((i) => i.role === "archive");
  if (!plan.manifest) return plan;

  if (archives.length > 1) {
    plan.problems.push(`with a manifest, choose at most one .zip (its rows name the zip's entries); got ${archives.length}`);
  }
  const named = new Set<QueueItem>();
  for (const row of plan.manifest.rows) {
    const item = byName.get(normalizePath(row.file));
    if (item && item.role === "media") {
      item.prompt = row.prompt;
      item.manifestLine = row.line;
      named.add(item);
    } else if (archives.length) {
      plan.archiveRows.push(row);
    } else {
      plan.problems.push(`manifest line ${row.line}: \`${row.file}\` is not among the chosen files`);
    }
  }
  // With a manifest exactly its rows are imported: other files are not sent at all.
  plan.items = plan.items.filter((item) => {
    if (item.role === "archive" || named.has(item)) return true;
    plan.skipped.push({ path: item.name, reason: `not named in the manifest \`${plan.manifest?.name}\`` });
    return false;
  });
  return plan;
}

// --- batches ------------------------------------------------------------------------------

export interface BatchLimits {
  maxFiles: number;
  maxBytes: number;
}

/** Several files per request (one import job each), each request at most `maxFiles` files and
 * `maxBytes` bytes (a larger file goes alone); an archive always goes alone. */
export const BATCH_LIMITS: BatchLimits = { maxFiles: 50, maxBytes: 64 * 1024 * 1024 };

export function batchesOf(items: QueueItem[], limits: BatchLimits = BATCH_LIMITS): QueueItem[][] {
  const batches: QueueItem[][] = [];
  let current: QueueItem[] = [];
  let bytes = 0;
  for (const item of items) {
    if (item.role === "archive") {
      batches.push([item]);
      continue;
    }
    if (current.length && (current.length >= limits.maxFiles || bytes + item.size > limits.maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.size;
  }
  if (current.length) batches.push(current);
  return batches;
}

export interface BatchManifest {
  name: string;
  text: string;
  /** Line `n` of `text` (1-based) is line lineMap[n - 1] of the chosen manifest. */
  lineMap: number[];
}

/** The share of the manifest a batch carries: the rows of its files (an archive: the rows left to
 * it), as they are in the file, so that the server reads them as the user wrote them. */
export function batchManifest(plan: Plan, batch: QueueItem[]): BatchManifest | null {
  const manifest = plan.manifest;
  if (!manifest) return null;
  const lines = new Set(batch.map((i) => i.manifestLine).filter((l): l is number => l !== null));
  const archive = batch.some((i) => i.role === "archive");
  const rows = archive ? plan.archiveRows : manifest.rows.filter((r) => lines.has(r.line));
  if (!rows.length) return null; // a zip no row names: all of its entries, without prompts
  const parts: string[] = [];
  const lineMap: number[] = [];
  const add = (raw: string, line: number) => {
    parts.push(raw);
    raw.split(/\r\n|\n|\r/).forEach((_, k) => lineMap.push(line + k));
  };
  if (manifest.format === "csv") add(manifest.header, 1);
  for (const row of rows) add(row.raw, row.line);
  const eol = manifest.format === "csv" ? "\r\n" : "\n";
  return { name: manifest.name.slice(manifest.name.lastIndexOf("/") + 1), text: parts.join(eol) + eol, lineMap };
}

/** A server message about a batch's manifest, its line numbers put back to the chosen file's. */
export function remapLines(message: string, lineMap: number[] | null | undefined): string {
  if (!lineMap?.length) return message;
  return message.replace(/manifest line (\d+)/g, (all, n: string) => {
    const original = lineMap[Number(n) - 1];
    return original === undefined ? all : `manifest line ${original}`;
  });
}

// --- progress -----------------------------------------------------------------------------

// A multipart part's headers and boundary: about this many bytes plus the field and file names.
const PART_OVERHEAD = 160;

/** Bytes received of each file of a batch sent as multipart parts in this order (the browser
 * sends the parts one after the other), given the request's `loaded` of `total` bytes. */
export function filesLoaded(sizes: { size: number; nameLength: number }[], loaded: number, total: number): number[] {
  const estimated = sizes.reduce((sum, s) => sum + s.size + PART_OVERHEAD + s.nameLength, 0);
  const scale = total > 0 && estimated > 0 ? estimated / total : 1;
  const at = loaded * scale;
  let offset = 0;
  return sizes.map((s) => {
    const start = offset + PART_OVERHEAD + s.nameLength;
    offset = start + s.size;
    if (loaded >= total && total > 0) return s.size;
    return Math.max(0, Math.min(s.size, Math.round(at - start)));
  });
}

export interface Totals {
  files: number;
  bytes: number;
  sent: number;
  /** Files the server has (uploaded, being imported or done). */
  uploaded: number;
  imported: number;
  failed: number;
  cancelled: number;
  withPrompt: number;
}

export function totals(items: QueueItem[]): Totals {
  const t: Totals = { files: items.length, bytes: 0, sent: 0, uploaded: 0, imported: 0, failed: 0, cancelled: 0, withPrompt: 0 };
  for (const item of items) {
    t.bytes += item.size;
    t.sent += Math.min(item.loaded, item.size);
    if (["uploaded", "importing", "imported"].includes(item.state)) t.uploaded += 1;
    if (item.state === "imported") t.imported += 1;
    if (item.state === "failed") t.failed += 1;
    if (item.state === "cancelled") t.cancelled += 1;
    if (item.prompt) t.withPrompt += 1;
  }
  return t;
}

// --- outcomes -----------------------------------------------------------------------------

/** What an import job reports (GET /api/jobs/:id/'s state, error and result). */
export interface ImportJobView {
  id: number;
  state: "queued" | "running" | "succeeded" | "failed" | "cancelled";
  error?: string;
  message?: string;
  result?: unknown;
}

interface ImportResult {
  imported?: number;
  failed?: number;
  failures?: { file: string; reason: string }[];
}

/** Each file of a batch after its job: imported, failed with its reason, or still importing.
 * An archive is "imported" when its job succeeded (its entries' failures are listed by the page). */
export function applyJob(batch: QueueItem[], job: ImportJobView): QueueItem[] {
  const result = (job.result ?? {}) as ImportResult;
  const reasons = new Map((result.failures ?? []).map((f) => [f.file, f.reason]));
  return batch.map((item) => {
    if (job.state === "queued" || job.state === "running") return { ...item, state: "importing", jobId: job.id };
    if (job.state === "succeeded") {
      const reason = item.role === "media" ? reasons.get(item.name) : undefined;
      return reason !== undefined
        ? { ...item, state: "failed", reason, jobId: job.id }
        : { ...item, state: "imported", reason: "", jobId: job.id };
    }
    if (job.state === "cancelled") return { ...item, state: "cancelled", reason: "the import was cancelled", jobId: job.id };
    return { ...item, state: "failed", reason: job.error || job.message || "the import job failed", jobId: job.id };
  });
}

/** The files a retry sends again: those that failed or were cancelled, as they were chosen. */
export function retryable(items: QueueItem[]): QueueItem[] {
  return items.filter((i) => i.state === "failed" || i.state === "cancelled");
}

export function resetForRetry(item: QueueItem): QueueItem {
  return { ...item, state: "waiting", loaded: 0, reason: "" };
}

/** "1.5 MB" */
export function humanBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value >= 100 ? Math.round(value) : Number(value.toFixed(1))} ${units[unit]}`;
}
