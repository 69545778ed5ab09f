import { useRef, useState, type FormEvent } from "react";
import { api, fieldErrors } from "../../api";
import type { ModelSpec } from "../../types";
import { Field } from "../Field";
import { message } from "../weights/format";
import { BATCH_SIZE, DEVICES, DTYPES, EMPTY_DRAFT, MAX_FRAMES, QUEUES, checkDraft, draftOf, type ModelDraft } from "./modelForm";

// The model registry's form (staff): register a model or edit one. Every field of ModelSpec,
// checked as the server checks it; the server's 400 is shown next to the field it names.

interface Props {
  /** The model being edited; null: a new one. */
  model: ModelSpec | null;
  onSaved: (model: ModelSpec) => void;
  onCancel: () => void;
}

const ORDER = ["name", "title", "source", "revision", "dtype", "device", "queue", "batch_size", "max_frames"];

export default function ModelForm({ model, onSaved, onCancel }: Props) {
  const [draft, setDraft] = useState<ModelDraft>(model ? draftOf(model) : EMPTY_DRAFT);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [saving, setSaving] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const set = <K extends keyof ModelDraft>(key: K, value: ModelDraft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const id = (key: string) => `model-${key.replace(/_/g, "-")}`;

  const focusFirst = (problems: Record<string, string>) => {
    const first = [...ORDER, "confirm_trust_remote_code", "trust_remote_code", "notes"].find((k) => problems[k]);
    if (first) (form.current?.querySelector(`#${id(first)}`) as HTMLElement | null)?.focus();
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError("");
    const { body, errors: problems } = checkDraft(draft, model);
    setErrors(problems);
    if (!body) {
      focusFirst(problems);
      return;
    }
    setSaving(true);
    try {
      const saved = model ? await api.updateModel(model.name, body) : await api.createModel(body);
      onSaved(saved);
    } catch (exc) {
      const byField = fieldErrors(exc);
      setErrors(byField);
      const known = new Set([...ORDER, "trust_remote_code", "confirm_trust_remote_code", "enabled", "notes"]);
      const other = Object.entries(byField).filter(([key]) => !known.has(key));
      setError(other.length ? other.map(([k, v]) => (k ? `${k}: ${v}` : v)).join(" ") : Object.keys(byField).length ? "" : message(exc));
      focusFirst(byField);
    } finally {
      setSaving(false);
    }
  };

  const text = (key: "name" | "title" | "source" | "revision", label: string, hint?: string, extra: object = {}) => (
    <Field id={id(key)} label={label} hint={hint} error={errors[key]}>
      {(describedBy, invalid) => (
        <input
          id={id(key)}
          value={draft[key]}
          onChange={(e) => set(key, e.target.value)}
          autoComplete="off"
          spellCheck={false}
          aria-describedby={describedBy}
          aria-invalid={invalid}
          {...extra}
        />
      )}
    </Field>
  );
  const choice = (key: "dtype" | "device" | "queue", label: string, options: readonly (readonly [string, string])[], hint?: string) => (
    <Field id={id(key)} label={label} hint={hint} error={errors[key]}>
      {(describedBy, invalid) => (
        <select id={id(key)} value={draft[key]} onChange={(e) => set(key, e.target.value)} aria-describedby={describedBy} aria-invalid={invalid}>
          {options.map(([value, title]) => (
            <option key={value} value={value}>
              {title}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
  const number = (key: "batch_size" | "max_frames", label: string, [min, max]: readonly [number, number], hint: string) => (
    <Field id={id(key)} label={label} hint={hint} error={errors[key]}>
      {(describedBy, invalid) => (
        <input
          id={id(key)}
          type="number"
          inputMode="numeric"
          min={min}
          max={max}
          step={1}
          value={draft[key]}
          onChange={(e) => set(key, e.target.value)}
          aria-describedby={describedBy}
          aria-invalid={invalid}
        />
      )}
    </Field>
  );

  const trustNeedsConfirm =
    draft.trust_remote_code &&
    (!model?.trust_remote_code || model.source !== draft.source.trim() || (model.revision ?? "") !== draft.revision.trim());

  return (
    <form ref={form} className="model-form" onSubmit={submit} noValidate aria-labelledby="model-form-title">
      <h3 id="model-form-title">{model ? `Edit model ${model.name}` : "Register a model"}</h3>
      <div className="model-form-grid">
        {text("name", "Name", "Stored on every prediction; letters, digits, - and _.", { readOnly: !!model, required: true })}
        {text("title", "Title", "Optional, for people.")}
        {text("source", "Hub id or local path", "owner/name on the Hub (read from the workers' cache), or a folder on the workers.", {
          required: true,
        })}
        {text("revision", "Revision", "Hub branch, tag or commit; empty: the default.")}
        {choice("dtype", "Weights dtype", DTYPES)}
        {choice("device", "Device", DEVICES)}
        {choice(
          "queue",
          "Queue",
          QUEUES.map((q) => [q, q] as const),
          "The Celery queue whose workers load it.",
        )}
        {number("batch_size", "Batch size", BATCH_SIZE, `Questions scored per forward pass (${BATCH_SIZE[0]}–${BATCH_SIZE[1]}).`)}
        {number("max_frames", "Video frames", MAX_FRAMES, `Frames of a video the model sees (${MAX_FRAMES[0]}–${MAX_FRAMES[1]}).`)}
      </div>
      <div className="field checkbox-field">
        <label>
          <input id={id("enabled")} type="checkbox" checked={draft.enabled} onChange={(e) => set("enabled", e.target.checked)} /> Enabled
          (disabled models start no new jobs)
        </label>
        {errors.enabled && <span className="error hint">{errors.enabled}</span>}
      </div>
      <div className="field checkbox-field">
        <label>
          <input
            id={id("trust_remote_code")}
            type="checkbox"
            checked={draft.trust_remote_code}
            onChange={(e) => set("trust_remote_code", e.target.checked)}
            aria-describedby={`${id("trust_remote_code")}-hint`}
          />{" "}
          Run the source&apos;s own code (trust_remote_code)
        </label>
        <span id={`${id("trust_remote_code")}-hint`} className="muted hint">
          Only for sources you trust; needs the permission to allow remote code, and every such decision is recorded.
        </span>
        {errors.trust_remote_code && <span className="error hint">{errors.trust_remote_code}</span>}
      </div>
      {trustNeedsConfirm && (
        <div className="field checkbox-field">
          <label>
            <input
              id={id("confirm_trust_remote_code")}
              type="checkbox"
              checked={!!draft.confirm_trust_remote_code}
              onChange={(e) => set("confirm_trust_remote_code", e.target.checked)}
              aria-invalid={errors.confirm_trust_remote_code ? true : undefined}
              aria-describedby={errors.confirm_trust_remote_code ? `${id("confirm_trust_remote_code")}-error` : undefined}
            />{" "}
            I confirm that {draft.source.trim() || "this source"}
            {draft.revision.trim() ? `@${draft.revision.trim()}` : ""} may run its own code on the workers
          </label>
          {errors.confirm_trust_remote_code && (
            <span id={`${id("confirm_trust_remote_code")}-error`} className="error hint">
              {errors.confirm_trust_remote_code}
            </span>
          )}
        </div>
      )}
      <Field id={id("notes")} label="Notes" error={errors.notes}>
        {(describedBy, invalid) => (
          <textarea id={id("notes")} value={draft.notes} onChange={(e) => set("notes", e.target.value)} aria-describedby={describedBy} aria-invalid={invalid} />
        )}
      </Field>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {Object.keys(errors).length > 0 && !error && (
        <p role="alert" className="error">
          Some fields need attention: {Object.keys(errors).length} problem(s) shown next to them.
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={saving}>
          {saving ? "Saving…" : model ? "Save changes" : "Register model"}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
