import { useId } from "react";
import type { WeightSet } from "../../types";
import { percent1 } from "./format";
import { readinessView } from "./readiness";
import type { Refit, useRefitReadiness } from "./useRefit";
import { setName } from "./WeightSetView";

// The page's one refit control, in its summary strip: whether a refit can run and be measured
// (the readiness, before anything starts), the Start refit button (disabled, with the reason,
// when it must fail), the choice to promote a set that nothing could measure, and the job's
// progress and outcome.

interface Props {
  refit: Refit;
  readiness: ReturnType<typeof useRefitReadiness>;
  /** To tell what the finished refit produced (the set whose `job` is the refit's). */
  sets: WeightSet[] | null;
  promoteWithoutHoldout: boolean;
  onPromoteWithoutHoldout: (on: boolean) => void;
  onStart: () => void;
  headingRef?: React.Ref<HTMLHeadingElement>;
}

function JobOutcome({ refit, sets }: { refit: Refit; sets: WeightSet[] | null }) {
  const job = refit.job;
  if (!job) return null;
  if (refit.running) {
    const pct = Math.round(Math.min(1, Math.max(0, job.progress ?? 0)) * 100);
    return (
      <div className="refit-job" data-testid="refit-job">
        <div
          className="bar"
          role="progressbar"
          aria-label="Refit progress"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={pct}
          aria-valuetext={`${pct}%${job.message ? `: ${job.message}` : ""}`}
        >
          <span style={{ width: `${pct}%` }} />
        </div>
        <p role="status" className="muted">
          Job #{job.id} {job.state}, {pct}%{job.message ? `: ${job.message}` : ""}
        </p>
      </div>
    );
  }
  if (job.state === "failed") {
    return (
      <p role="alert" className="error" data-testid="refit-outcome">
        The refit failed: {job.error || job.message || "no reason given"}.
      </p>
    );
  }
  if (job.state === "cancelled") {
    return (
      <p role="status" className="muted" data-testid="refit-outcome">
        The refit (job #{job.id}) was cancelled.
      </p>
    );
  }
  const fitted = sets?.find((s) => s.job === job.id);
  return (
    <div role="status" className="refit-outcome" data-testid="refit-outcome">
      <p className="ok">
        Refit finished{job.message ? `: ${job.message}` : "."}
      </p>
      {fitted && (
        <p>
          {setName(fitted)} is <strong>{fitted.status}</strong>, held-out accuracy {percent1(fitted.metrics?.test?.accuracy_diff)}
          {fitted.decision ? `. ${fitted.decision}` : "."}
        </p>
      )}
    </div>
  );
}

export default function RefitStart({ refit, readiness, sets, promoteWithoutHoldout, onPromoteWithoutHoldout, onStart, headingRef }: Props) {
  const base = useId();
  const r = readiness.readiness;
  const view = r ? readinessView(r) : null;
  const busy = refit.starting || refit.running;
  return (
    <section aria-labelledby={`${base}-title`} className="card refit-start" data-testid="refit-start">
      <h2 id={`${base}-title`} ref={headingRef} tabIndex={-1}>
        Refit
      </h2>
      {!r && !readiness.error && <p role="status">Checking whether a refit can run…</p>}
      {readiness.error && (
        <p role="alert" className="error">
          {readiness.error}
        </p>
      )}
      {view && (
        <div className="readiness" data-testid="refit-readiness">
          <p className={view.blocked ? "readiness-headline bad" : view.unmeasured ? "readiness-headline warn" : "readiness-headline ok"}>
            <strong>{view.headline}</strong>
          </p>
          <p className="muted">{view.counts}</p>
          {view.reason && (
            <p id={`${base}-reason`} className={view.blocked ? "error" : "warn-text"} data-testid="refit-reason">
              {view.reason}
            </p>
          )}
        </div>
      )}
      {view?.unmeasured && (
        <label className="check">
          <input
            type="checkbox"
            checked={promoteWithoutHoldout}
            onChange={(e) => onPromoteWithoutHoldout(e.target.checked)}
            aria-describedby={`${base}-holdout-hint`}
          />{" "}
          Promote it without a held-out measurement
          <span id={`${base}-holdout-hint`} className="muted hint">
            {" "}
            (it becomes active although nobody knows how well it predicts new pairs; unchecked, it is kept as a candidate)
          </span>
        </label>
      )}
      {refit.error && (
        <p role="alert" className="error">
          {refit.error}
        </p>
      )}
      <div className="actions">
        <button
          type="button"
          className="primary"
          onClick={onStart}
          disabled={busy || !!view?.blocked}
          aria-describedby={view?.reason ? `${base}-reason` : undefined}
        >
          {busy ? "Refitting…" : "Start refit"}
        </button>
      </div>
      <JobOutcome refit={refit} sets={sets} />
    </section>
  );
}
