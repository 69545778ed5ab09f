import { gates, valueOf, type Row } from "../../checklist";
import type { AnswerState, ChecklistDefinition, ReviewItem } from "../../types";
import { rowsFor } from "../../checklist";
import { answerOf, differingCells, optionText, rowDisagrees } from "./answers";

// The annotators of one task side by side: one row per sub-dimension (grouped by dimension) or,
// for a pair, the overall preference and the per-dimension preferences; one column per
// annotator and a gold column that turns into selects while correcting.

interface Props {
  def: ChecklistDefinition;
  item: ReviewItem;
  /** The correction being edited; null when not correcting. */
  draft: AnswerState | null;
  onDraftChange: (key: string, code: number | null) => void;
  onAccept: (annotationId: number) => void;
  busy: boolean;
}

function groups(rows: Row[]): { key: string; title: string; rows: Row[] }[] {
  const out: { key: string; title: string; rows: Row[] }[] = [];
  for (const row of rows) {
    const last = out[out.length - 1];
    if (last && last.key === row.dimension) last.rows.push(row);
    else out.push({ key: row.dimension, title: row.dimensionTitle, rows: [row] });
  }
  return out;
}

const seconds = (ms: number | null | undefined) => (ms == null ? "—" : `${(ms / 1000).toFixed(1)} s`);

export default function ComparisonTable({ def, item, draft, onDraftChange, onAccept, busy }: Props) {
  const pair = item.task.kind === "pair";
  const rows = rowsFor(def, pair);
  const answers = item.annotations.map(answerOf);
  const gold = item.gold ? answerOf(item.gold) : null;
  const gateOf = draft && !pair ? gates(def, draft.options) : {};
  const columns = item.annotations.length + 2;

  return (
    <div className="table-scroll">
      <table className="compare">
        <caption className="visually-hidden">
          Answers of {item.annotations.length} annotator{item.annotations.length === 1 ? "" : "s"} for task {item.task.id}
          {draft ? ", with your correction in the last column" : ""}
        </caption>
        <thead>
          <tr>
            <th scope="col">{pair ? "Preference" : "Sub-dimension"}</th>
            {item.annotations.map((a, i) => (
              <th scope="col" key={a.id}>
                {i < 9 && (
                  <span className="col-index" aria-hidden="true">
                    {i + 1}.
                  </span>
                )}{" "}
                {a.username}{" "}
                {item.gold?.source === "accepted" && item.gold.source_annotation === a.id && (
                  <span className="badge gold-badge">gold</span>
                )}
              </th>
            ))}
            <th scope="col" className="gold-col">
              Gold / correction
            </th>
          </tr>
        </thead>
        {groups(rows).map((group) => (
          <tbody key={group.key}>
            <tr className="group-row">
              <th scope="colgroup" colSpan={columns}>
                {group.title}
              </th>
            </tr>
            {group.rows.map((row) => {
              const values = answers.map((a) => valueOf(a, row.key, pair));
              const disagree = rowDisagrees(item.disagreements, row, pair);
              const differs = disagree ? differingCells(values) : values.map(() => false);
              const gate = gateOf[row.key] ?? "open";
              const draftValue = draft ? valueOf(draft, row.key, pair) : undefined;
              return (
                <tr key={row.key} className={disagree ? "disagree" : undefined} data-row={row.key}>
                  <th scope="row">
                    {disagree && (
                      <span className="ne-marker" title="The annotators disagree">
                        <span aria-hidden="true">≠</span>
                        <span className="visually-hidden">Disagreement: </span>
                      </span>
                    )}
                    {row.title}
                  </th>
                  {values.map((v, i) => (
                    <td key={item.annotations[i].id} className={differs[i] ? "cell-disagree" : undefined}>
                      {v === undefined && !pair ? <span className="muted">— n/a</span> : optionText(row.options, v)}
                    </td>
                  ))}
                  <td className="gold-col">
                    {draft ? (
                      <select
                        aria-label={row.title}
                        value={draftValue ?? ""}
                        disabled={busy || gate !== "open"}
                        onChange={(e) => onDraftChange(row.key, e.target.value === "" ? null : Number(e.target.value))}
                      >
                        <option value="">
                          {gate === "closed" ? "not applicable" : gate === "unknown" ? "answer the presence first" : "—"}
                        </option>
                        {row.options.map((o) => (
                          <option key={o.code} value={o.code}>
                            {o.label} ({o.code})
                          </option>
                        ))}
                      </select>
                    ) : gold ? (
                      optionText(row.options, valueOf(gold, row.key, pair))
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        ))}
        <tfoot>
          <tr>
            <th scope="row">Time spent</th>
            {item.annotations.map((a) => (
              <td key={a.id} className="num">
                {seconds(a.time_spent_ms)}
              </td>
            ))}
            <td className="gold-col" />
          </tr>
          <tr>
            <th scope="row">Comment</th>
            {item.annotations.map((a) => (
              <td key={a.id} className="comment-cell">
                {a.comment || <span className="muted">—</span>}
              </td>
            ))}
            <td className="gold-col comment-cell">{!draft && gold?.comment ? gold.comment : <span className="muted">—</span>}</td>
          </tr>
          <tr>
            <th scope="row">Accept</th>
            {item.annotations.map((a, i) => (
              <td key={a.id}>
                <button
                  type="button"
                  onClick={() => onAccept(a.id)}
                  disabled={busy}
                  aria-keyshortcuts={i < 9 ? String(i + 1) : undefined}
                >
                  Accept {a.username}
                </button>{" "}
                {i < 9 && <kbd aria-hidden="true">{i + 1}</kbd>}
              </td>
            ))}
            <td className="gold-col" />
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
