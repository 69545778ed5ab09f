import type { ReactNode } from "react";
import type { PairMetrics, WeightSet } from "../../types";
import WeightChart, { type ChartQuestion } from "./WeightChart";
import { count, humanize, percent1, settingValue, weight } from "./format";

// A weight set shown three ways: headline metrics, its settings and counts, and its weights per
// dimension (optionally next to another set's, e.g. the active one).

export const setName = (set: Pick<WeightSet, "version" | "label">) => `Version ${set.version}${set.label ? ` (${set.label})` : ""}`;

function pairsNote(m: PairMetrics | undefined) {
  if (!m || m.pairs == null) return null;
  return (
    <>
      on {count(m.pairs)} pair{m.pairs === 1 ? "" : "s"}
      {m.ties ? `, ${count(m.ties)} tied` : ""}
    </>
  );
}

/** Held-out accuracy (diff and τ), training accuracy and the comparison with the set active at fit time. */
export function MetricCards({ set, level = 3 }: { set: WeightSet; level?: 3 | 4 }) {
  const H = level === 3 ? "h3" : "h4";
  const { test, train, compared_with: cmp } = set.metrics ?? {};
  if (!test && !train && !cmp) {
    return <p className="muted">No accuracy figures for this set ({set.source === "fitted" ? "not measured" : `${set.source} weights`}).</p>;
  }
  return (
    <div className="stat-cards">
      {test && (
        <>
          <div className="card stat-card">
            <H>Held-out accuracy (diff)</H>
            <p className="stat-value" data-testid="accuracy-diff">
              {percent1(test.accuracy_diff)}
            </p>
            <p className="muted">Pairs without ties whose score order matches people&apos;s {pairsNote(test)}</p>
          </div>
          <div className="card stat-card">
            <H>Held-out accuracy (τ)</H>
            <p className="stat-value" data-testid="accuracy-tau">
              {percent1(test.accuracy_tau)}
            </p>
            <p className="muted">
              Counting ties{test.tie_threshold != null ? ` (|difference| ≤ ${test.tie_threshold})` : ""} {pairsNote(test)}
            </p>
          </div>
        </>
      )}
      {train && (
        <div className="card stat-card">
          <H>Training accuracy (diff)</H>
          <p className="stat-value">{percent1(train.accuracy_diff)}</p>
          <p className="muted">
            τ {percent1(train.accuracy_tau)} {pairsNote(train)}
          </p>
        </div>
      )}
      {cmp && (
        <div className="card stat-card">
          <H>Version {cmp.version} on the same pairs</H>
          <p className="stat-value" data-testid="compared-diff">
            {percent1(cmp.accuracy_diff)}
          </p>
          <p className="muted">Held-out accuracy (diff) of the set active at fit time; τ {percent1(cmp.accuracy_tau)}</p>
        </div>
      )}
    </div>
  );
}

function Entries({ label, entries, level }: { label: string; entries: [string, ReactNode][]; level: 3 | 4 }) {
  if (!entries.length) return null;
  const H = level === 3 ? "h3" : "h4";
  return (
    <div className="weight-facts">
      <H>{label}</H>
      <dl>
        {entries.map(([k, v]) => (
          <div key={k}>
            <dt>{humanize(k)}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

/** The set's form (encoding, intercept, extra features), its fit settings and data counts. */
export function WeightSetFacts({ set, level = 3 }: { set: WeightSet; level?: 3 | 4 }) {
  const titles = new Map(set.dimensions.map((d) => [d.key, d.title]));
  return (
    <div className="weight-facts-row">
      <Entries
        level={level}
        label="Scoring"
        entries={[
          ["source", set.source],
          ["encoding", set.encoding],
          ["normalization", set.normalization],
          ["intercept", weight(set.intercept)],
          ...Object.entries(set.extra ?? {}).map(([name, w]): [string, ReactNode] => [`${name} weight`, weight(w)]),
        ]}
      />
      <Entries level={level} label="Fit settings" entries={Object.entries(set.fit_settings ?? {}).map(([k, v]) => [k, settingValue(v)])} />
      <Entries level={level} label="Data" entries={Object.entries(set.data_counts ?? {}).map(([k, v]) => [k, count(v)])} />
      <Entries
        level={level}
        label="Held-out accuracy per dimension"
        entries={Object.entries(set.metrics?.dimension_accuracy ?? {}).map(([k, v]) => [titles.get(k) ?? k, percent1(v)])}
      />
    </div>
  );
}

interface MergedDimension {
  key: string;
  title: string;
  questions: ChartQuestion[];
}

/** The dimensions and questions of both sets, in the first set's order. */
function mergeDimensions(sets: WeightSet[]): MergedDimension[] {
  const out: MergedDimension[] = [];
  const byKey = new Map<string, { dim: MergedDimension; seen: Set<string> }>();
  for (const set of sets) {
    for (const d of set.dimensions ?? []) {
      let entry = byKey.get(d.key);
      if (!entry) {
        entry = { dim: { key: d.key, title: d.title, questions: [] }, seen: new Set() };
        byKey.set(d.key, entry);
        out.push(entry.dim);
      }
      for (const q of d.questions) {
        if (entry.seen.has(q.key)) continue;
        entry.seen.add(q.key);
        entry.dim.questions.push({ key: q.key, text: q.text, sub_dimension: q.sub_dimension });
      }
    }
  }
  return out;
}

const weightsOf = (set: WeightSet) => {
  const out: Record<string, number> = {};
  for (const d of set.dimensions ?? []) for (const q of d.questions) out[q.key] = q.weight;
  return out;
};

/**
 * One chart per dimension of `set`'s weights; with `base` (e.g. the active set), each question
 * has base's bar and set's bar, and the table a change column (set − base).
 */
export function WeightCharts({ set, base, headingLevel = 3 }: { set: WeightSet; base?: WeightSet | null; headingLevel?: 3 | 4 }) {
  const sets = base && base.id !== set.id ? [base, set] : [set];
  const series = sets.map((s) => ({
    name: `${setName(s)}${s.status === "active" ? ", active" : ""}`,
    weights: weightsOf(s),
  }));
  const all = series.flatMap((s) => Object.values(s.weights)).filter((v) => Number.isFinite(v));
  const domain: [number, number] = [Math.min(0, ...all), Math.max(0, ...all)];
  const own = new Map((set.dimensions ?? []).map((d) => [d.key, d]));
  const Heading = headingLevel === 3 ? "h3" : "h4";
  const dims = mergeDimensions(sets);
  if (!dims.length) return <p className="muted">This set has no question weights.</p>;
  return (
    <div className="weight-charts">
      {dims.map((d) => {
        const mine = own.get(d.key);
        return (
          <div key={d.key} className="weight-dimension">
            <Heading>
              {d.title}
              {mine && (
                <span className="muted dimension-note">
                  {" "}
                  total weight {weight(mine.total_weight)}
                  {mine.contribution != null && `, ${percent1(mine.contribution)} of the score`}
                </span>
              )}
            </Heading>
            <WeightChart
              title={sets.length > 1 ? `${d.title} weights, ${series[1].name} against ${series[0].name}` : `${d.title} weights, ${series[0].name}`}
              questions={d.questions}
              series={series}
              domain={domain}
            />
          </div>
        );
      })}
    </div>
  );
}
