import type { Job, ProjectStats } from "../../types";
import { count, percent, when } from "./format";

// Imports and jobs: the project's jobs with their state and progress, the assets per import, and
// the assets that failed to import with the reason.

function JobState({ state }: { state: Job["state"] }) {
  return <span className={`badge job-${state}`}>{state}</span>;
}

interface Props {
  jobs: Job[] | null;
  jobsError: string;
  /** Once loaded: the assets per import and the failed ones. */
  stats: ProjectStats | null;
}

export default function ImportsSection({ jobs, jobsError, stats }: Props) {
  return (
    <section aria-labelledby="imports-title" className="card manage-section">
      <h2 id="imports-title">Imports and jobs</h2>
      {jobsError && (
        <p role="alert" className="error">
          {jobsError}
        </p>
      )}
      {!jobs && !jobsError && <p role="status">Loading jobs…</p>}
      {jobs && !jobs.length && <p className="muted">No jobs yet.</p>}
      {jobs && jobs.length > 0 && (
        <div className="table-scroll">
          <table>
            <caption className="visually-hidden">Jobs of this project</caption>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Kind</th>
                <th scope="col">State</th>
                <th scope="col" className="num">
                  Progress
                </th>
                <th scope="col">Message</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {jobs.map((j) => (
                <tr key={j.id}>
                  <th scope="row">#{j.id}</th>
                  <td>{j.kind}</td>
                  <td>
                    <JobState state={j.state} />
                  </td>
                  <td className="num">{percent(j.progress)}</td>
                  <td>{j.message || <span className="muted">—</span>}</td>
                  <td>{when(j.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {stats && stats.imports.length > 0 && (
        <>
          <h3>Assets per import</h3>
          <div className="table-scroll">
            <table>
              <caption className="visually-hidden">Assets per import job</caption>
              <thead>
                <tr>
                  <th scope="col">Import</th>
                  <th scope="col" className="num">
                    Assets
                  </th>
                  <th scope="col" className="num">
                    Ready
                  </th>
                  <th scope="col" className="num">
                    Failed
                  </th>
                </tr>
              </thead>
              <tbody>
                {stats.imports.map((imp) => (
                  <tr key={imp.import_job_id ?? "none"}>
                    <th scope="row">{imp.import_job_id == null ? "Without a job" : `Job #${imp.import_job_id}`}</th>
                    <td className="num">{count(imp.assets)}</td>
                    <td className="num">{count(imp.ready)}</td>
                    <td className={imp.failed ? "num error" : "num"}>{count(imp.failed)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {stats && (
        <>
          <h3>Failed assets</h3>
          {stats.failed_assets.length ? (
            <div className="table-scroll">
              <table>
                <caption className="visually-hidden">Assets that failed to import, with the reason</caption>
                <thead>
                  <tr>
                    <th scope="col">File</th>
                    <th scope="col">Reason</th>
                  </tr>
                </thead>
                <tbody>
                  {stats.failed_assets.map((a) => (
                    <tr key={a.id}>
                      <th scope="row">{a.original_name || `Asset ${a.id}`}</th>
                      <td>{a.failure_reason || <span className="muted">no reason given</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p className="muted">No failed assets.</p>
          )}
        </>
      )}
    </section>
  );
}
