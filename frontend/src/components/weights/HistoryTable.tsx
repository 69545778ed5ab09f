import type { WeightSet } from "../../types";
import { count, percent1, when } from "./format";

// Every weight set of the project, newest first, with what it was fitted on, how it did and why
// it was or was not promoted. A row (or its version button) selects the set to look at.

export const canPromote = (s: WeightSet) => s.status === "candidate" || s.status === "retired";
export const canRetire = (s: WeightSet) => s.status === "active" || s.status === "candidate";

export function StatusBadge({ status }: { status: WeightSet["status"] }) {
  return <span className={`badge status-${status}`}>{status}</span>;
}

interface Props {
  sets: WeightSet[];
  selectedId: number | null;
  onSelect: (set: WeightSet) => void;
  onPromote: (set: WeightSet) => void;
  onRetire: (set: WeightSet) => void;
  busy: boolean;
}

export default function HistoryTable({ sets, selectedId, onSelect, onPromote, onRetire, busy }: Props) {
  if (!sets.length) return <p className="muted">No weight sets yet.</p>;
  return (
    <div className="table-scroll">
      <table className="history-table">
        <caption className="visually-hidden">Weight sets of this project, newest first. Select a version to see its weights.</caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Label</th>
            <th scope="col">Source</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
            <th scope="col" className="num">
              Pairs
            </th>
            <th scope="col" className="num">
              Held-out diff / τ
            </th>
            <th scope="col" className="num">
              Compared with
            </th>
            <th scope="col">Decision</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {sets.map((s) => {
            const selected = s.id === selectedId;
            const test = s.metrics?.test;
            const cmp = s.metrics?.compared_with;
            const pairs = s.data_counts?.pairs;
            return (
              <tr
                key={s.id}
                data-version={s.version}
                className={`clickable${selected ? " selected" : ""}`}
                onClick={() => onSelect(s)}
              >
                <th scope="row">
                  <button
                    type="button"
                    className="link"
                    aria-pressed={selected}
                    onClick={(e) => {
                      e.stopPropagation();
                      onSelect(s);
                    }}
                  >
                    Version {s.version}
                  </button>
                </th>
                <td>{s.label || <span className="muted">—</span>}</td>
                <td>{s.source}</td>
                <td>
                  <StatusBadge status={s.status} />
                </td>
                <td>
                  {when(s.created_at)}
                  {s.created_by && <span className="muted"> by {s.created_by}</span>}
                </td>
                <td className="num">
                  {count(pairs)}
                  {s.data_counts?.test_pairs != null && <span className="muted"> ({count(s.data_counts.test_pairs)} held out)</span>}
                </td>
                <td className="num" data-testid="held-out">
                  {test ? `${percent1(test.accuracy_diff)} / ${percent1(test.accuracy_tau)}` : "—"}
                </td>
                <td className="num">{cmp ? `v${cmp.version}: ${percent1(cmp.accuracy_diff)}` : "—"}</td>
                <td className="decision-cell">{s.decision || <span className="muted">—</span>}</td>
                <td className="row-actions" onClick={(e) => e.stopPropagation()}>
                  {canPromote(s) && (
                    <button type="button" disabled={busy} onClick={() => onPromote(s)}>
                      Promote <span className="visually-hidden">version {s.version}</span>
                    </button>
                  )}
                  {canRetire(s) && (
                    <button type="button" className="danger" disabled={busy} onClick={() => onRetire(s)}>
                      Retire <span className="visually-hidden">version {s.version}</span>
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
