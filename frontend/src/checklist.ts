// Pure checklist logic for the annotate screen, the same rules as annotator/checklist (Python):
// a sub-dimension gated by a presence question applies only while the sub-dimension that owns
// that question is not at its "not present" option; gates chain.
import type {
  AnswerState,
  ChecklistDefinition,
  Option,
  PredictedOption,
  PredictionSummary,
  SubDimension,
  Translations,
} from "./types";

/** A text of a checklist node in `language`, from the node's translations, else the file's own (English). */
export function localized<T extends { translations?: Translations }>(node: T, field: keyof T & string, language = "en"): string {
  const own = (node[field] as unknown as string | undefined) ?? "";
  if (language === "en") return own;
  return node.translations?.[language]?.[field] || own;
}

export type Gate = "open" | "closed" | "unknown";

export interface Row {
  key: string;
  title: string;
  description: string;
  dimension: string;
  dimensionTitle: string;
  options: Option[];
  gatedBy: string | null;
}

/** The checklist's rows, their texts in `language` (English where a text has no translation). */
export function rowsOf(def: ChecklistDefinition, language = "en"): Row[] {
  return def.dimensions.flatMap((dim) =>
    dim.sub_dimensions.map((sub) => ({
      key: sub.key,
      title: localized(sub, "title", language),
      description: localized(sub, "description", language),
      dimension: dim.key,
      dimensionTitle: localized(dim, "title", language),
      options:
        language === "en"
          ? sub.options
          : sub.options.map((o) => ({ ...o, label: localized(o, "label", language), description: localized(o, "description", language) })),
      gatedBy: sub.gated_by ?? null,
    })),
  );
}

function subByQuestion(def: ChecklistDefinition): Map<string, SubDimension> {
  const map = new Map<string, SubDimension>();
  for (const dim of def.dimensions) for (const sub of dim.sub_dimensions) for (const q of sub.questions) map.set(q.key, sub);
  return map;
}

const notPresent = (sub: SubDimension): Option | undefined => sub.options.find((o) => o.not_present);

/** The gate of every sub-dimension under these choices (open: it applies). */
export function gates(def: ChecklistDefinition, options: Record<string, number>): Record<string, Gate> {
  const owner = subByQuestion(def);
  const subs = new Map(def.dimensions.flatMap((d) => d.sub_dimensions).map((s) => [s.key, s]));
  const out: Record<string, Gate> = {};
  const visit = (sub: SubDimension, depth = 0): Gate => {
    if (out[sub.key]) return out[sub.key];
    let gate: Gate = "open";
    if (sub.gated_by && depth < 64) {
      const source = owner.get(sub.gated_by);
      if (source) {
        const sourceGate = visit(source, depth + 1);
        if (sourceGate !== "open") gate = sourceGate;
        else if (options[source.key] === undefined) gate = "unknown";
        else gate = options[source.key] === notPresent(source)?.code ? "closed" : "open";
      }
    }
    out[sub.key] = gate;
    return gate;
  };
  for (const sub of subs.values()) visit(sub);
  return out;
}

/** Drop choices of sub-dimensions that no longer apply. */
export function normalize(def: ChecklistDefinition, options: Record<string, number>): Record<string, number> {
  const g = gates(def, options);
  const out: Record<string, number> = {};
  for (const [key, code] of Object.entries(options)) if (g[key] === "open") out[key] = code;
  return out;
}

/** Choose an option (or clear with null) and drop what that choice makes inapplicable. */
export function choose(
  def: ChecklistDefinition,
  options: Record<string, number>,
  key: string,
  code: number | null,
): Record<string, number> {
  const next = { ...options };
  if (code === null) delete next[key];
  else next[key] = code;
  return normalize(def, next);
}

export function missing(def: ChecklistDefinition, options: Record<string, number>): string[] {
  const g = gates(def, options);
  return rowsOf(def)
    .filter((row) => g[row.key] !== "closed" && options[row.key] === undefined)
    .map((row) => row.key);
}


/** What `a` does and leaves: the options after accepting, the rows it filled, and the rows still to
 * answer, with those whose model guess is below the threshold (uncertain: for the annotator). */
export interface AcceptPlan {
  options: Record<string, number>;
  accepted: string[];
  /** Applicable rows still unanswered after accepting. */
  left: string[];
  /** Of `left`, those with a guess below the threshold. */
  uncertain: string[];
}

/** A guess `a` may accept: its confidence is at or above the threshold (0 accepts every guess). */
export const isConfident = (guess: PredictedOption | undefined, threshold: number): boolean =>
  !!guess && guess.confidence >= threshold - 1e-9;

/**
 * Fill every unanswered, applicable sub-dimension whose model guess is confident enough (at or
 * above `threshold`, the project's accept threshold) with the model's option; the others are left
 * for the annotator. The annotator's own choices are kept.
 */
