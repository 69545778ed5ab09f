import type { ReactNode } from "react";
import type { WeightSet } from "../../types";
import { setName } from "../weights/WeightSetView";

// The fields and the actions the two "new dataset version" forms share (ExportForm and
// DominanceForm): the weight set, the name, the description, and the error + submit row. Each
// form keeps its own ids, hints and per-field errors and hands them in.

interface FieldProps {
  /** The control's id (the label points at it). */
  id: string;
  /** aria-invalid: true when the field has an error. */
  invalid?: true;
  /** aria-describedby: the ids of the field's hint and error, if any. */
  describedBy?: string;
  /** The hint under the field (already wrapped in its element). */
  hint?: ReactNode;
  /** The field's error (already wrapped in its element), or null. */
  error?: ReactNode;
}

interface WeightSetFieldProps extends FieldProps {
  value: string;
  onChange: (value: string) => void;
  /** The project's weight sets (null while they load). */
  sets: WeightSet[] | null | undefined;
  disabled?: boolean;
  /** The first option's text when the project has no active set. */
  noActiveLabel: string;
}

/** The weight set whose scores go into the version: "" is the project's active one. */
export function WeightSetField({ id, value, onChange, sets, disabled, noActiveLabel, invalid, describedBy, hint, error }: WeightSetFieldProps) {
  const active = sets?.find((s) => s.status === "active") ?? null;
  return (
    <div className="field">
      <label htmlFor={id}>Weight set</label>
      <select
        id={id}
        value={value}
        disabled={disabled}
        onChange={(e) => onChange(e.target.value)}
        aria-describedby={describedBy}
        aria-invalid={invalid}
      >
        <option value="">{active ? `The active one: ${setName(active)}` : noActiveLabel}</option>
        {(sets ?? []).map((s) => (
          <option key={s.id} value={String(s.id)}>
            {setName(s)}, {s.status}
          </option>
        ))}
      </select>
      {hint}
      {error}
    </div>
  );
}

interface TextFieldProps extends FieldProps {
  value: string;
  onChange: (value: string) => void;
}

/** The dataset's name (each export of a name is its next version). */
export function NameField({ id, value, onChange, invalid, describedBy, hint, error }: TextFieldProps) {
  return (
    <div className="field">
      <label htmlFor={id}>Name</label>
      <input
        id={id}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        autoComplete="off"
        spellCheck={false}
        aria-describedby={describedBy}
        aria-invalid={invalid}
      />
      {hint}
      {error}
    </div>
  );
}

/** The version's description (free text, optional). */
export function DescriptionField({ id, value, onChange, invalid, describedBy, error }: Omit<TextFieldProps, "hint">) {
  return (
    <div className="field wide">
      <label htmlFor={id}>Description</label>
      <textarea
        id={id}
        rows={2}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-describedby={describedBy}
        aria-invalid={invalid}
      />
      {error}
    </div>
  );
}

interface ActionsProps {
  /** The request's error (shown as an alert above the button), or "". */
  error: string;
  submitting: boolean;
  /** No project to export: nothing to submit. */
  disabled: boolean;
  /** The button's text while idle. */
  label: string;
}

/** The request's error and the submit button ("Starting…" while the request runs). */
export function VersionFormActions({ error, submitting, disabled, label }: ActionsProps) {
  return (
    <>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={submitting || disabled}>
          {submitting ? "Starting…" : label}
        </button>
      </div>
    </>
  );
}
