import type { DatasetVersion, Job } from "../../types";
import { count, when } from "../weights/format";
import ArchiveLinks, { type ArchiveActions } from "./ArchiveLinks";
import { configTotals, rowsOf, shortHash } from "./format";
import JobProgress from "./JobProgress";

// The dataset versions, newest first: state (with the export's progress while it builds, the
// reason when it failed, the version it repeats when a duplicate), projects, rows per config,
// content hash, the archives (prepared by a job, then downloaded) and a choice of version to compare with.

export function StateBadge({ state }: { state: DatasetVersion["state"] }) {
  return <span className={`badge state-${state}`}>{state}</span>;
}

export const isBuilding = (v: DatasetVersion) => v.state === "queued" || v.state === "building";

export interface Comparison {
  /** Version A (older): `against`. */
  from: number;
  /** Version B. */
  to: number;
}

interface Props {
  versions: DatasetVersion[];
  /** Project id → name (of the projects the user can see). */
  projectName: (id: number) => string;
  /** A version's label by id (for "same content as …"). */
  labelOf: (id: number) => string;
  jobs: Record<number, Job>;
  jobErrors: Record<number, string>;
  selectedId: number | null;
  onSelect: (version: DatasetVersion) => void;
  /** The ready versions one may compare with. */
  comparable: DatasetVersion[];
  comparison: Comparison | null;
  onCompare: (version: DatasetVersion, otherId: number) => void;
  /** Preparing the archives (the jobs come from `jobs`). */
  archives: ArchiveActions;
}

export default function VersionTable({
  versions,
  projectName,
  labelOf,
  jobs,
  jobErrors,
  selectedId,
  onSelect,
  comparable,
  comparison,
  onCompare,
  archives,
}: Props) {
  return (
    <div className="table-scroll">
      <table className="version-table">
        <caption className="visually-hidden">
          Dataset versions, newest first. Select a version for its settings, statistics and files.
        </caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">State</th>
            <th scope="col">Projects</th>
            <th scope="col">Created</th>
            <th scope="col" className="num">
              Rows
            </th>
            <th scope="col">Hash</th>
            <th scope="col">Download</th>
            <th scope="col">Compare</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => {
            const selected = v.id === selectedId;
            const job = v.job != null ? jobs[v.job] : undefined;
            const jobError = v.job != null ? jobErrors[v.job] : undefined;
            const configs = configTotals(v);
            const others = comparable.filter((o) => o.id !== v.id);
            const comparedWith =
              comparison?.to === v.id ? comparison.from : comparison?.from === v.id ? comparison.to : null;
            return (
              <tr key={v.id} data-version={v.id} className={selected ? "selected" : undefined}>
                <th scope="row">
                  <button type="button" className="link" aria-pressed={selected} onClick={() => onSelect(v)}>
                    {v.label}
                  </button>
                </th>
                <td className="state-cell" data-testid="state">
                  <StateBadge state={v.state} />
                  {isBuilding(v) && job && <JobProgress job={job} label={v.label} />}
                  {isBuilding(v) && jobError && <span className="error state-note">{jobError}</span>}
                  {v.state === "duplicate" && (
                    <span className="muted state-note">
                      same content as {v.duplicate_of != null ? labelOf(v.duplicate_of) : "another version"}
                    </span>
                  )}
                  {v.state === "failed" && (
                    <span className="error state-note">{v.error || job?.error || job?.message || "No reason was given."}</span>
                  )}
                </td>
                <td>{v.projects.map(projectName).join(", ") || <span className="muted">—</span>}</td>
                <td>
                  {when(v.created_at)}
                  {v.created_by && <span className="muted"> by {v.created_by}</span>}
                </td>
                <td className="num" data-testid="rows">
                  {v.settings?.kind === "dominance_pairs" && v.state === "ready" && !configs.length ? (
                    <>
                      <strong>0</strong>
                      <span className="muted"> dominance pairs</span>
                    </>
                  ) : configs.length ? (
                    <>
                      <strong>{count(rowsOf(v.row_counts.default))}</strong>
                      {v.settings?.kind === "dominance_pairs" && <span className="muted"> dominance pairs</span>}
                      <ul className="config-rows">
                        {configs
                          .filter(([name]) => name !== "default")
                          .map(([name, rows]) => (
                            <li key={name}>
                              {name} {count(rows)}
                            </li>
                          ))}
                      </ul>
                    </>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td>
                  {v.content_hash ? (
                    <code title={v.content_hash} data-testid="hash">
                      {shortHash(v.content_hash)}
                    </code>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td className="downloads">
                  {v.download ? (
                    <ArchiveLinks version={v} jobs={jobs} jobErrors={jobErrors} {...archives} />
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td>
                  {v.state === "ready" && others.length > 0 && (v.settings?.kind ?? "annotations") === "annotations" ? (
                    <select
                      aria-label={`Compare ${v.label} with`}
                      value={comparedWith == null ? "" : String(comparedWith)}
                      onChange={(e) => e.target.value && onCompare(v, Number(e.target.value))}
                    >
                      <option value="">Compare with…</option>
                      {others.map((o) => (
                        <option key={o.id} value={String(o.id)}>
                          {o.label}
                        </option>
                      ))}
                    </select>
                  ) : (
                    <span className="muted">—</span>
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
