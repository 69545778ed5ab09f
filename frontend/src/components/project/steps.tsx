// The steps of the "New project" form, reused section by section on the project's settings:
// each takes the form's values, a setter for some of them and the errors to show by its fields.
import { useEffect, useId, useState, type ChangeEvent } from "react";
import { api, ApiError } from "../../api";
import { Markdown } from "../../markdown";
import {
  MAX_CHECKLIST_BYTES,
  MAX_LEASE_MINUTES,
  MAX_OVERLAP,
  problemPlace,
  sourceLine,
  type ChecklistUpload,
  type ProjectForm,
} from "../../projectForm";
import type { ChecklistProblem, ChecklistVersion, MediaType } from "../../types";
import { Field } from "../Field";
import ChecklistPreview from "./ChecklistPreview";

export interface StepProps {
  form: ProjectForm;
  set: (patch: Partial<ProjectForm>) => void;
  errors: Record<string, string>;
}

export function NameStep({ form, set, errors }: StepProps) {
  const id = useId();
  return (
    <>
      <Field id={`${id}-name`} label="Name" error={errors.name} hint="What members see in their project list.">
        {(describedBy, invalid) => (
          <input
            id={`${id}-name`}
            value={form.name}
            maxLength={200}
            onChange={(e) => set({ name: e.target.value })}
            aria-describedby={describedBy}
            aria-invalid={invalid}
            required
          />
        )}
      </Field>
      <Field id={`${id}-description`} label="Description (optional)" error={errors.description}>
        {(describedBy, invalid) => (
          <textarea
            id={`${id}-description`}
            value={form.description}
            rows={3}
            onChange={(e) => set({ description: e.target.value })}
            aria-describedby={describedBy}
            aria-invalid={invalid}
          />
        )}
      </Field>
    </>
  );
}

const MEDIA: { value: MediaType; label: string; hint: string }[] = [
  { value: "image", label: "Images", hint: "Still images (JPEG, PNG, WebP…), one checklist answer per image." },
  { value: "video", label: "Videos", hint: "Videos (MP4, WebM, MOV…), played in the annotate screen with their frames." },
];

export function MediaStep({ form, set, errors, disabled }: StepProps & { disabled?: boolean }) {
  const id = useId();
  return (
    <fieldset className="choice-group" aria-describedby={errors.media_type ? `${id}-error` : undefined}>
      <legend>What the project annotates</legend>
      {MEDIA.map((media) => (
        <label key={media.value} className="choice">
          <input
            type="radio"
            name={`${id}-media`}
            value={media.value}
            checked={form.media_type === media.value}
            disabled={disabled}
            onChange={() =>
              // a checklist is for one media type: the choice of checklist starts again
              set({ media_type: media.value, checklist_version: null, upload: null })
            }
          />
          <span>
            <strong>{media.label}</strong> <span className="muted">{media.hint}</span>
          </span>
        </label>
      ))}
      {errors.media_type && (
        <p id={`${id}-error`} className="error">
          {errors.media_type}
        </p>
      )}
    </fieldset>
  );
}

function versionLabel(v: { key: string; version: number; builtin?: boolean }): string {
  return `${v.key} v${v.version}${v.builtin ? ", built-in" : ""}`;
}

