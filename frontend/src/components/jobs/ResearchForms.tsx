import { useEffect, useId, useState, type FormEvent } from "react";
import { api, fieldErrors } from "../../api";
import { Field } from "../Field";
import type { DatasetVersion, EvaluateRequest, FinetuneRequest, Job, ModelSpec, WeightSet } from "../../types";
import { message } from "../weights/format";
import { setName } from "../weights/WeightSetView";
import { FINETUNE_FIELDS, defaultFinetuneForm, finetuneSettings, type FinetuneForm, type FinetuneKey } from "./finetune";

// "Start a research job": fine-tune a model on a ready dataset version, or evaluate a model and/or
// a weight set on one. Problems found here and the server's per-field messages show beside their
// field; the started job is handed to the page, which selects and follows it.

interface Options<T> {
  items: T[] | null;
  error: string;
}

function useOptions<T>(load: () => Promise<{ results: T[] }>): Options<T> {
  const [state, setState] = useState<Options<T>>({ items: null, error: "" });
  useEffect(() => {
    let live = true;
    load().then(
      (page) => live && setState({ items: page.results, error: "" }),
      (exc) => live && setState({ items: null, error: message(exc) }),
    );
    return () => {
      live = false;
    };
    // `load` is a fresh arrow each render; the options are read once.
  }, []);
  return state;
}

const modelName = (m: ModelSpec) => (m.title && m.title !== m.name ? `${m.title} (${m.name})` : m.name);

function OptionsNote({ what, options }: { what: string; options: Options<unknown> }) {
  if (options.error)
    return (
      <p role="alert" className="error">
        The {what} cannot be read: {options.error}
      </p>
    );
  if (!options.items) return <p role="status">Loading {what}…</p>;
  return null;
}

interface FormProps {
  versions: Options<DatasetVersion>;
  models: Options<ModelSpec>;
  onStarted: (job: Job, what: string) => void;
}

