import { useEffect, useRef, useState } from "react";
import { Link } from "react-router-dom";
import { api } from "../../api";
import type { ImportResult, JobDetail } from "../../types";

// One import job followed to its end: its state, a progress bar and message while it runs, then
// how many assets were imported and every entry that failed with its reason; a retry when the job
// itself failed or was cancelled.

const FINISHED = new Set(["succeeded", "failed", "cancelled"]);
const message = (exc: unknown) => (exc instanceof Error ? exc.message : String(exc));

function isResult(value: unknown): value is ImportResult {
  return typeof value === "object" && value !== null && "imported" in value && "failures" in value;
}

interface Props {
  jobId: number;
  projectId: number;
  pollMs?: number;
}

export default function ImportJobProgress({ jobId, projectId, pollMs = 1000 }: Props) {
  const [job, setJob] = useState<JobDetail | null>(null);
  const [error, setError] = useState("");
  const [retrying, setRetrying] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    heading.current?.focus();
  }, [jobId]);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const controller = new AbortController();
    async function poll() {
      try {
        const next = await api.jobDetail(jobId, controller.signal);
        if (stopped) return;
        setJob(next);
        setError("");
        if (!FINISHED.has(next.state)) timer = setTimeout(poll, pollMs);
      } catch (exc) {
        if (stopped || (exc instanceof DOMException && exc.name === "AbortError")) return;
        setError(message(exc));
        timer = setTimeout(poll, pollMs * 3);
      }
    }
    poll();
    return () => {
      stopped = true;
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [jobId, pollMs, retrying]);

  async function retry() {
    try {
      setJob(await api.retryJob(jobId));
      setRetrying((r) => !r);
    } catch (exc) {
      setError(message(exc));
    }
  }

  const result = job && isResult(job.result) ? job.result : null;
  const finished = job ? FINISHED.has(job.state) : false;
  const percent = Math.round((job?.progress ?? 0) * 100);
  return (
    <section aria-labelledby={`import-job-${jobId}`} className="card manage-section import-job">
      <h2 id={`import-job-${jobId}`} ref={heading} tabIndex={-1}>
        Import job #{jobId} {job && <span className={`badge job-${job.state}`}>{job.state}</span>}
      </h2>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {!job && !error && <p role="status">Loading the job…</p>}
      {job && (
        <>
          <label htmlFor={`import-job-${jobId}-progress`}>Progress: {percent}%</label>
          <progress id={`import-job-${jobId}-progress`} max={100} value={percent}>
            {percent}%
          </progress>
          <p role="status">{finished && result ? `Finished: ${result.imported} imported, ${result.failed} failed.` : job.message || "Queued…"}</p>
          {job.state === "failed" && job.error && (
            <p role="alert" className="error">
              The job failed: {job.error}
            </p>
          )}
          {(job.state === "failed" || job.state === "cancelled") && (
            <button type="button" onClick={retry}>
              Retry the import
            </button>
          )}
          {result && result.failures.length > 0 && (
            <div className="table-scroll">
              <table>
                <caption>Entries that failed ({result.failed}), with the reason</caption>
                <thead>
                  <tr>
                    <th scope="col">File, URL or task</th>
                    <th scope="col">Reason</th>
                  </tr>
                </thead>
                <tbody>
                  {result.failures.map((f, i) => (
                    <tr key={i}>
                      <th scope="row" className="break">
                        {f.file}
                      </th>
                      <td>{f.reason}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {result && result.ignored > 0 && (
            <p className="muted">{result.ignored} file(s) sent alongside were not used by any task or row and were ignored.</p>
          )}
          <p>
            <Link to={`/projects/${projectId}/jobs`}>All jobs of this project</Link>
            {finished && (
              <>
                {" · "}
                <Link to={`/projects/${projectId}/manage`}>Project progress</Link>
              </>
            )}
          </p>
        </>
      )}
    </section>
  );
}
