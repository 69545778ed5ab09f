import type { JobSummary } from "../../types";
import { when } from "../weights/format";
import { duration, isUnfinished, kindLabel, percentOf } from "./format";

// The project's jobs, newest first: kind, state (with a live progress bar while queued or
// running), message, who started it, when, how long it took. A row selects the job.

export function JobStateBadge({ state }: { state: string }) {
  return <span className={`badge job-${state}`}>{state}</span>;
}

export function JobProgress({ job, label }: { job: Pick<JobSummary, "id" | "state" | "progress" | "message">; label?: string }) {
  const pct = percentOf(job.progress);
  return (
    <div
      className="bar job-bar"
      role="progressbar"
      aria-label={label ?? `Progress of job #${job.id}`}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct}
      aria-valuetext={`${pct}%, ${job.state}`}
    >
      <span style={{ width: `${pct}%` }} />
    </div>
  );
}

interface Props {
  jobs: JobSummary[];
  selectedId: number | null;
  onSelect: (job: JobSummary) => void;
}

export default function JobTable({ jobs, selectedId, onSelect }: Props) {
  return (
    <div className="table-scroll">
      <table className="job-table">
        <caption className="visually-hidden">Jobs of this project, newest first. Select a job to see its details.</caption>
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col">Kind</th>
            <th scope="col">State</th>
            <th scope="col">Message</th>
            <th scope="col">Started by</th>
            <th scope="col">Created</th>
            <th scope="col" className="num">
              Duration
            </th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((j) => {
            const selected = j.id === selectedId;
            return (
              <tr key={j.id} data-job={j.id} className={`clickable${selected ? " selected" : ""}`} onClick={() => onSelect(j)}>
                <th scope="row">
                  <button
                    type="button"
                    className="link"
                    aria-pressed={selected}
                    onClick={(e) => {
                      e.stopPropagation();
                      onSelect(j);
                    }}
                  >
                    #{j.id}
                  </button>
                </th>
                <td>{kindLabel(j.kind)}</td>
                <td className="state-cell">
                  <JobStateBadge state={j.state} />
                  {isUnfinished(j) && (
                    <>
                      <JobProgress job={j} />
                      <span className="muted state-note">{percentOf(j.progress)}%</span>
                    </>
                  )}
                  {j.cancel_requested && isUnfinished(j) && <span className="muted state-note">cancel requested</span>}
                  {j.attempts > 1 && (
                    <span className="muted state-note">
                      attempt {j.attempts} of {j.max_attempts}
                    </span>
                  )}
                </td>
                <td className="message-cell">{j.message || <span className="muted">—</span>}</td>
                <td>{j.created_by ?? <span className="muted">system</span>}</td>
                <td>{when(j.created_at)}</td>
                <td className="num">{duration(j.duration_seconds)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