/** The problems of an uploaded file, each with its line and the text of that line. */
export function ChecklistProblems({ upload }: { upload: ChecklistUpload }) {
  const count = upload.problems.length;
  return (
    <div role="alert" className="checklist-problems" data-testid="checklist-problems">
      <p className="error">
        <strong>
          {upload.filename} has {count} problem{count === 1 ? "" : "s"}
        </strong>
        : nothing was saved. Fix {count === 1 ? "it" : "them"} in the file and choose it again.
      </p>
      <ul>
        {upload.problems.map((problem: ChecklistProblem, i) => {
          const place = problemPlace(problem);
          const text = sourceLine(upload.content, problem.line);
          return (
            <li key={i}>
              {place && <strong>{place}</strong>}
              {place && " · "}
              {problem.path && <code>{problem.path}</code>}
              {problem.path && ": "}
              {problem.message}
              {text.trim() && (
                <pre className="source-line" aria-label={`${place || "The line"} of ${upload.filename}`}>
                  {text}
                </pre>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

interface ChecklistStepProps extends StepProps {
  canUpload: boolean;
  /** On the settings page: the version in use, left out of the choices. */
  current?: number;
}

export function ChecklistStep({ form, set, errors, canUpload, current }: ChecklistStepProps) {
  const id = useId();
  const [versions, setVersions] = useState<ChecklistVersion[] | null>(null);
  const [detail, setDetail] = useState<ChecklistVersion | null>(null);
  const [loadError, setLoadError] = useState("");
  const [reading, setReading] = useState(false);
  const [fileError, setFileError] = useState("");

  useEffect(() => {
    setVersions(null);
    api
      .checklists(form.media_type)
      .then((page) => setVersions(page.results))
      .catch((exc) => setLoadError(exc.message));
  }, [form.media_type]);

  useEffect(() => {
    if (form.checklist_source !== "loaded" || form.checklist_version == null) return setDetail(null);
    let live = true;
    api
      .checklist(form.checklist_version)
      .then((v) => live && setDetail(v))
      .catch((exc) => live && setLoadError(exc.message));
    return () => {
      live = false;
    };
  }, [form.checklist_source, form.checklist_version]);

  async function choose(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = ""; // choosing the same (fixed) file again reads it again
    if (!file) return;
    setFileError("");
    if (file.size > MAX_CHECKLIST_BYTES) {
      set({ upload: null });
      return setFileError(`${file.name} is ${file.size} bytes; a checklist is at most 2 MB.`);
    }
    setReading(true);
    const content = await file.text();
    try {
      const preview = await api.validateChecklist(content, file.name);
      set({ upload: { filename: file.name, content, preview, problems: [] } });
    } catch (exc) {
      const listed = exc instanceof ApiError ? (exc.errors as { file?: unknown } | null)?.file : null;
      if (Array.isArray(listed) && listed.length && typeof listed[0] === "object") {
        set({ upload: { filename: file.name, content, preview: null, problems: listed as ChecklistProblem[] } });
      } else {
        set({ upload: null });
        setFileError(exc instanceof Error ? exc.message : String(exc));
      }
    } finally {
      setReading(false);
    }
  }

  const choices = (versions ?? []).filter((v) => v.id !== current);
  const upload = form.upload;
  const fileMessage = fileError || errors.file || errors.content;
  return (
    <>
      <fieldset className="choice-group">
        <legend>Where the checklist comes from</legend>
        <label className="choice">
          <input
            type="radio"
            name={`${id}-source`}
            checked={form.checklist_source === "loaded"}
            onChange={() => set({ checklist_source: "loaded" })}
          />
          <span>A built-in or already loaded checklist</span>
        </label>
        <label className="choice">
          <input
            type="radio"
            name={`${id}-source`}
            checked={form.checklist_source === "upload"}
            disabled={!canUpload}
            onChange={() => set({ checklist_source: "upload" })}
          />
          <span>
            Upload a YAML or JSON file{" "}
            {!canUpload && <span className="muted">(only admins and users allowed to load checklists can)</span>}
          </span>
        </label>
      </fieldset>
      {loadError && (
        <p role="alert" className="error">
          {loadError}
        </p>
      )}

      {form.checklist_source === "loaded" ? (
        <>
          <Field
            id={`${id}-version`}
            label={`Checklist for ${form.media_type}s`}
            error={errors.checklist_version}
            hint={versions && !choices.length ? `No other checklist for ${form.media_type}s is loaded yet.` : undefined}
          >
            {(describedBy, invalid) => (
              <select
                id={`${id}-version`}
                value={form.checklist_version != null && form.checklist_version !== current ? form.checklist_version : ""}
                onChange={(e) => set({ checklist_version: e.target.value ? Number(e.target.value) : null })}
                aria-describedby={describedBy}
                aria-invalid={invalid}
                disabled={!versions}
              >
                <option value="">{versions ? "Choose a checklist…" : "Loading checklists…"}</option>
                {choices.map((v) => (
                  <option key={v.id} value={v.id}>
                    {v.title} ({versionLabel(v)}) · {v.question_count} questions
                  </option>
                ))}
              </select>
            )}
          </Field>
          {detail && detail.id === form.checklist_version && detail.id !== current && (
            <ChecklistPreview
              definition={detail.definition}
              label={versionLabel(detail)}
              questionCount={detail.question_count}
              subDimensionCount={detail.sub_dimension_count}
            />
          )}
        </>
      ) : (
        <>
          <Field
            id={`${id}-file`}
            label="Checklist file"
            error={fileMessage}
            hint="Checked at once, nothing is saved: every problem is listed with its line. The format is in docs/checklist-format.md."
          >
            {(describedBy, invalid) => (
              <input
                id={`${id}-file`}
                type="file"
                accept=".yaml,.yml,.json,application/json,application/yaml,text/yaml"
                onChange={choose}
                aria-describedby={describedBy}
                aria-invalid={invalid}
              />
            )}
          </Field>
          {reading && <p role="status">Checking the file…</p>}
          {upload && upload.problems.length > 0 && <ChecklistProblems upload={upload} />}
          {upload?.preview && (
            <>
              <p role="status" className="ok-note">
                {upload.filename} is a valid checklist:{" "}
                {upload.preview.existing
                  ? `identical to ${versionLabel(upload.preview.existing)}, which will be used.`
                  : `it becomes ${upload.preview.key} v${upload.preview.version} when you confirm.`}
              </p>
              <ChecklistPreview
                definition={upload.preview.definition}
                label={`${upload.preview.key} v${upload.preview.version}${upload.preview.existing ? "" : ", new"}`}
                questionCount={upload.preview.question_count}
                subDimensionCount={upload.preview.sub_dimension_count}
              />
            </>
          )}
        </>
      )}
    </>
  );
}

export function WorkStep({ form, set, errors }: StepProps) {
  const id = useId();
  return (
    <>
      <Field
        id={`${id}-overlap`}
        label="Overlap k: annotators per item"
        error={errors.overlap}
        hint={`How many different annotators answer each item (1 to ${MAX_OVERLAP}); agreement needs 2 or more.`}
      >
        {(describedBy, invalid) => (
          <input
            id={`${id}-overlap`}
            type="number"
            inputMode="numeric"
            min={1}
            max={MAX_OVERLAP}
            value={form.overlap}
            onChange={(e) => set({ overlap: e.target.value })}
            aria-describedby={describedBy}
            aria-invalid={invalid}
          />
        )}
      </Field>
      <Field
        id={`${id}-lease`}
        label="Lease length (minutes)"
        error={errors.lease_seconds}
        hint="How long a claimed item stays with its annotator without activity before it goes back to the queue."
      >
        {(describedBy, invalid) => (
          <input
            id={`${id}-lease`}
            type="number"
            inputMode="numeric"
            min={1}
            max={MAX_LEASE_MINUTES}
            value={form.lease_minutes}
            onChange={(e) => set({ lease_minutes: e.target.value })}
            aria-describedby={describedBy}
            aria-invalid={invalid}
          />
        )}
      </Field>
      <div className="field">
        <label className="check">
          <input
            type="checkbox"
            checked={form.pair_tasks}
            onChange={(e) => set({ pair_tasks: e.target.checked })}
            aria-describedby={`${id}-pairs-hint`}
          />
          Pair tasks
        </label>
        <span id={`${id}-pairs-hint`} className="muted hint">
          On: every two ready assets with the same prompt also become a pair task (A against B, rated 1 to 5), after
          each import — the preference pairs that fit the weights.
        </span>
        {errors.pair_tasks && <span className="error hint">{errors.pair_tasks}</span>}
      </div>
    </>
  );
}

export function InstructionsStep({ form, set, errors }: StepProps) {
  const id = useId();
  return (
    <div className="instructions-editor">
      <Field
        id={`${id}-instructions`}
        label="Instructions for annotators (Markdown)"
        error={errors.instructions}
        hint="# headings, - lists, **bold**, *italic*, `code` and [links](https://…). Shown with the `i` key on the annotate screen."
      >
        {(describedBy, invalid) => (
          <textarea
            id={`${id}-instructions`}
            value={form.instructions}
            rows={12}
            onChange={(e) => set({ instructions: e.target.value })}
            aria-describedby={describedBy}
            aria-invalid={invalid}
          />
        )}
      </Field>
      <section className="instructions-preview" aria-labelledby={`${id}-preview`} data-testid="instructions-preview">
        <h3 id={`${id}-preview`}>Preview, as annotators see it</h3>
        <div className="instructions-text">
          {form.instructions.trim() ? (
            <Markdown text={form.instructions} headingLevel={4} />
          ) : (
            <p className="muted">No instructions: annotators see only the checklist's own.</p>
          )}
        </div>
      </section>
    </div>
  );
}
