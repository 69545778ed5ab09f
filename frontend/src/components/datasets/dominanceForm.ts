import type { DominanceRule, DominanceSource, ExportRequest } from "../../types";
import { NAME_RE } from "./exportForm";

// The "Dominance pairs" form as it is edited (numbers as typed), the checks made before sending,
// and the two requests it becomes: the statistics preview and the export of a version of kind
// dominance_pairs (docs/datasets.md: the rule).

export interface DominanceDimension {
  on: boolean;
  /** The margin as typed (> 0). */
  margin: string;
}

export interface DominanceFormState {
  project: number | null;
  /** A weight set id, or "" for the project's active one. */
  weightSet: string;
  name: string;
  description: string;
  source: DominanceSource;
  /** Dimension key → chosen and its margin, in the checklist's order. */
  dimensions: Record<string, DominanceDimension>;
  pairsPerPrompt: string;
  /** "" for no limit. */
  maxUses: string;
}

/** A form field, named as the API names it in a 400's `errors` (the margins as `margins.<key>`). */
export type DominanceField = "project" | "weight_set" | "name" | "source" | "margins" | "pairs_per_prompt" | "max_uses" | string;

export const SOURCES: { value: DominanceSource; label: string; hint: string }[] = [
  { value: "human", label: "People's answers", hint: "A reviewer's gold answer, else the consensus of the annotations." },
  { value: "model", label: "Model predictions", hint: "The expected score under the latest prediction's P(yes)." },
  { value: "human_else_model", label: "Both", hint: "People's answers where an asset has any, else the model's." },
];

export function defaultDominanceForm(dimensions: string[] = [], project: number | null = null): DominanceFormState {
  return {
    project,
    weightSet: "",
    name: "",
    description: "",
    source: "human",
    dimensions: Object.fromEntries(dimensions.map((key) => [key, { on: false, margin: "0.5" }])),
    pairsPerPrompt: "4",
    maxUses: "",
  };
}

const positiveInt = (text: string) => {
  const n = Number(text);
  return text.trim() !== "" && Number.isInteger(n) && n >= 1 ? n : null;
};

/**
 * The rule, or the problems with it (field → message). Margins are checked per chosen dimension
 * (`margins.<key>`); at least one dimension must be chosen (`margins`).
 */
export function ruleFromForm(form: DominanceFormState): { rule: DominanceRule; problems: Record<string, string> } {
  const problems: Record<string, string> = {};
  const margins: Record<string, number> = {};
  for (const [key, d] of Object.entries(form.dimensions)) {
    if (!d.on) continue;
    const m = Number(d.margin);
    if (!d.margin.trim() || !Number.isFinite(m) || m <= 0) problems[`margins.${key}`] = "Enter a margin above 0.";
    else margins[key] = m;
  }
  if (!Object.values(form.dimensions).some((d) => d.on)) problems.margins = "Choose at least one dimension.";
  const pairs = positiveInt(form.pairsPerPrompt);
  if (pairs == null) problems.pairs_per_prompt = "Enter a whole number, 1 or more.";
  const uses = form.maxUses.trim() ? positiveInt(form.maxUses) : null;
  if (form.maxUses.trim() && uses == null) problems.max_uses = "Enter a whole number, 1 or more, or leave it empty.";
  return {
    rule: { source: form.source, margins, pairs_per_prompt: pairs ?? 0, max_uses: uses, tolerance: 0 },
    problems,
  };
}

/** The export request (`kind: dominance_pairs`), or the problems (rule and name). */
export function dominanceRequest(form: DominanceFormState): { request: ExportRequest; problems: Record<string, string> } {
  const { rule, problems } = ruleFromForm(form);
  const name = form.name.trim();
  if (!name) problems.name = "Enter a name.";
  else if (!NAME_RE.test(name))
    problems.name = "Use lower-case letters, digits, '.', '_' and '-' (up to 80), starting with a letter or digit.";
  if (form.project == null) problems.project = "Choose a project.";
  const request: ExportRequest = {
    name,
    description: form.description,
    projects: form.project != null ? [form.project] : [],
    settings: { kind: "dominance_pairs", dominance: rule },
  };
  if (form.weightSet) request.weight_set = Number(form.weightSet);
  return { request, problems };
}

/** A server error's field of the export request, as the form names it (settings.dominance.x → x). */
export const formField = (serverField: string) =>
  serverField.startsWith("settings.dominance.")
    ? serverField.slice("settings.dominance.".length)
    : serverField.startsWith("dominance.")
      ? serverField.slice("dominance.".length)
      : serverField === "projects"
        ? "project"
        : serverField;
