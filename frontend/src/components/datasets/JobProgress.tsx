import type { Job } from "../../types";

/** A job's progress bar; `name` labels it (default: "Export of <label>"). */
export default function JobProgress({ job, label, name }: { job: Job; label: string; name?: string }) {
  const pct = Math.round(Math.min(1, Math.max(0, job.progress ?? 0)) * 100);
  return (
    <div className="export-job" data-testid="export-job">
      <div
        className="bar"
        role="progressbar"
        aria-label={name ?? `Export of ${label}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
        aria-valuetext={`${pct}%${job.message ? `: ${job.message}` : ""}`}
      >
        <span style={{ width: `${pct}%` }} />
      </div>
      <span className="muted state-note">
        Job #{job.id} {job.state}, {pct}%{job.message ? `: ${job.message}` : ""}
      </span>
    </div>
  );
}
