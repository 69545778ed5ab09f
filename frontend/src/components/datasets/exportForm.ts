import type { CombineRule, ExportAnswerState, ExportRequest, Project } from "../../types";

// The "New dataset version" form as it is edited (numbers as typed), its defaults (the server's,
// see worker/exporting.py), the checks made before sending and the request it becomes.

export interface SplitRow {
  /** Stable React key of the row. */
  key: number;
  name: string;
  share: string;
}

export interface ExportFormState {
  name: string;
  description: string;
  /** In the order chosen: the first gives the checklist and the default weight set. */
  projects: number[];
  /** A weight set id, or "" for the first project's active one. */
  weightSet: string;
  states: ExportAnswerState[];
  combine: CombineRule;
  splits: SplitRow[];
  seed: string;
  embedMedia: boolean;
  embedFrames: boolean;
  /** The balanced QA subset is made (with at most `balancedCap` yes and no rows per question). */
  balanced: boolean;
  balancedCap: string;
  license: string;
}

/** A form field, named as the API names it in a 400's `errors`. */
export type ExportField =
  | "name"
  | "description"
  | "projects"
  | "weight_set"
  | "settings.states"
  | "settings.combine"
  | "settings.split_ratios"
  | "settings.seed"
  | "settings.embed_media"
  | "settings.embed_frames"
  | "settings.balanced_cap"
  | "settings.license";

/** The form's fields in screen order (for focusing the first problem). */
export const EXPORT_FIELDS: ExportField[] = [
  "projects",
  "weight_set",
  "name",
  "description",
  "settings.combine",
  "settings.states",
  "settings.split_ratios",
  "settings.seed",
  "settings.embed_media",
  "settings.embed_frames",
  "settings.balanced_cap",
  "settings.license",
];

export const ANSWER_STATES: { value: ExportAnswerState; label: string }[] = [
  { value: "submitted", label: "Submitted" },
  { value: "reviewed", label: "Reviewed" },
];

export const COMBINE_RULES: { value: CombineRule; label: string; hint: string }[] = [
  { value: "majority", label: "Majority", hint: "One row per item: each question's majority answer." },
  { value: "all", label: "All", hint: "One row per annotation; a reviewer's gold answer is a row of its own." },
  { value: "gold", label: "Gold", hint: "One row per item: the reviewer's gold answer where there is one, else the majority." },
];

export const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,79}$/;
export const SPLIT_NAME_RE = /^[a-z0-9_]+$/;
export const LICENSE_RE = /^[a-z0-9][a-z0-9.+-]{0,63}$/;
/** How far from 1 the shares may sum (the server's tolerance). */
export const RATIO_TOLERANCE = 1e-6;

let nextKey = 0;
export const splitRow = (name = "", share = ""): SplitRow => ({ key: ++nextKey, name, share });

export function defaultForm(projects: number[] = []): ExportFormState {
  return {
    name: "",
    description: "",
    projects,
    weightSet: "",
    states: ["submitted", "reviewed"],
    combine: "majority",
    splits: [splitRow("train", "0.8"), splitRow("validation", "0.1"), splitRow("test", "0.1")],
    seed: "0",
    embedMedia: true,
    embedFrames: false,
    balanced: true,
    balancedCap: "1000",
    license: "other",
  };
}

/** The sum of the shares as typed (NaN when one is not a number). */
export function shareSum(splits: SplitRow[]): number {
  return splits.reduce((total, row) => total + (row.share.trim() ? Number(row.share) : NaN), 0);
}

/** 0.30000000000000004 → "0.3". */
export const shortNumber = (v: number) => String(Number(v.toFixed(6)));

function splitProblem(splits: SplitRow[]): string | null {
  if (!splits.length) return "Add at least one split.";
  const seen = new Set<string>();
  for (const row of splits) {
    const name = row.name.trim();
    if (!SPLIT_NAME_RE.test(name)) {
      return name
        ? `Split names are lower-case letters, digits and _ (“${name}” is not).`
        : "Every split needs a name (lower-case letters, digits and _).";
    }
    if (seen.has(name)) return `Each split needs its own name (“${name}” is there twice).`;
    seen.add(name);
    const share = Number(row.share);
    if (!row.share.trim() || !Number.isFinite(share) || share <= 0) return `The share of “${name}” must be a number above 0.`;
  }
  const total = shareSum(splits);
  if (Math.abs(total - 1) > RATIO_TOLERANCE) return `The shares sum to ${shortNumber(total)}; they must sum to 1.`;
  return null;
}

/**
 * The request to send, or the problems with the form (field → message). `projects` is the list
 * the form offers, to tell that the chosen ones share a checklist version.
 */
export function requestFromForm(
  form: ExportFormState,
  projects: Pick<Project, "id" | "checklist_version">[] = [],
): { request: ExportRequest; problems: Partial<Record<ExportField, string>> } {
  const problems: Partial<Record<ExportField, string>> = {};
  const name = form.name.trim();
  if (!name) problems.name = "Enter a name.";
  else if (!NAME_RE.test(name))
    problems.name = "Use lower-case letters, digits, '.', '_' and '-' (up to 80), starting with a letter or digit.";
  if (!form.projects.length) problems.projects = "Choose at least one project.";
  else {
    const versions = new Set(
      form.projects.map((id) => projects.find((p) => p.id === id)?.checklist_version).filter((v) => v !== undefined),
    );
    if (versions.size > 1) problems.projects = "These projects use different checklist versions; export them separately.";
  }
  if (!form.states.length) problems["settings.states"] = "Choose at least one kind of annotation.";
  const split = splitProblem(form.splits);
  if (split) problems["settings.split_ratios"] = split;
  const seed = Number(form.seed);
  if (!form.seed.trim() || !Number.isInteger(seed) || seed < 0) problems["settings.seed"] = "Enter a whole number, 0 or more.";
  const cap = Number(form.balancedCap);
  if (form.balanced && (!form.balancedCap.trim() || !Number.isInteger(cap) || cap < 1))
    problems["settings.balanced_cap"] = "Enter a whole number, 1 or more.";
  const license = form.license.trim();
  if (!LICENSE_RE.test(license))
    problems["settings.license"] = "Enter a license identifier as the Hub uses them, e.g. cc-by-4.0, apache-2.0 or other.";

  const request: ExportRequest = {
    name,
    description: form.description,
    projects: [...form.projects],
    settings: {
      states: ANSWER_STATES.map((s) => s.value).filter((s) => form.states.includes(s)),
      combine: form.combine,
      split_ratios: Object.fromEntries(form.splits.map((row) => [row.name.trim(), Number(row.share)])),
      seed,
      embed_media: form.embedMedia,
      embed_frames: form.embedFrames,
      balanced_cap: form.balanced ? cap : null,
      license,
    },
  };
  if (form.weightSet) request.weight_set = Number(form.weightSet);
  return { request, problems };
}