export function planAccept(
  def: ChecklistDefinition,
  options: Record<string, number>,
  prediction: PredictionSummary | null,
  threshold = 0,
): AcceptPlan {
  let next = { ...options };
  const accepted: string[] = [];
  for (const row of rowsOf(def)) {
    const guess = prediction?.options[row.key];
    if (!guess || next[row.key] !== undefined || !isConfident(guess, threshold)) continue;
    const g = gates(def, next)[row.key];
    if (g === "closed") continue;
    const option = row.options.find((o) => o.code === guess.option);
    if (!option) continue;
    // A gated sub-dimension whose presence question is "yes" cannot be "not present".
    if (row.gatedBy && g === "open" && option.not_present) continue;
    next = choose(def, next, row.key, guess.option);
    if (next[row.key] === guess.option) accepted.push(row.key);
  }
  const left = missing(def, next);
  const uncertain = left.filter((key) => {
    const guess = prediction?.options[key];
    return !!guess && !isConfident(guess, threshold);
  });
  return { options: next, accepted, left, uncertain };
}

/** Fill every unanswered, applicable sub-dimension with the model's option at or above `threshold`. */
export function acceptPredictions(
  def: ChecklistDefinition,
  options: Record<string, number>,
  prediction: PredictionSummary | null,
  threshold = 0,
): Record<string, number> {
  if (!prediction) return options;
  return planAccept(def, options, prediction, threshold).options;
}

/** How the key hint tells what `a` did: "Accepted 12 guesses; 3 left for you (2 uncertain — check)." */
export function acceptSummary(plan: Pick<AcceptPlan, "accepted" | "left" | "uncertain">): string {
  const n = plan.accepted.length;
  const head = n ? `Accepted ${n} guess${n === 1 ? "" : "es"}` : "No guess was confident enough to accept";
  if (!plan.left.length) return `${head}; nothing left to answer: press Enter to submit.`;
  const u = plan.uncertain.length;
  const why = u ? ` (${u} uncertain — check)` : "";
  return `${head}; ${plan.left.length} left for you${why}.`;
}

// --- pairs ---------------------------------------------------------------------------------

export const PREFERENCE_OPTIONS: Option[] = [
  { code: 1, label: "A much better" },
  { code: 2, label: "A better" },
  { code: 3, label: "No preference" },
  { code: 4, label: "B better" },
  { code: 5, label: "B much better" },
];

export const PREFERENCE_ROW = "preference";

export function pairRows(def: ChecklistDefinition, language = "en"): Row[] {
  return [
    {
      key: PREFERENCE_ROW,
      title: "Overall: which is better?",
      description: "3 = no preference",
      dimension: "overall",
      dimensionTitle: "Overall preference",
      options: PREFERENCE_OPTIONS,
      gatedBy: null,
    },
    ...def.dimensions.map((dim) => ({
      key: `dim:${dim.key}`,
      title: localized(dim, "title", language),
      description: "optional",
      dimension: "by-dimension",
      dimensionTitle: "By dimension (optional)",
      options: PREFERENCE_OPTIONS,
      gatedBy: null,
    })),
  ];
}

/** The rows of a task: sub-dimensions for a single asset, preferences for a pair. */
export const rowsFor = (def: ChecklistDefinition, pair: boolean, language = "en"): Row[] =>
  pair ? pairRows(def, language) : rowsOf(def, language);

/** Rows still to answer before a submit (a pair needs only the overall preference). */
export function missingFor(def: ChecklistDefinition, answer: AnswerState, pair: boolean): string[] {
  if (pair) return answer.preference == null ? [PREFERENCE_ROW] : [];
  return missing(def, answer.options);
}

/** The choice shown in a row, for single tasks (options) and pairs (preferences). */
export function valueOf(answer: AnswerState, key: string, pair: boolean): number | undefined {
  if (!pair) return answer.options[key];
  if (key === PREFERENCE_ROW) return answer.preference ?? undefined;
  return answer.dimension_preferences[key.slice(4)];
}

export function withValue(
  def: ChecklistDefinition,
  answer: AnswerState,
  key: string,
  code: number | null,
  pair: boolean,
): AnswerState {
  if (!pair) return { ...answer, options: choose(def, answer.options, key, code) };
  if (key === PREFERENCE_ROW) return { ...answer, preference: code };
  const dims = { ...answer.dimension_preferences };
  if (code === null) delete dims[key.slice(4)];
  else dims[key.slice(4)] = code;
  return { ...answer, dimension_preferences: dims };
}

export const emptyAnswer = (): AnswerState => ({ options: {}, preference: null, dimension_preferences: {}, comment: "" });
