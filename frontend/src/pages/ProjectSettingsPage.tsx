import { useCallback, useContext, useEffect, useId, useRef, useState, type FormEvent } from "react";
import { Link, useLocation, useParams } from "react-router-dom";
import { api, ApiError, fieldErrors } from "../api";
import ChecklistPreview from "../components/project/ChecklistPreview";
import { ChecklistStep, InstructionsStep, NameStep, WorkStep } from "../components/project/steps";
import { allErrors, emptyForm, formFromProject, projectBody, type ProjectForm } from "../projectForm";
import { SessionContext } from "../session";
import type { ChecklistChange, ChecklistVersion, Project } from "../types";

// A project's settings, for its managers: the same fields as the "New project" form (its step
// components, one section each) saved together, and the checklist apart: a new checklist is
// checked with the API first, which states what happens to the answers made so far, and only
// "Change the checklist" applies it.

const message = (exc: unknown) => (exc instanceof Error ? exc.message : String(exc));

function ChecklistSection({ project, onChanged }: { project: Project; onChanged: () => void }) {
  const session = useContext(SessionContext);
  const user = session?.user;
  const base = useId();
  const [current, setCurrent] = useState<ChecklistVersion | null>(null);
  const [form, setForm] = useState<ProjectForm>(() => ({
    ...emptyForm(),
    media_type: project.media_type,
    checklist_version: null,
  }));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [plan, setPlan] = useState<ChecklistChange | null>(null);
  const [done, setDone] = useState<ChecklistChange | null>(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const planRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    api.checklist(project.checklist_version).then(setCurrent, (exc) => setError(message(exc)));
  }, [project.checklist_version]);

  useEffect(() => {
    if (plan) planRef.current?.focus();
  }, [plan]);

  const set = (patch: Partial<ProjectForm>) => {
    setForm((old) => ({ ...old, ...patch }));
    setErrors({});
    setPlan(null);
  };

  async function versionId(): Promise<number | null> {
    if (form.checklist_source === "loaded") return form.checklist_version;
    const preview = form.upload?.preview;
    if (!preview) return null;
    // Loading a version stores only a content-hashed, reusable definition; the project is not changed.
    return preview.existing?.id ?? (await api.loadChecklist(form.upload!.content, form.upload!.filename)).id;
  }

  async function check(event: FormEvent) {
    event.preventDefault();
    const problems = allErrors(form, ["checklist"]);
    setErrors(problems);
    setDone(null);
    if (Object.keys(problems).length) return;
    setBusy(true);
    setError("");
    try {
      const id = await versionId();
      if (id != null) setPlan(await api.changeChecklist(project.id, id, false));
    } catch (exc) {
      setErrors(fieldErrors(exc));
      setError(message(exc));
    } finally {
      setBusy(false);
    }
  }

  async function confirm() {
    if (!plan) return;
    setBusy(true);
    setError("");
    try {
      const result = await api.changeChecklist(project.id, plan.to.id, true);
      setDone(result);
      setPlan(null);
      setForm((old) => ({ ...old, checklist_version: null, upload: null }));
      onChanged();
    } catch (exc) {
      setError(message(exc));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card manage-section" aria-labelledby={`${base}-title`}>
      <h2 id={`${base}-title`}>Checklist</h2>
      {current && (
        <>
          <p>
            In use: <strong>{current.title}</strong> ({current.key} v{current.version}), {current.question_count} questions.
          </p>
          <details>
            <summary>Show the checklist in use</summary>
            <ChecklistPreview
              definition={current.definition}
              label={`${current.key} v${current.version}, in use`}
              questionCount={current.question_count}
              subDimensionCount={current.sub_dimension_count}
            />
          </details>
        </>
      )}
      {done && (
        <p role="status" className="ok-note">
          The project now uses {done.to.key} v{done.to.version}. Answers made with {done.from.key} v{done.from.version} keep
          that version.
        </p>
      )}
      <form onSubmit={check} noValidate aria-label="Change the checklist">
        <h3>Change the checklist</h3>
        <ChecklistStep
          form={form}
          set={set}
          errors={errors}
          canUpload={Boolean(user?.can_load_checklists || user?.is_staff)}
          current={project.checklist_version}
        />
        {!plan && (
          <div className="actions">
            <button type="submit" disabled={busy}>
              {busy ? "Checking…" : "See what changes"}
            </button>
          </div>
        )}
      </form>
      {plan && (
        <div
          className="change-plan"
          role="region"
          aria-labelledby={`${base}-plan`}
          ref={planRef}
          tabIndex={-1}
          data-testid="change-plan"
        >
          <h3 id={`${base}-plan`}>
            From {plan.from.key} v{plan.from.version} to {plan.to.key} v{plan.to.version}: what happens
          </h3>
          <ul>
            {plan.consequences.map((line, i) => (
              <li key={i}>{line}</li>
            ))}
          </ul>
          {(plan.sub_dimensions.new.length > 0 || plan.sub_dimensions.changed.length > 0 || plan.sub_dimensions.dropped.length > 0) && (
            <dl className="key-changes">
              {(["new", "changed", "dropped"] as const).map(
                (kind) =>
                  plan.sub_dimensions[kind].length > 0 && (
                    <div key={kind}>
                      <dt>Sub-dimensions {kind}</dt>
                      <dd>{plan.sub_dimensions[kind].join(", ")}</dd>
                    </div>
                  ),
              )}
            </dl>
          )}
          <div className="actions">
            <button type="button" className="primary" onClick={confirm} disabled={busy}>
              {busy ? "Changing…" : `Change the checklist to ${plan.to.key} v${plan.to.version}`}
            </button>
            <button type="button" onClick={() => setPlan(null)} disabled={busy}>
              Keep {plan.from.key} v{plan.from.version}
            </button>
          </div>
        </div>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </section>
  );
}

export default function ProjectSettingsPage() {
  const projectId = Number(useParams().projectId);
  const created = (useLocation().state as { created?: string } | null)?.created;
  const [project, setProject] = useState<Project | null>(null);
  const [form, setForm] = useState<ProjectForm | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [saved, setSaved] = useState("");
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    api
      .project(projectId)
      .then((p) => {
        setProject(p);
        setForm(formFromProject(p));
      })
      .catch((exc) => setError(exc instanceof ApiError && exc.status === 404 ? "No such project." : message(exc)));
  }, [projectId]);

  useEffect(load, [load]);

  if (!Number.isFinite(projectId)) return <p role="alert" className="error">No such project.</p>;
  if (error && !project) return <p role="alert" className="error">{error}</p>;
  if (!project || !form) return <p role="status">Loading the project…</p>;
  if (!["manager", "admin"].includes(project.my_role ?? ""))
    return (
      <p role="alert" className="error">
        Only the project's managers can change its settings. <Link to="/projects">Your projects</Link>
      </p>
    );

  const set = (patch: Partial<ProjectForm>) => {
    setForm((old) => (old ? { ...old, ...patch } : old));
    setSaved("");
  };

  async function save(event: FormEvent) {
    event.preventDefault();
    const problems = allErrors(form!, ["name", "work"]);
    setErrors(problems);
    setSaved("");
    setError("");
    if (Object.keys(problems).length) return setError("Fix the fields marked above to save.");
    setBusy(true);
    try {
      const { checklist_version: _ignored, media_type: _fixed, ...body } = projectBody(form!, null);
      const updated = await api.updateProject(projectId, body);
      setProject(updated);
      setForm(formFromProject(updated));
      setSaved("Settings saved.");
    } catch (exc) {
      setErrors(fieldErrors(exc));
      setError(message(exc));
    } finally {
      setBusy(false);
    }
  }

  const props = { form, set, errors };
  return (
    <section className="project-setup" aria-labelledby="settings-title">
      <div className="page-head">
        <h1 id="settings-title">Settings: {project.name}</h1>
        <Link className="button" to={`/projects/${projectId}/members`}>
          Members
        </Link>
        <Link className="button" to={`/projects/${projectId}/manage`}>
          Statistics
        </Link>
      </div>
      {created && (
        <p role="status" className="ok-note">
          Project “{created}” created, with you as its manager. Next: add its{" "}
          <Link to={`/projects/${projectId}/assets`}>assets</Link> and its{" "}
          <Link to={`/projects/${projectId}/members`}>members</Link>, and choose its{" "}
          <Link to={`/projects/${projectId}/models`}>model</Link> for pre-fill.
        </p>
      )}
      <form onSubmit={save} noValidate aria-label="Project settings">
        <section className="card manage-section" aria-labelledby="settings-name">
          <h2 id="settings-name">Name and description</h2>
          <NameStep {...props} />
          <p className="muted">
            Media type: <strong>{project.media_type}</strong> (fixed once a project exists; its checklist is for{" "}
            {project.media_type}s).
          </p>
        </section>
        <section className="card manage-section" aria-labelledby="settings-work">
          <h2 id="settings-work">Overlap, lease and pairs</h2>
          <p className="muted">A changed overlap applies to every unfinished item.</p>
          <WorkStep {...props} />
        </section>
        <section className="card manage-section" aria-labelledby="settings-instructions">
          <h2 id="settings-instructions">Instructions</h2>
          <InstructionsStep {...props} />
        </section>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Saving…" : "Save settings"}
          </button>
        </div>
        {saved && (
          <p role="status" className="ok-note">
            {saved}
          </p>
        )}
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
      </form>
      <ChecklistSection project={project} onChanged={load} />
    </section>
  );
}