function FinetuneFormView({ versions, models, onStarted }: FormProps) {
  const base = useId();
  const [datasetVersion, setDatasetVersion] = useState("");
  const [model, setModel] = useState("");
  const [name, setName] = useState("");
  const [settings, setSettings] = useState<FinetuneForm>(defaultFinetuneForm);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [submitting, setSubmitting] = useState(false);

  const errorOf = (field: string) => problems[field] ?? serverErrors[field];

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError("");
    setServerErrors({});
    const { settings: values, problems: bad } = finetuneSettings(settings);
    const found: Record<string, string> = Object.fromEntries(Object.entries(bad).map(([k, v]) => [`settings.${k}`, v]));
    if (!datasetVersion) found.dataset_version = "Choose a dataset version.";
    if (!model) found.model = "Choose a base model.";
    setProblems(found);
    if (Object.keys(found).length) {
      setError("Correct the marked fields.");
      return;
    }
    const body: FinetuneRequest = { dataset_version: Number(datasetVersion), model, settings: values };
    if (name.trim()) body.name = name.trim();
    setSubmitting(true);
    try {
      const job = await api.startFinetune(body);
      onStarted(job, "Fine-tune");
    } catch (exc) {
      setError(message(exc));
      setServerErrors(fieldErrors(exc));
    } finally {
      setSubmitting(false);
    }
  };

  const enabled = (models.items ?? []).filter((m) => m.enabled !== false);
  return (
    <form className="research-form" aria-labelledby={`${base}-title`} onSubmit={submit} noValidate data-testid="finetune-form">
      <h3 id={`${base}-title`}>Fine-tune a model</h3>
      <p className="muted">Trains a new model (LoRA on a base model) on a ready dataset version&apos;s checklist answers.</p>
      <div className="research-grid">
        <Field id={`${base}-dv`} label="Dataset version" error={errorOf("dataset_version")}>
          {(describedBy, invalid) => (
            <select
              id={`${base}-dv`}
              value={datasetVersion}
              onChange={(e) => setDatasetVersion(e.target.value)}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            >
              <option value="">Choose…</option>
              {(versions.items ?? []).map((v) => (
                <option key={v.id} value={v.id}>
                  {v.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field id={`${base}-model`} label="Base model" error={errorOf("model")}>
          {(describedBy, invalid) => (
            <select id={`${base}-model`} value={model} onChange={(e) => setModel(e.target.value)} aria-describedby={describedBy} aria-invalid={invalid}>
              <option value="">Choose…</option>
              {enabled.map((m) => (
                <option key={m.name} value={m.name}>
                  {modelName(m)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field id={`${base}-name`} label="New model name" error={errorOf("name")} hint="Optional; the server names it otherwise.">
          {(describedBy, invalid) => (
            <input
              id={`${base}-name`}
              value={name}
              autoComplete="off"
              onChange={(e) => setName(e.target.value)}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            />
          )}
        </Field>
      </div>
      <fieldset className="settings-grid">
        <legend>Training settings</legend>
        {FINETUNE_FIELDS.map((f) => {
          const id = `${base}-${f.key}`;
          return (
            <Field key={f.key} id={id} label={f.label} hint={f.hint} error={errorOf(`settings.${f.key}`)}>
              {(describedBy, invalid) => (
                <input
                  id={id}
                  name={f.key}
                  type="number"
                  inputMode="decimal"
                  step={f.step}
                  min={f.min}
                  max={f.max}
                  value={settings[f.key as FinetuneKey]}
                  onChange={(e) => setSettings((s) => ({ ...s, [f.key]: e.target.value }))}
                  aria-describedby={describedBy}
                  aria-invalid={invalid}
                />
              )}
            </Field>
          );
        })}
      </fieldset>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={submitting || !versions.items || !models.items}>
          {submitting ? "Starting…" : "Start fine-tune"}
        </button>
      </div>
    </form>
  );
}

function EvaluateFormView({ versions, models, sets, onStarted }: FormProps & { sets: Options<WeightSet> }) {
  const base = useId();
  const [datasetVersion, setDatasetVersion] = useState("");
  const [model, setModel] = useState("");
  const [weightSet, setWeightSet] = useState("");
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [submitting, setSubmitting] = useState(false);

  const errorOf = (field: string) => problems[field] ?? serverErrors[field];

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError("");
    setServerErrors({});
    const found: Record<string, string> = {};
    if (!datasetVersion) found.dataset_version = "Choose a dataset version.";
    if (!model && !weightSet) {
      found.model = "Choose a model, a weight set or both.";
      found.weight_set = "Choose a weight set, a model or both.";
    }
    setProblems(found);
    if (Object.keys(found).length) {
      setError(!model && !weightSet ? "Choose what to evaluate: a model, a weight set or both." : "Correct the marked fields.");
      return;
    }
    const body: EvaluateRequest = { dataset_version: Number(datasetVersion) };
    if (model) body.model = model;
    if (weightSet) body.weight_set = Number(weightSet);
    setSubmitting(true);
    try {
      const job = await api.startEvaluate(body);
      onStarted(job, "Evaluation");
    } catch (exc) {
      setError(message(exc));
      setServerErrors(fieldErrors(exc));
    } finally {
      setSubmitting(false);
    }
  };

  const enabled = (models.items ?? []).filter((m) => m.enabled !== false);
  return (
    <form className="research-form" aria-labelledby={`${base}-title`} onSubmit={submit} noValidate data-testid="evaluate-form">
      <h3 id={`${base}-title`}>Evaluate</h3>
      <p className="muted">
        Measures a model (accuracy and Brier score per question) and/or a weight set (accuracy on the rated pairs) on a
        ready dataset version.
      </p>
      <div className="research-grid">
        <Field id={`${base}-dv`} label="Dataset version" error={errorOf("dataset_version")}>
          {(describedBy, invalid) => (
            <select
              id={`${base}-dv`}
              value={datasetVersion}
              onChange={(e) => setDatasetVersion(e.target.value)}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            >
              <option value="">Choose…</option>
              {(versions.items ?? []).map((v) => (
                <option key={v.id} value={v.id}>
                  {v.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field id={`${base}-model`} label="Model" error={errorOf("model")} hint="Optional if a weight set is chosen.">
          {(describedBy, invalid) => (
            <select id={`${base}-model`} value={model} onChange={(e) => setModel(e.target.value)} aria-describedby={describedBy} aria-invalid={invalid}>
              <option value="">None</option>
              {enabled.map((m) => (
                <option key={m.name} value={m.name}>
                  {modelName(m)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field id={`${base}-ws`} label="Weight set" error={errorOf("weight_set")} hint="Optional if a model is chosen.">
          {(describedBy, invalid) => (
            <select
              id={`${base}-ws`}
              value={weightSet}
              onChange={(e) => setWeightSet(e.target.value)}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            >
              <option value="">None</option>
              {(sets.items ?? []).map((s) => (
                <option key={s.id} value={s.id}>
                  {setName(s)}, {s.status}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={submitting || !versions.items}>
          {submitting ? "Starting…" : "Start evaluation"}
        </button>
      </div>
    </form>
  );
}

/** Both forms, with the dataset versions, models and weight sets they choose from (read once). */
export default function ResearchForms({ projectId, onStarted }: { projectId: number; onStarted: (job: Job, what: string) => void }) {
  const versions = useOptions(api.readyDatasetVersions);
  const models = useOptions(api.models);
  const sets = useOptions(() => api.weightSets(projectId));
  return (
    <>
      <OptionsNote what="dataset versions" options={versions} />
      <OptionsNote what="models" options={models} />
      <OptionsNote what="weight sets" options={sets} />
      {versions.items && !versions.items.length && (
        <p className="muted">No dataset version is ready yet: export one under Datasets first.</p>
      )}
      <div className="research-forms">
        <FinetuneFormView versions={versions} models={models} onStarted={onStarted} />
        <EvaluateFormView versions={versions} models={models} sets={sets} onStarted={onStarted} />
      </div>
    </>
  );
}
