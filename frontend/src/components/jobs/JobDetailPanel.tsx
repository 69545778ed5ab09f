import { useLayoutEffect, useRef, type Ref } from "react";
import { Link } from "react-router-dom";
import type { JobDetail } from "../../types";
import { humanize, when } from "../weights/format";
import { canCancel, canRetry, duration, isUnfinished, kindLabel, percentOf } from "./format";
import { JobProgress, JobStateBadge } from "./JobTable";
import ResultView from "./ResultView";

// One job: its facts, what it was asked (params), what it produced (result, links), why it failed
// (error) and the tail of its log, which the page refreshes while the job runs; Cancel / Retry.

/** Where in this app a linked API resource is shown, if anywhere. */
function appRoute(name: string, url: string): { to: string; label: string } | null {
  if (/\/api\/dataset-versions\/\d+\//.test(url) || /dataset/i.test(name)) return { to: "/datasets", label: "Datasets" };
  const sets = url.match(/\/api\/projects\/(\d+)\/weight-sets\//);
  if (sets) return { to: `/projects/${sets[1]}/weights`, label: "Weights" };
  return null;
}

function Log({ text, running }: { text: string; running: boolean }) {
  const ref = useRef<HTMLPreElement>(null);
  const atEnd = useRef(true);
  // Keep following the end of the log while the reader has not scrolled up.
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && atEnd.current) el.scrollTop = el.scrollHeight;
  }, [text]);
  return (
    <pre
      ref={ref}
      className="job-log"
      tabIndex={0}
      role="region"
      aria-label={running ? "Log tail, refreshed while the job runs" : "Log tail"}
      data-testid="job-log"
      onScroll={(e) => {
        const el = e.currentTarget;
        atEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight < 8;
      }}
    >
      {text}
    </pre>
  );
}

interface Props {
  job: JobDetail;
  busy: boolean;
  onCancel: () => void;
  onRetry: () => void;
  headingRef?: Ref<HTMLHeadingElement>;
}

export default function JobDetailPanel({ job, busy, onCancel, onRetry, headingRef }: Props) {
  const running = isUnfinished(job);
  const links = Object.entries(job.links ?? {});
  const facts: [string, string][] = [
    ["Kind", kindLabel(job.kind)],
    ["Started by", job.created_by ?? "system"],
    ["Queue", job.queue || "—"],
    ["Attempts", `${job.attempts ?? 0} of ${job.max_attempts ?? "—"}`],
    ["Created", when(job.created_at)],
    ["Dispatched", when(job.dispatched_at)],
    ["Started", when(job.started_at)],
    ["Last heartbeat", when(job.heartbeat_at)],
    ["Finished", when(job.finished_at)],
    ["Duration", duration(job.duration_seconds)],
  ];
  if (job.celery_task_id) facts.push(["Task id", job.celery_task_id]);

  return (
    <section className="job-detail" aria-labelledby="job-detail-title" data-testid="job-detail">
      <div className="page-head">
        <h2 id="job-detail-title" ref={headingRef} tabIndex={-1}>
          Job #{job.id}: {kindLabel(job.kind)}
        </h2>
        <JobStateBadge state={job.state} />
        {canCancel(job) && (
          <button type="button" className="danger" onClick={onCancel} disabled={busy || job.cancel_requested}>
            {job.cancel_requested ? "Cancel requested" : `Cancel job #${job.id}`}
          </button>
        )}
        {canRetry(job) && (
          <button type="button" onClick={onRetry} disabled={busy}>
            Retry job #{job.id}
          </button>
        )}
      </div>
      {running && (
        <div className="job-live">
          <JobProgress job={job} label={`Progress of job #${job.id}`} />
          <p className="muted">
            {job.state}, {percentOf(job.progress)}%{job.message ? `: ${job.message}` : ""}
          </p>
        </div>
      )}
      {!running && job.message && <p>{job.message}</p>}
      {job.error && (
        <div className="job-error">
          <h3>Error</h3>
          <pre className="error" tabIndex={0} role="region" aria-label="Error">
            {job.error}
          </pre>
        </div>
      )}

      <div className="job-facts-row">
        <dl className="job-facts">
          {facts.map(([label, value]) => (
            <div key={label}>
              <dt>{label}</dt>
              <dd>{value}</dd>
            </div>
          ))}
        </dl>
        {links.length > 0 && (
          <div>
            <h3>Links</h3>
            <ul className="job-links">
              {links.map(([name, url]) => {
                const route = appRoute(name, url);
                return (
                  <li key={name}>
                    <a href={url}>{humanize(name)}</a> <span className="muted">({url})</span>
                    {route && (
                      <>
                        {" "}
                        <Link to={route.to}>
                          {humanize(name)} in {route.label}
                        </Link>
                      </>
                    )}
                  </li>
                );
              })}
            </ul>
          </div>
        )}
      </div>

      <h3>Parameters</h3>
      <ResultView value={job.params} name="Parameters" />
      <h3>Result</h3>
      {job.state === "succeeded" || (job.result != null && !(typeof job.result === "object" && !Object.keys(job.result as object).length)) ? (
        <ResultView value={job.result} name="Result" />
      ) : (
        <p className="muted">{running ? "None yet." : "None."}</p>
      )}
      <h3>Log</h3>
      {job.log ? <Log text={job.log} running={running} /> : <p className="muted">{running ? "Nothing logged yet." : "Nothing logged."}</p>}
    </section>
  );
}
