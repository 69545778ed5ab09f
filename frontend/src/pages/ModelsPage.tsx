import { useCallback, useContext, useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { Link, useParams } from "react-router-dom";
import { api, fieldErrors } from "../api";
import { useJobs } from "../components/datasets/useJobs";
import ModelForm from "../components/models/ModelForm";
import { prefillProgress } from "../components/models/prefill";
import { count, message, when } from "../components/weights/format";
import { SessionContext } from "../session";
import type { Job, JobDetail, JobSummary, ModelSpec, Project, ProjectModel } from "../types";

// A project's models and pre-fill, for its managers: the model registry with each model's last
// test load (staff register, edit and test-load models), the project's active model, a pre-fill
// of all or only new assets with its progress, rate and cancel, and the last pre-fill jobs.

const MANAGES = ["manager", "admin"];

function CheckBadge({ model }: { model: ModelSpec }) {
  if (model.last_check_ok == null) return <span className="badge">never tested</span>;
  const stale = model.last_check_at && model.updated_at && model.last_check_at < model.updated_at;
  return (
    <span className={`badge ${model.last_check_ok ? "job-succeeded" : "job-failed"}`}>
      {model.last_check_ok ? "loads" : "fails"}
      {stale ? " (before the last edit)" : ""}
    </span>
  );
}

export default function ModelsPage({ pollMs = 1000 }: { pollMs?: number }) {
  const { projectId } = useParams();
  const id = Number(projectId);
  const isStaff = !!useContext(SessionContext)?.user.is_staff;

  const [project, setProject] = useState<Project | null>(null);
  const [loadError, setLoadError] = useState("");
  const [models, setModels] = useState<ModelSpec[] | null>(null);
  const [active, setActive] = useState<ProjectModel | null>(null);
  const [questionCount, setQuestionCount] = useState<number | null>(null);
  const [recent, setRecent] = useState<JobSummary[]>([]);
  const [predictions, setPredictions] = useState<number | null>(null);
  const [status, setStatus] = useState("");
  const [alert, setAlert] = useState("");

  const [choice, setChoice] = useState("");
  const [autoPrefill, setAutoPrefill] = useState(true);
  const [activeError, setActiveError] = useState("");
  const [savingActive, setSavingActive] = useState(false);

  const [onlyMissing, setOnlyMissing] = useState(true);
  const [prefillJobId, setPrefillJobId] = useState<number | null>(null);
  const [prefillError, setPrefillError] = useState("");
  const [starting, setStarting] = useState(false);

  const [editing, setEditing] = useState<ModelSpec | "new" | null>(null);
  const [checks, setChecks] = useState<Record<string, number>>({});
  const [checkOutcome, setCheckOutcome] = useState<Record<string, { ok: boolean; text: string }>>({});
  const registryHeading = useRef<HTMLHeadingElement>(null);

  const loadModels = useCallback(
    () =>
      api.models().then(
        (page) => setModels(page.results),
        (exc) => setLoadError(message(exc)),
      ),
    [],
  );
  const loadRecent = useCallback(
    () =>
      api.jobList(id, { kind: "prefill" }, 0, 10).then(
        (page) => setRecent(page.results),
        () => undefined,
      ),
    [id],
  );
  const loadActive = useCallback(
    () =>
      api.projectModel(id).then((m) => {
        setActive(m);
        if (m.model) {
          setChoice(m.model);
          setAutoPrefill(m.auto_prefill ?? true);
          api.predictionCount(id, m.model).then(setPredictions, () => setPredictions(null));
        } else setPredictions(null);
      }),
    [id],
  );

  useEffect(() => {
    api.project(id).then(
      (p) => {
        setProject(p);
        api.checklist(p.checklist_version).then(
          (c) => setQuestionCount(c.question_count),
          () => undefined,
        );
      },
      (exc) => setLoadError(message(exc)),
    );
    loadModels();
    loadActive().catch((exc) => setLoadError(message(exc)));
    loadRecent();
  }, [id, loadModels, loadActive, loadRecent]);

  const onFinished = useCallback(
    (job: Job) => {
      const detail = job as JobDetail;
      if (job.kind === "model_check") {
        const result = (detail.result ?? {}) as { ok?: boolean; error?: string; model?: string };
        const name = String((detail.params ?? {}).model ?? result.model ?? "");
        const ok = job.state === "succeeded" && !!result.ok;
        const text = ok ? job.message : result.error || detail.error || job.message || `The test load ${job.state}.`;
        setCheckOutcome((all) => ({ ...all, [name]: { ok, text } }));
        loadModels();
      } else if (job.kind === "prefill") {
        if (job.state === "succeeded") setStatus(`Pre-fill job #${job.id} finished: ${job.message}.`);
        else if (job.state === "cancelled") setStatus(`Pre-fill job #${job.id} was cancelled: ${job.message}.`);
        else setAlert(`Pre-fill job #${job.id} failed: ${detail.error || job.message}`);
        loadRecent();
        loadActive().catch(() => undefined);
      }
    },
    [loadModels, loadRecent, loadActive],
  );
  const { jobs, errors: jobErrors, follow, watch } = useJobs(onFinished, pollMs);

  // A pre-fill already running when the page opens is followed too.
  useEffect(() => {
    if (prefillJobId != null) return;
    const running = recent.find((j) => j.state === "queued" || j.state === "running");
    if (running) {
      setPrefillJobId(running.id);
      watch(running.id);
    }
  }, [recent, prefillJobId, watch]);

  const enabled = useMemo(() => (models ?? []).filter((m) => m.enabled), [models]);
  const manages = isStaff || MANAGES.includes(project?.my_role ?? "");

  const saveActive = async (event: FormEvent) => {
    event.preventDefault();
    setActiveError("");
    if (!choice) {
      setActiveError("Choose a model.");
      return;
    }
    setSavingActive(true);
    try {
      const saved = await api.setProjectModel(id, choice, autoPrefill);
      setActive(saved);
      setStatus(`${saved.model} is the project's model${saved.auto_prefill ? "; new imports are pre-filled" : ""}.`);
      api.predictionCount(id, choice).then(setPredictions, () => setPredictions(null));
    } catch (exc) {
      const f = fieldErrors(exc);
      setActiveError(f.model ?? f.auto_prefill ?? message(exc));
    } finally {
      setSavingActive(false);
    }
  };

  const startPrefill = async (event: FormEvent) => {
    event.preventDefault();
    setPrefillError("");
    setAlert("");
    setStarting(true);
    try {
      const job = await api.startPrefill(id, { only_missing: onlyMissing });
      setPrefillJobId(job.id);
      follow(job);
      setStatus(`Pre-fill job #${job.id} started: ${job.message}.`);
      loadRecent();
    } catch (exc) {
      const f = fieldErrors(exc);
      setPrefillError(Object.values(f).join(" ") || message(exc));
    } finally {
      setStarting(false);
    }
  };

  const cancelPrefill = async (jobId: number) => {
    try {
      const job = await api.cancelJob(jobId);
      follow(job);
      setStatus(job.state === "cancelled" ? `Pre-fill job #${jobId} was cancelled.` : `Pre-fill job #${jobId} stops after its current assets.`);
    } catch (exc) {
      setAlert(`Job #${jobId} cannot be cancelled: ${message(exc)}`);
    }
  };

  const testLoad = async (model: ModelSpec) => {
    setCheckOutcome((all) => {
      const next = { ...all };
      delete next[model.name];
      return next;
    });
    try {
      const job = await api.testLoadModel(model.name);
      setChecks((all) => ({ ...all, [model.name]: job.id }));
      follow(job);
    } catch (exc) {
      setCheckOutcome((all) => ({ ...all, [model.name]: { ok: false, text: message(exc) } }));
    }
  };

  const onSaved = (saved: ModelSpec) => {
    setStatus(editing === "new" ? `Model ${saved.name} is registered: test-load it before using it.` : `Model ${saved.name} is saved.`);
    setEditing(null);
    loadModels();
    registryHeading.current?.focus();
  };

  if (loadError && !project) {
    return (
      <p role="alert" className="error">
        This project cannot be read: {loadError}
      </p>
    );
  }
  if (!project || !models || !active) return <p role="status">Loading models…</p>;
  if (!manages) {
    return (
      <p className="empty">
        Only the project&apos;s managers choose its model and start pre-fills. <Link to="/projects">Your projects</Link>
      </p>
    );
  }

  const prefillJob = prefillJobId != null ? (jobs[prefillJobId] as JobDetail | undefined) : undefined;
  const progress = prefillJob ? prefillProgress(prefillJob, questionCount) : null;
  const prefillRunning = !!prefillJob && (prefillJob.state === "queued" || prefillJob.state === "running");

  return (
    <section className="manage-page models-page" aria-labelledby="models-title">
      <div className="page-head">
        <h1 id="models-title">{project.name}: models and pre-fill</h1>
        <Link className="button" to={`/projects/${id}/manage`}>
          Statistics
        </Link>
        <Link className="button" to={`/projects/${id}/jobs`}>
          Jobs
        </Link>
      </div>
      <p className="muted intro">
        A model answers the checklist&apos;s questions for each asset (its P(yes)) before people do: annotators start
        from its guesses and the least certain tasks can be served first.
      </p>
      <p role="status" className="ok page-status">
        {status}
      </p>
      {alert && (
        <p role="alert" className="error">
          {alert}
        </p>
      )}

      <div className="models-columns">
        <section aria-labelledby="active-title" className="card manage-section">
          <h2 id="active-title">Active model</h2>
          <p className="muted">
            {active.model ? (
              <>
                Now: <strong>{active.model}</strong>
                {active.updated_by ? `, chosen by ${active.updated_by} on ${when(active.updated_at)}` : ""}.
              </>
            ) : (
              "No model yet: choose one to pre-fill with."
            )}
          </p>
          <form onSubmit={saveActive} className="active-model-form">
            <div className="field">
              <label htmlFor="active-model">Model</label>
              <select
                id="active-model"
                value={choice}
                onChange={(e) => setChoice(e.target.value)}
                aria-invalid={activeError ? true : undefined}
                aria-describedby={activeError ? "active-model-error" : undefined}
              >
                <option value="">Choose…</option>
                {enabled.map((m) => (
                  <option key={m.name} value={m.name}>
                    {m.title ? `${m.title} (${m.name})` : m.name}
                  </option>
                ))}
              </select>
              {activeError && (
                <span id="active-model-error" className="error hint">
                  {activeError}
                </span>
              )}
            </div>
            <label className="checkbox-field">
              <input type="checkbox" checked={autoPrefill} onChange={(e) => setAutoPrefill(e.target.checked)} /> Pre-fill new
              imports automatically
            </label>
            <button type="submit" disabled={savingActive}>
              {savingActive ? "Saving…" : "Use this model"}
            </button>
          </form>
        </section>

        <section aria-labelledby="prefill-title" className="card manage-section">
          <h2 id="prefill-title">Pre-fill</h2>
          {active.model && (
            <p data-testid="prediction-count">
              Predictions by {active.model}: <strong>{count(predictions)}</strong>
            </p>
          )}
          <form onSubmit={startPrefill}>
            <fieldset className="prefill-scope" disabled={!active.model || prefillRunning}>
              <legend>Which assets</legend>
              <label>
                <input type="radio" name="prefill-scope" checked={onlyMissing} onChange={() => setOnlyMissing(true)} /> New assets only
                (without a prediction of this model version)
              </label>
              <label>
                <input type="radio" name="prefill-scope" checked={!onlyMissing} onChange={() => setOnlyMissing(false)} /> All ready
                assets (predict again)
              </label>
            </fieldset>
            {prefillError && (
              <p role="alert" className="error">
                {prefillError}
              </p>
            )}
            <button type="submit" className="primary" disabled={!active.model || prefillRunning || starting}>
              {starting ? "Starting…" : `Start pre-fill${active.model ? ` with ${active.model}` : ""}`}
            </button>
          </form>
          {prefillJob && progress && (
            <div className="prefill-progress" data-testid="prefill-progress">
              <h3>
                Job #{prefillJob.id} <span className={`badge job-${prefillJob.state}`}>{prefillJob.state}</span>
              </h3>
              <progress max={1} value={prefillJob.progress} aria-label={`Pre-fill job #${prefillJob.id} progress`} />
              <p>{prefillJob.message}</p>
              <dl className="prefill-facts">
                <div>
                  <dt>Assets done</dt>
                  <dd>
                    {count(progress.assetsDone)} of {count(progress.assets)}
                  </dd>
                </div>
                {progress.predicted != null && (
                  <div>
                    <dt>Predicted</dt>
                    <dd>{count(progress.predicted)}</dd>
                  </div>
                )}
                {progress.questionsDone != null && (
                  <div>
                    <dt>Questions answered</dt>
                    <dd>{count(progress.questionsDone)}</dd>
                  </div>
                )}
                <div>
                  <dt>Rate</dt>
                  <dd>{progress.perMinute != null ? `${progress.perMinute.toFixed(1)} assets/min` : "—"}</dd>
                </div>
              </dl>
              {jobErrors[prefillJob.id] && (
                <p role="alert" className="error">
                  {jobErrors[prefillJob.id]}
                </p>
              )}
              {prefillRunning && (
                <button type="button" onClick={() => cancelPrefill(prefillJob.id)} disabled={!!prefillJob.cancel_requested}>
                  {prefillJob.cancel_requested ? "Cancelling…" : "Cancel pre-fill"}
                </button>
              )}
            </div>
          )}
        </section>
      </div>

      <section aria-labelledby="recent-title" className="card manage-section">
        <h2 id="recent-title">Last pre-fill jobs</h2>
        {recent.length === 0 ? (
          <p className="muted">No pre-fill yet.</p>
        ) : (
          <div className="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">Job</th>
                  <th scope="col">State</th>
                  <th scope="col">Started by</th>
                  <th scope="col">Created</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {recent.map((j) => {
                  const live = (jobs[j.id] as JobSummary | undefined) ?? j;
                  return (
                    <tr key={j.id}>
                      <th scope="row">
                        <Link to={`/projects/${id}/jobs?job=${j.id}`}>#{j.id}</Link>
                      </th>
                      <td>
                        <span className={`badge job-${live.state}`}>{live.state}</span>
                      </td>
                      <td>{j.created_by ?? "automatic"}</td>
                      <td>{when(j.created_at)}</td>
                      <td>{live.message}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="registry-title" className="card manage-section">
        <div className="page-head">
          <h2 id="registry-title" ref={registryHeading} tabIndex={-1}>
            Model registry
          </h2>
          {isStaff && editing == null && (
            <button type="button" onClick={() => setEditing("new")}>
              Register a model
            </button>
          )}
        </div>
        <p className="muted">
          The models the workers can load.{" "}
          {isStaff ? "Test-load a model after registering or editing it." : "Staff register and edit models."}
        </p>
        {editing != null && (
          <ModelForm model={editing === "new" ? null : editing} onSaved={onSaved} onCancel={() => setEditing(null)} />
        )}
        {models.length === 0 ? (
          <p className="muted">No model is registered{isStaff ? ": register one." : "; ask an administrator to register one."}</p>
        ) : (
          <div className="table-scroll">
            <table className="model-table">
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col">Source</th>
                  <th scope="col">Runs on</th>
                  <th scope="col">Last test load</th>
                  {isStaff && <th scope="col">Actions</th>}
                </tr>
              </thead>
              <tbody>
                {models.map((m) => {
                  const checkJob = checks[m.name] != null ? jobs[checks[m.name]] : undefined;
                  const checking = !!checkJob && (checkJob.state === "queued" || checkJob.state === "running");
                  const outcome = checkOutcome[m.name];
                  return (
                    <tr key={m.name} data-testid={`model-${m.name}`}>
                      <th scope="row">
                        {m.name}
                        {m.title && <div className="muted">{m.title}</div>}
                        {!m.enabled && <span className="badge">disabled</span>}
                        {active.model === m.name && <span className="badge status-active">active</span>}
                        {m.trust_remote_code && <span className="badge">remote code</span>}
                      </th>
                      <td>
                        <code>{m.source}</code>
                        {m.revision ? <span className="muted"> @ {m.revision}</span> : null}
                      </td>
                      <td>
                        {m.device}, {m.dtype}; queue {m.queue}; batch {m.batch_size ?? "—"}
                      </td>
                      <td>
                        <CheckBadge model={m} />
                        {m.last_check_at && <div className="muted">{when(m.last_check_at)}</div>}
                        {m.last_check_message && <div className="check-message">{m.last_check_message}</div>}
                        <div role="status" className="muted">
                          {checking ? `Testing… ${checkJob?.message ?? ""}` : outcome?.ok ? "Test load finished: it loads and answers." : ""}
                        </div>
                        {outcome && !outcome.ok && (
                          <div role="alert" className="error">
                            Test load failed: {outcome.text}
                          </div>
                        )}
                      </td>
                      {isStaff && (
                        <td className="row-actions">
                          <button type="button" onClick={() => setEditing(m)} aria-label={`Edit ${m.name}`}>
                            Edit
                          </button>
                          <button type="button" onClick={() => testLoad(m)} disabled={checking} aria-label={`Test-load ${m.name}`}>
                            {checking ? "Testing…" : "Test load"}
                          </button>
                        </td>
                      )}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </section>
  );
}
