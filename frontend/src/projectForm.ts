// The "New project" form and the project's settings as pure data: the values, the steps, each
// step's checks (the same limits as the API's), the request body, and which step an API field
// error belongs to.
import type { ChecklistPreview, ChecklistProblem, MediaType, Project } from "./types";

export type StepId = "name" | "media" | "checklist" | "work" | "instructions" | "review";

export const STEPS: { id: StepId; title: string }[] = [
  { id: "name", title: "Name" },
  { id: "media", title: "Media type" },
  { id: "checklist", title: "Checklist" },
  { id: "work", title: "Overlap, lease and pairs" },
  { id: "instructions", title: "Instructions" },
  { id: "review", title: "Review" },
];

/** An uploaded checklist file: its text and what the dry run said (a preview or its problems). */
export interface ChecklistUpload {
  filename: string;
  content: string;
  preview: ChecklistPreview | null;
  problems: ChecklistProblem[];
}

export interface ProjectForm {
  name: string;
  description: string;
  media_type: MediaType;
  checklist_source: "loaded" | "upload";
  /** A loaded version, when `checklist_source` is "loaded". */
  checklist_version: number | null;
  upload: ChecklistUpload | null;
  overlap: string;
  lease_minutes: string;
  pair_tasks: boolean;
  instructions: string;
}

export const MAX_OVERLAP = 50;
export const MAX_LEASE_MINUTES = 7 * 24 * 60;
export const MAX_CHECKLIST_BYTES = 2 * 1024 * 1024;

export function emptyForm(): ProjectForm {
  return {
    name: "",
    description: "",
    media_type: "image",
    checklist_source: "loaded",
    checklist_version: null,
    upload: null,
    overlap: "1",
    lease_minutes: "30",
    pair_tasks: false,
    instructions: "",
  };
}

export function formFromProject(project: Project): ProjectForm {
  return {
    ...emptyForm(),
    name: project.name,
    description: project.description,
    media_type: project.media_type,
    checklist_version: project.checklist_version,
    overlap: String(project.overlap),
    lease_minutes: String(Math.round(project.lease_seconds / 60)),
    pair_tasks: Boolean(project.pair_tasks),
    instructions: project.instructions,
  };
}

function wholeNumber(text: string, min: number, max: number, what: string): string | undefined {
  const value = Number(text.trim());
  if (!text.trim() || !Number.isInteger(value)) return `Enter ${what} as a whole number.`;
  if (value < min || value > max) return `Enter ${what} from ${min} to ${max}.`;
  return undefined;
}

/** The problems of one step, field → message (empty when the step may be left). */
export function stepErrors(step: StepId, form: ProjectForm): Record<string, string> {
  const errors: Record<string, string> = {};
  if (step === "name") {
    if (!form.name.trim()) errors.name = "Give the project a name.";
    else if (form.name.trim().length > 200) errors.name = "At most 200 characters.";
  }
  if (step === "checklist") {
    if (form.checklist_source === "loaded") {
      if (form.checklist_version == null) errors.checklist_version = "Choose a checklist.";
    } else if (!form.upload) {
      errors.file = "Choose a checklist file (.yaml, .yml or .json).";
    } else if (form.upload.problems.length || !form.upload.preview) {
      errors.file = `${form.upload.filename} has problems: fix them and choose the file again.`;
    } else if (form.upload.preview.media_type !== form.media_type) {
      errors.file = `This checklist is for ${form.upload.preview.media_type}s; the project's media type is ${form.media_type}.`;
    }
  }
  if (step === "work") {
    const overlap = wholeNumber(form.overlap, 1, MAX_OVERLAP, "the overlap");
    if (overlap) errors.overlap = overlap;
    const lease = wholeNumber(form.lease_minutes, 1, MAX_LEASE_MINUTES, "the lease in minutes");
    if (lease) errors.lease_seconds = lease;
  }
  return errors;
}

/** Every step's problems, for the review step and the settings page. */
export function allErrors(form: ProjectForm, steps: StepId[] = STEPS.map((s) => s.id)): Record<string, string> {
  return Object.assign({}, ...steps.map((step) => stepErrors(step, form)));
}

/** The body of POST /api/projects/ (or a PATCH) for these values and checklist version. */
export function projectBody(form: ProjectForm, checklistVersion: number | null): Partial<Project> {
  return {
    name: form.name.trim(),
    description: form.description,
    media_type: form.media_type,
    ...(checklistVersion != null ? { checklist_version: checklistVersion } : {}),
    overlap: Number(form.overlap),
    lease_seconds: Number(form.lease_minutes) * 60,
    pair_tasks: form.pair_tasks,
    instructions: form.instructions,
  };
}

const FIELD_STEPS: Record<string, StepId> = {
  name: "name",
  description: "name",
  media_type: "media",
  checklist_version: "checklist",
  file: "checklist",
  content: "checklist",
  overlap: "work",
  lease_seconds: "work",
  pair_tasks: "work",
  instructions: "instructions",
};

/** The step that shows an API field error (the review step for anything else). */
export function stepOfField(field: string): StepId {
  return FIELD_STEPS[field.split(".")[0]] ?? "review";
}

/** "Line 12, column 9" of a problem, or "" when the file has no place for it. */
export function problemPlace(problem: ChecklistProblem): string {
  if (problem.line == null) return "";
  return problem.column != null ? `Line ${problem.line}, column ${problem.column}` : `Line ${problem.line}`;
}

/** The text of line `line` (1-based) of a file, for showing a problem in place. */
export function sourceLine(content: string, line: number | null): string {
  if (line == null) return "";
  return content.replace(/\r\n?/g, "\n").split("\n")[line - 1] ?? "";
}
