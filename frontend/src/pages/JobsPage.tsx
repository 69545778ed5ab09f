import { useCallback, useEffect, useId, useRef, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router-dom";
import { api, ApiError } from "../api";
import DisclosureSection from "../components/DisclosureSection";
import JobDetailPanel from "../components/jobs/JobDetailPanel";
import JobTable from "../components/jobs/JobTable";
import ResearchForms from "../components/jobs/ResearchForms";
import { JOB_KINDS, JOB_STATES, isUnfinished, kindLabel } from "../components/jobs/format";
import Modal from "../components/weights/Modal";
import { count, message } from "../components/weights/format";
import type { Job, JobDetail, JobFilter, JobKind, JobState, JobSummary, Page, Project } from "../types";

// The background jobs of a project for managers and researchers: every job, newest first, by
// kind and state, live while any is queued or running; one job's parameters, result, error, log
// and links, with Cancel and Retry; and starting research jobs (fine-tune, evaluate).

const PAGE_SIZE = 50;

export default function JobsPage({ pollMs = 1500 }: { pollMs?: number }) {
  const { projectId: projectParam } = useParams();
  const projectId = Number(projectParam);
  const confirmTitle = useId();

  const [project, setProject] = useState<Project | null>(null);
  const [page, setPage] = useState<Page<JobSummary> | null>(null);
  const [listError, setListError] = useState("");
  const [denied, setDenied] = useState(false);
  const [filter, setFilter] = useState<Required<JobFilter>>({ kind: "", state: "" });
  const [offset, setOffset] = useState(0);
  const [search] = useSearchParams();
  // ?job=<id> (links from other screens) opens that job's details
  const [selectedId, setSelectedId] = useState<number | null>(() => Number(search.get("job")) || null);
  const [detail, setDetail] = useState<JobDetail | null>(null);
  const [detailError, setDetailError] = useState("");
  const [status, setStatus] = useState("");
  const [actionError, setActionError] = useState("");
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState<JobDetail | null>(null);
  const [formsOpen, setFormsOpen] = useState(false);
  const [formsShown, setFormsShown] = useState(false);
  /** Counts finished poll rounds: each schedules the next while some job is unfinished. */
  const [round, setRound] = useState(0);
  const live = useRef(true);
  const listSeq = useRef(0);
  /** A list was read once: a poll that cannot reach the server then keeps it. */
  const loaded = useRef(false);
  const detailSeq = useRef(0);
  const listHeading = useRef<HTMLHeadingElement>(null);
  const detailHeading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    live.current = true;
    return () => {
      live.current = false;
    };
  }, []);

  useEffect(() => {
    if (!Number.isFinite(projectId)) return;
    let on = true;
    api.project(projectId).then(
      (p) => on && setProject(p),
      () => undefined, // the jobs request reports access problems
    );
    return () => {
      on = false;
    };
  }, [projectId]);

  const loadList = useCallback(async () => {
    const seq = ++listSeq.current;
    try {
      const next = await api.jobList(projectId, filter, offset, PAGE_SIZE);
      if (!live.current || seq !== listSeq.current) return;
      loaded.current = true;
      setPage(next);
      setListError("");
    } catch (exc) {
      if (!live.current || seq !== listSeq.current) return;
      // A poll that cannot reach the server keeps the list as it was and tries again.
      if (exc instanceof ApiError && exc.retryable && loaded.current) return;
      setListError(message(exc));
      setDenied(exc instanceof ApiError && (exc.status === 403 || exc.status === 404));
    }
  }, [projectId, filter, offset]);

  const loadDetail = useCallback(async (id: number) => {
    const seq = ++detailSeq.current;
    try {
      const next = await api.jobDetail(id);
      if (!live.current || seq !== detailSeq.current) return;
      setDetail(next);
      setDetailError("");
    } catch (exc) {
      if (!live.current || seq !== detailSeq.current) return;
      if (exc instanceof ApiError && exc.retryable) setDetailError(`Job #${id} cannot be read now; trying again. ${message(exc)}`);
      else setDetailError(`Job #${id} cannot be read: ${message(exc)}`);
    }
  }, []);

  useEffect(() => {
    if (Number.isFinite(projectId)) loadList();
  }, [projectId, loadList]);

  useEffect(() => {
    if (selectedId == null) {
      detailSeq.current++;
      setDetail(null);
      setDetailError("");
      return;
    }
    setDetail((d) => (d?.id === selectedId ? d : null));
    loadDetail(selectedId);
  }, [selectedId, loadDetail]);

  // Poll while some job on screen is queued or running; stop when none is.
  const listUnfinished = !!page?.results.some(isUnfinished);
  const detailUnfinished = selectedId != null && detail?.id === selectedId && isUnfinished(detail);
  const polling = listUnfinished || detailUnfinished;
  useEffect(() => {
    if (!polling) return;
    const timer = setTimeout(async () => {
      await Promise.allSettled([
        listUnfinished ? loadList() : null,
        detailUnfinished && selectedId != null ? loadDetail(selectedId) : null,
      ]);
      if (live.current) setRound((r) => r + 1);
    }, pollMs);
    return () => clearTimeout(timer);
  }, [polling, round, listUnfinished, detailUnfinished, selectedId, loadList, loadDetail, pollMs]);

  // A job that finished while its detail was open: the list learns of it at once.
  const detailKey = detail ? `${detail.id}:${detail.state}` : "";
  const lastKey = useRef("");
  useEffect(() => {
    const was = lastKey.current;
    lastKey.current = detailKey;
    const [id, state] = detailKey.split(":");
    const [wasId, wasState] = was.split(":");
    if (id && id === wasId && state !== wasState && !isUnfinished({ state: state as JobState })) loadList();
  }, [detailKey, loadList]);

  const select = (job: Pick<JobSummary, "id">) => setSelectedId((id) => (id === job.id ? null : job.id));

  const setFilterField = (field: "kind" | "state", value: string) => {
    setOffset(0);
    setFilter((f) => ({ ...f, [field]: value }));
  };

  const onStarted = (job: Job, what: string) => {
    setActionError("");
    setStatus(`${what} started as job #${job.id} (${job.state}); it is selected below and followed until it finishes.`);
    setFilter({ kind: "", state: "" });
    setOffset(0);
    setDetail(null);
    setSelectedId(job.id);
    // The list reloads with the reset filter (a new filter object, so also when it was unfiltered).
  };

  const cancel = async (job: JobDetail) => {
    setConfirming(null);
    setBusy(true);
    setStatus("");
    setActionError("");
    try {
      const done = await api.cancelJob(job.id);
      setDetail((d) => (d && d.id === job.id ? { ...d, ...done } : d));
      setStatus(
        done?.state === "cancelled"
          ? `Job #${job.id} is cancelled.`
          : `Cancel requested for job #${job.id}; it stops at its next checkpoint.`,
      );
      await Promise.allSettled([loadList(), loadDetail(job.id)]);
    } catch (exc) {
      setActionError(`Job #${job.id} cannot be cancelled: ${message(exc)}`);
    } finally {
      setBusy(false);
    }
  };

  const retry = async (job: JobDetail) => {
    setBusy(true);
    setStatus("");
    setActionError("");
    try {
      const again = await api.retryJob(job.id);
      const id = again?.id ?? job.id;
      setStatus(id === job.id ? `Job #${job.id} is queued again.` : `Job #${job.id} is retried as job #${id}.`);
      if (id !== job.id) setSelectedId(id);
      await Promise.allSettled([loadList(), loadDetail(id)]);
    } catch (exc) {
      setActionError(`Job #${job.id} cannot be retried: ${message(exc)}`);
    } finally {
      setBusy(false);
    }
  };

  if (!Number.isFinite(projectId)) return <p role="alert" className="error">No such project.</p>;

  const head = (
    <div className="page-head">
      <h1 id="jobs-title">Jobs{project ? `: ${project.name}` : ""}</h1>
      <Link className="button" to={`/projects/${projectId}/manage`}>
        Statistics
      </Link>
      <Link className="button" to={`/projects/${projectId}/weights`}>
        Weights
      </Link>
    </div>
  );
  if (denied) {
    return (
      <section className="jobs-page manage-page" aria-labelledby="jobs-title">
        {head}
        <p role="alert" className="error">
          {listError}
        </p>
      </section>
    );
  }

  const jobs = page?.results ?? [];
  const filtered = !!(filter.kind || filter.state);
  const selectedInList = jobs.some((j) => j.id === selectedId);

  return (
    <section className="jobs-page manage-page" aria-labelledby="jobs-title">
      {head}
      <p className="muted intro">
        The project&apos;s background work: imports, model pre-fills, refits, scoring, exports, pushes, fine-tunes and
        evaluations. Select a job to see its parameters, result and log.
      </p>

      <p role="status" className="ok page-status" data-testid="jobs-status">
        {status}
      </p>
      {actionError && (
        <p role="alert" className="error">
          {actionError}
        </p>
      )}

      <DisclosureSection
        id="research"
        title="Start a research job"
        open={formsOpen}
        onToggle={() => {
          setFormsOpen((o) => !o);
          setFormsShown(true);
        }}
      >
        {formsShown && <ResearchForms projectId={projectId} onStarted={onStarted} />}
      </DisclosureSection>

      <section aria-labelledby="job-list-title" className="card manage-section">
        <h2 id="job-list-title" ref={listHeading} tabIndex={-1}>
          Jobs
        </h2>
        <form role="search" aria-label="Filter jobs" className="version-filter" onSubmit={(e) => e.preventDefault()}>
          <div className="field">
            <label htmlFor="job-filter-kind">Kind</label>
            <select id="job-filter-kind" value={filter.kind} onChange={(e) => setFilterField("kind", e.target.value as JobKind | "")}>
              <option value="">Any</option>
              {JOB_KINDS.map((k) => (
                <option key={k.value} value={k.value}>
                  {k.label}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="job-filter-state">State</label>
            <select id="job-filter-state" value={filter.state} onChange={(e) => setFilterField("state", e.target.value as JobState | "")}>
              <option value="">Any</option>
              {JOB_STATES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
          <span className="muted" data-testid="polling">
            {polling ? "Live: refreshing while jobs run." : ""}
          </span>
        </form>
        {listError && (
          <p role="alert" className="error">
            {listError}
          </p>
        )}
        {!page && !listError && <p role="status">Loading jobs…</p>}
        {page && !jobs.length && (
          <p className="muted" data-testid="no-jobs">
            {filtered ? "No job matches." : "No jobs yet."}
          </p>
        )}
        {jobs.length > 0 && (
          <>
            <JobTable jobs={jobs} selectedId={selectedId} onSelect={select} />
            {(page?.next || page?.previous) && (
              <div className="pager">
                <button type="button" onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))} disabled={!page.previous}>
                  Previous
                </button>
                <span className="muted">
                  {count(offset + 1)}–{count(offset + jobs.length)} of {count(page.count)}
                </span>
                <button type="button" onClick={() => setOffset(offset + PAGE_SIZE)} disabled={!page.next}>
                  Next
                </button>
              </div>
            )}
          </>
        )}
        {selectedId != null && (
          <div className="selected-job">
            {detailError && (
              <p role="alert" className="error">
                {detailError}
              </p>
            )}
            {!detail && !detailError && <p role="status">Loading job #{selectedId}…</p>}
            {detail && (
              <>
                {!selectedInList && page && (
                  <p className="muted">
                    Job #{detail.id} ({kindLabel(detail.kind)}) is not on this page of the list.
                  </p>
                )}
                <JobDetailPanel
                  job={detail}
                  busy={busy}
                  headingRef={detailHeading}
                  onCancel={() => setConfirming(detail)}
                  onRetry={() => retry(detail)}
                />
                <div className="actions">
                  <button type="button" onClick={() => setSelectedId(null)}>
                    Close job #{detail.id}
                  </button>
                </div>
              </>
            )}
          </div>
        )}
      </section>

      {confirming && (
        <Modal labelledBy={confirmTitle} onClose={() => setConfirming(null)} testId="confirm-dialog" returnFocus={() => detailHeading.current}>
          <h2 id={confirmTitle}>Cancel job #{confirming.id}?</h2>
          <p>
            The {kindLabel(confirming.kind)} job {confirming.state === "running" ? "stops at its next checkpoint" : "will not run"}; what
            it has done so far is not undone. It can be retried afterwards.
          </p>
          <div className="actions">
            <button type="button" className="danger" onClick={() => cancel(confirming)}>
              Cancel the job
            </button>
            <button type="button" data-autofocus onClick={() => setConfirming(null)}>
              Keep it running
            </button>
          </div>
        </Modal>
      )}
    </section>
  );
}
