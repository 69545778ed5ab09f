// Pure helpers of the review screen: the rows of the comparison table, the value of each
// annotator in a row, which cells differ, and the majority answer a correction starts from.
import { emptyAnswer, normalize, pairRows, rowsOf, valueOf, withValue, type Row } from "../../checklist";
import type { Annotation, AnswerState, ChecklistDefinition, GoldAnswer, Option } from "../../types";

export function answerOf(source: Annotation | GoldAnswer): AnswerState {
  return {
    options: source.options ?? {},
    preference: source.preference ?? null,
    dimension_preferences: source.dimension_preferences ?? {},
    comment: source.comment ?? "",
  };
}

/** Is this row listed in the item's disagreements? Pairs may name "preference", "dim:x" or "x". */
export function rowDisagrees(disagreements: string[], row: Row, pair: boolean): boolean {
  if (disagreements.includes(row.key)) return true;
  return pair && row.key.startsWith("dim:") && disagreements.includes(row.key.slice(4));
}

/**
 * The most frequent value among `values` (undefined ones skipped); ties go to the value that
 * appears first, i.e. to the earliest annotator among the tied ones.
 */
export function majority(values: (number | undefined)[]): number | undefined {
  const counts = new Map<number, number>();
  for (const v of values) if (v !== undefined) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: number | undefined;
  let bestCount = 0;
  for (const v of values) {
    if (v === undefined) continue;
    const c = counts.get(v)!;
    if (c > bestCount) {
      best = v;
      bestCount = c;
    }
  }
  return best;
}

/** Which annotator cells of a disagreeing row differ: those off a strict majority, else all. */
export function differingCells(values: (number | undefined)[]): boolean[] {
  const counts = new Map<number | undefined, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const top = Math.max(0, ...counts.values());
  const modes = [...counts.entries()].filter(([, c]) => c === top);
  if (modes.length === 1 && top > 1) return values.map((v) => v !== modes[0][0]);
  return values.map(() => true);
}

/** The answer a correction starts from: per row the annotators' majority (ties: first annotator). */
export function majorityAnswer(def: ChecklistDefinition, annotations: Annotation[], pair: boolean): AnswerState {
  const answers = annotations.map(answerOf);
  let out = emptyAnswer();
  if (pair) {
    for (const row of pairRows(def)) {
      const v = majority(answers.map((a) => valueOf(a, row.key, true)));
      if (v !== undefined) out = withValue(def, out, row.key, v, true);
    }
    return out;
  }
  // A gated sub-dimension keeps its majority only while the majority presence opens its gate.
  const raw: Record<string, number> = {};
  for (const row of rowsOf(def)) {
    const v = majority(answers.map((a) => a.options[row.key]));
    if (v !== undefined) raw[row.key] = v;
  }
  return { ...out, options: normalize(def, raw) };
}

export function optionText(options: Option[], code: number | undefined): string {
  if (code === undefined) return "—";
  const option = options.find((o) => o.code === code);
  return option ? `${option.label} (${code})` : `unknown option (${code})`;
}
