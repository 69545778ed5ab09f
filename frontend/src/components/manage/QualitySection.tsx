import { useMemo } from "react";
import BarChart from "../BarChart";
import type { AnnotatorQuality, QualityStats } from "../../types";
import { count, percent } from "./format";

// Annotator quality: accuracy on the gold checks (single tasks), agreement with the gold
// preference of pair gold checks, and agreement with peers, per annotator.

/** The sub-dimension an annotator chose the expected option least often on (first in checklist order on a tie). */
function weakestSubDimension(row: AnnotatorQuality) {
  let weakest: AnnotatorQuality["gold_sub_dimensions"][number] | null = null;
  for (const sub of row.gold_sub_dimensions) {
    if (sub.accuracy == null) continue;
    if (!weakest || sub.accuracy < (weakest.accuracy ?? 1)) weakest = sub;
  }
  return weakest;
}

/** Order: least accurate on gold first, then least agreeing with pair gold, then with peers;
 * annotators without figures last. */
function byQuality(a: AnnotatorQuality, b: AnnotatorQuality): number {
  for (const key of ["gold_accuracy", "pair_gold_agreement", "peer_agreement"] as const) {
    const va = a[key] ?? null;
    const vb = b[key] ?? null;
    if (va == null || vb == null) {
      if (va == null && vb == null) continue;
      return va == null ? 1 : -1;
    }
    if (va !== vb) return va - vb;
  }
  return a.username.localeCompare(b.username);
}

/** Each annotator's accuracy on the gold checks and agreement with peers, least accurate first, with charts. */
export default function QualitySection({ quality }: { quality: QualityStats }) {
  const rows = useMemo(() => [...quality.annotators].sort(byQuality), [quality]);
  const pct = (v: number | null | undefined) => Math.round((v ?? 0) * 100);
  const pairGold = quality.pair_gold_checks ?? 0;
  const routing =
    quality.disagreement_threshold == null
      ? "Routing disagreements is off."
      : `Tasks whose annotations disagree on more than ${percent(quality.disagreement_threshold)} of the compared ` +
        `answers get up to ${quality.max_extra_annotators} more annotator${quality.max_extra_annotators === 1 ? "" : "s"}` +
        ` (${count(quality.routed_tasks)} so far).`;
  return (
    <section aria-labelledby="quality-title" className="card manage-section">
      <h2 id="quality-title">Annotator quality</h2>
      <p className="muted" data-testid="quality-summary">
        {count(quality.gold_checks)} gold check{quality.gold_checks === 1 ? "" : "s"} (tasks with known answers)
        and {count(pairGold)} pair gold check{pairGold === 1 ? "" : "s"} (pairs with a gold preference), served
        unseen in {percent(quality.gold_check_rate)} of the claims. {routing}
      </p>
      {rows.length ? (
        <>
          {/* Focusable, so that keyboard users can scroll the wide table sideways. */}
          <div className="table-scroll" tabIndex={0} role="region" aria-label="Quality figures per annotator">
            <table className="quality-table">
              <caption className="visually-hidden">
                Annotator quality: accuracy on gold checks and agreement with peers (and with the gold preference
                of pair gold checks), least accurate first
              </caption>
              <thead>
                <tr>
                  <th scope="col">Annotator</th>
                  <th scope="col" className="num">
                    Gold checks
                  </th>
                  <th scope="col" className="num">
                    Answer accuracy
                  </th>
                  <th scope="col" className="num">
                    Option accuracy
                  </th>
                  <th scope="col">Weakest sub-dimension</th>
                  <th scope="col" className="num">
                    Pair gold checks
                  </th>
                  <th scope="col" className="num">
                    Pair gold agreement
                  </th>
                  <th scope="col" className="num">
                    Agreement with peers
                  </th>
                  <th scope="col" className="num">
                    Compared answers
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((a) => {
                  const weakest = weakestSubDimension(a);
                  return (
                    <tr key={a.username} data-annotator={a.username}>
                      <th scope="row">{a.username}</th>
                      <td className="num">{count(a.gold_checks)}</td>
                      <td className="num" title={`${count(a.gold_answers)} answers compared`}>
                        {percent(a.gold_accuracy)}
                      </td>
                      <td className="num" title={`${count(a.gold_options)} options compared`}>
                        {percent(a.gold_option_accuracy)}
                      </td>
                      <td>{weakest ? `${weakest.title} ${percent(weakest.accuracy)} (${count(weakest.n)})` : "—"}</td>
                      <td className="num">{count(a.pair_gold_checks ?? 0)}</td>
                      <td
                        className="num"
                        data-testid="pair-gold-agreement"
                        title={
                          `${count(a.pair_gold_preferences ?? 0)} preferences compared` +
                          (a.pair_gold_dimensions
                            ? `; per dimension ${percent(a.pair_gold_dimension_agreement ?? null)} of ${count(a.pair_gold_dimensions)}`
                            : "")
                        }
                      >
                        {percent(a.pair_gold_agreement ?? null)}
                      </td>
                      <td className="num">{percent(a.peer_agreement)}</td>
                      <td className="num">{count(a.peer_answers)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <h3>Accuracy on gold checks</h3>
          <BarChart
            title="Answer accuracy on gold checks per annotator"
            data={rows.filter((a) => a.gold_accuracy != null).map((a) => ({ label: a.username, value: pct(a.gold_accuracy) }))}
            max={100}
            format={(v) => `${Math.round(v)}%`}
            xLabel="Annotator"
            yLabel="% as expected"
          />
          {rows.some((a) => a.pair_gold_agreement != null) && (
            <>
              <h3>Agreement with pair gold preferences</h3>
              <BarChart
                title="Agreement with the gold preference of pair gold checks per annotator"
                data={rows
                  .filter((a) => a.pair_gold_agreement != null)
                  .map((a) => ({ label: a.username, value: pct(a.pair_gold_agreement) }))}
                max={100}
                format={(v) => `${Math.round(v)}%`}
                xLabel="Annotator"
                yLabel="% on the gold side"
              />
            </>
          )}
          <h3>Agreement with peers</h3>
          <BarChart
            title="Agreement with peers per annotator"
            data={rows.filter((a) => a.peer_agreement != null).map((a) => ({ label: a.username, value: pct(a.peer_agreement) }))}
            max={100}
            format={(v) => `${Math.round(v)}%`}
            xLabel="Annotator"
            yLabel="% same answer"
          />
        </>
      ) : (
        <p className="muted">No annotator has submitted yet.</p>
      )}
    </section>
  );
}
