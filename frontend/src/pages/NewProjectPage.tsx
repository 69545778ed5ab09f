import { useContext, useEffect, useRef, useState, type FormEvent, type ReactElement } from "react";
import { Link, useNavigate } from "react-router-dom";
import { api, ApiError, fieldErrors } from "../api";
import { ChecklistStep, InstructionsStep, MediaStep, NameStep, WorkStep } from "../components/project/steps";
import ReviewStep from "../components/project/ReviewStep";
import {
  STEPS,
  allErrors,
  emptyForm,
  projectBody,
  stepErrors,
  stepOfField,
  type ProjectForm,
  type StepId,
} from "../projectForm";
import { SessionContext } from "../session";
import type { ChecklistVersion } from "../types";

// "New project": a step-by-step form (name, media type, checklist, overlap and lease, instructions,
// review). Back and Next keep every value; Next checks the step; the API's field errors go back to
// the step of their field. An uploaded checklist is only checked (nothing stored) until Create,
// which loads it (content-hashed: an identical file reuses its version) and then makes the project.

export default function NewProjectPage() {
  const session = useContext(SessionContext);
  const user = session?.user;
  const navigate = useNavigate();
  const [form, setForm] = useState<ProjectForm>(emptyForm);
  const [index, setIndex] = useState(0);
  const [visited, setVisited] = useState(0);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [chosen, setChosen] = useState<ChecklistVersion | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);
  const step = STEPS[index];

  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    heading.current?.focus(); // each step announces itself and starts at its heading
  }, [index]);

  useEffect(() => {
    if (form.checklist_version == null) return setChosen(null);
    api.checklist(form.checklist_version).then(setChosen, () => setChosen(null));
  }, [form.checklist_version]);

  if (user && !user.can_create_projects && !user.is_staff)
    return (
      <p role="alert" className="error">
        Only admins and users allowed to create projects can create one. <Link to="/projects">Your projects</Link>
      </p>
    );

  const set = (patch: Partial<ProjectForm>) => {
    setForm((old) => ({ ...old, ...patch }));
    setErrors((old) => {
      const kept = { ...old };
      for (const key of Object.keys(patch)) delete kept[key === "lease_minutes" ? "lease_seconds" : key];
      if ("upload" in patch) delete kept.file;
      return kept;
    });
  };

  const goTo = (target: number) => {
    setError("");
    setIndex(target);
    setVisited((v) => Math.max(v, target));
  };

  const checklistLabel =
    form.checklist_source === "upload"
      ? form.upload?.preview
        ? `${form.upload.preview.title} (${form.upload.preview.key} v${form.upload.preview.version}, from ${form.upload.filename})`
        : "—"
      : chosen
        ? `${chosen.title} (${chosen.key} v${chosen.version})`
        : "—";

  async function create() {
    const problems = allErrors(form);
    if (Object.keys(problems).length) {
      setErrors(problems);
      goTo(STEPS.findIndex((s) => s.id === stepOfField(Object.keys(problems)[0])));
      return;
    }
    setBusy(true);
    setError("");
    try {
      let version = form.checklist_source === "loaded" ? form.checklist_version : null;
      if (form.checklist_source === "upload" && form.upload?.preview) {
        version = form.upload.preview.existing?.id ?? (await api.loadChecklist(form.upload.content, form.upload.filename)).id;
      }
      const project = await api.createProject(projectBody(form, version));
      navigate(`/projects/${project.id}/settings`, { state: { created: project.name } });
    } catch (exc) {
      const fields = fieldErrors(exc);
      setErrors(fields);
      const keys = Object.keys(fields);
      const target = keys.length ? stepOfField(keys[0]) : "review";
      if (target !== "review") goTo(STEPS.findIndex((s) => s.id === target));
      setError(
        exc instanceof ApiError && keys.length
          ? `The project was not created: ${exc.message}`
          : exc instanceof Error
            ? exc.message
            : String(exc),
      );
    } finally {
      setBusy(false);
    }
  }

  function next(event: FormEvent) {
    event.preventDefault();
    if (step.id === "review") return void create();
    const problems = stepErrors(step.id, form);
    setErrors(problems);
    if (Object.keys(problems).length) {
      setError("");
      return;
    }
    goTo(index + 1);
  }

  const props = { form, set, errors };
  const bodies: Record<StepId, ReactElement> = {
    name: <NameStep {...props} />,
    media: <MediaStep {...props} />,
    checklist: <ChecklistStep {...props} canUpload={Boolean(user?.can_load_checklists || user?.is_staff)} />,
    work: <WorkStep {...props} />,
    instructions: <InstructionsStep {...props} />,
    review: (
      <ReviewStep
        form={form}
        checklistLabel={checklistLabel}
        onEdit={(id) => goTo(STEPS.findIndex((s) => s.id === id))}
      />
    ),
  };
  const stepProblems = Object.keys(errors).length > 0;

  return (
    <section className="project-setup" aria-labelledby="new-project-title">
      <div className="page-head">
        <h1 id="new-project-title">New project</h1>
        <Link to="/projects">Cancel</Link>
      </div>
      <nav aria-label="Steps">
        <ol className="steps">
          {STEPS.map((s, i) => (
            <li key={s.id}>
              <button
                type="button"
                className={i === index ? "step current" : "step"}
                aria-current={i === index ? "step" : undefined}
                disabled={i > visited}
                onClick={() => goTo(i)}
              >
                <span className="step-number">{i + 1}</span> {s.title}
              </button>
            </li>
          ))}
        </ol>
      </nav>
      <form className="card setup-step" onSubmit={next} noValidate aria-labelledby="step-title">
        <h2 id="step-title" ref={heading} tabIndex={-1}>
          Step {index + 1} of {STEPS.length}: {step.title}
        </h2>
        {bodies[step.id]}
        {stepProblems && !error && (
          <p role="alert" className="error">
            Fix the {Object.keys(errors).length === 1 ? "field" : "fields"} marked above to go on.
          </p>
        )}
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <div className="actions">
          <button type="button" onClick={() => goTo(index - 1)} disabled={index === 0 || busy}>
            Back
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {step.id === "review" ? (busy ? "Creating…" : "Create project") : "Next"}
          </button>
        </div>
      </form>
    </section>
  );
}
