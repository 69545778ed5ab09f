import { useEffect, useId, useState, type FormEvent } from "react";
import { api, fieldErrors } from "../../api";
import type { RefitPolicy } from "../../types";
import { count, message, when } from "./format";
import { SETTING_FIELDS, formFromSettings, settingsFromForm, type SettingKey, type SettingsForm } from "./settings";
import type { Refit } from "./useRefit";

// The fit settings of a refit (started from the page's one Start refit button, RefitStart) and the
// policy that refits by itself once enough new pairs are labelled (it uses the same settings).

interface Props {
  projectId: number;
  form: SettingsForm;
  onFormChange: (form: SettingsForm, fromUser: boolean) => void;
  /** The refit, for the server's messages about its settings. */
  refit: Refit;
  /** Changes when the policy's counts may have changed (after a refit). */
  reloadKey: number;
  problems: Partial<Record<SettingKey, string>>;
}

export default function RefitPanel({ projectId, form, onFormChange, refit, reloadKey, problems }: Props) {
  const base = useId();
  const [policy, setPolicy] = useState<RefitPolicy | null>(null);
  const [policyError, setPolicyError] = useState("");
  const [policyErrors, setPolicyErrors] = useState<Record<string, string>>({});
  const [policyStatus, setPolicyStatus] = useState("");
  const [enabled, setEnabled] = useState(false);
  const [minPairs, setMinPairs] = useState("");
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    let live = true;
    api.refitPolicy(projectId).then(
      (p) => {
        if (!live) return;
        setPolicy(p);
        setEnabled(p.enabled);
        setMinPairs(String(p.min_new_pairs));
        onFormChange(formFromSettings(p.settings), false);
      },
      (exc) => live && setPolicyError(message(exc)),
    );
    return () => {
      live = false;
    };
    // onFormChange is the page's stable setter; it ignores saved settings once the form was edited.
  }, [projectId, reloadKey, onFormChange]);


  const savePolicy = async (event: FormEvent) => {
    event.preventDefault();
    setPolicyError("");
    setPolicyErrors({});
    setPolicyStatus("");
    const { settings, problems: bad } = settingsFromForm(form);
    const min = Number(minPairs);
    if (!minPairs.trim() || !Number.isInteger(min) || min < 1) {
      setPolicyErrors({ min_new_pairs: "Enter a whole number of pairs, 1 or more." });
      return;
    }
    if (Object.keys(bad).length) {
      setPolicyError("Correct the fit settings above first.");
      return;
    }
    setSaving(true);
    try {
      const saved = await api.saveRefitPolicy(projectId, { enabled, min_new_pairs: min, settings });
      setPolicy(saved);
      setEnabled(saved.enabled);
      setMinPairs(String(saved.min_new_pairs));
      setPolicyStatus(saved.enabled ? `Saved: refit after ${count(saved.min_new_pairs)} new labelled pairs.` : "Saved: automatic refits are off.");
    } catch (exc) {
      setPolicyError(message(exc));
      setPolicyErrors(fieldErrors(exc));
    } finally {
      setSaving(false);
    }
  };

  const errorOf = (key: SettingKey) => problems[key] ?? refit.errors[key] ?? policyErrors[`settings.${key}`];
  const newPairs = policy?.new_pairs;

  return (
    <>
      <form className="refit-form" aria-labelledby={`${base}-refit`} onSubmit={(e) => e.preventDefault()} noValidate>
        <h3 id={`${base}-refit`}>Fit settings</h3>
        <p className="muted">
          A refit fits one weight per question on the labelled pairs (logistic regression on the difference of the two
          assets&apos; answers) and measures it on held-out pairs. It starts with <strong>Start refit</strong> at the
          top of the page, with these settings.
        </p>
        <fieldset className="settings-grid">
          <legend>Fit settings</legend>
          {SETTING_FIELDS.map((f) => {
            const id = `${base}-${f.key}`;
            const err = errorOf(f.key);
            const describedBy = [f.hint ? `${id}-hint` : "", err ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
            const common = {
              id,
              name: f.key,
              "aria-invalid": err ? (true as const) : undefined,
              "aria-describedby": describedBy,
            };
            return (
              <div className="field" key={f.key}>
                <label htmlFor={id}>{f.label}</label>
                {f.choices ? (
                  <select {...common} value={form[f.key]} onChange={(e) => onFormChange({ ...form, [f.key]: e.target.value }, true)}>
                    {f.choices.map((c) => (
                      <option key={c.value} value={c.value}>
                        {c.label}
                      </option>
                    ))}
                  </select>
                ) : (
                  <input
                    {...common}
                    type="number"
                    inputMode="decimal"
                    step={f.step}
                    min={f.min}
                    value={form[f.key]}
                    onChange={(e) => onFormChange({ ...form, [f.key]: e.target.value }, true)}
                  />
                )}
                {f.hint && (
                  <span id={`${id}-hint`} className="muted hint">
                    {f.hint}
                  </span>
                )}
                {err && (
                  <span id={`${id}-error`} className="error hint">
                    {err}
                  </span>
                )}
              </div>
            );
          })}
        </fieldset>
      </form>

      <form className="policy-form" aria-labelledby={`${base}-policy`} onSubmit={savePolicy} noValidate>
        <h3 id={`${base}-policy`}>Automatic refits</h3>
        {!policy && !policyError && <p role="status">Loading the refit policy…</p>}
        <p data-testid="new-pairs">
          {newPairs == null ? (
            "—"
          ) : (
            <>
              <strong>{count(newPairs)}</strong> new labelled pair{newPairs === 1 ? "" : "s"} since the last fit
              {policy?.last_fit_at ? ` (${when(policy.last_fit_at)})` : " (no fit yet)"}.
            </>
          )}
        </p>
        <label className="check">
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Refit automatically
        </label>
        <div className="field inline-field">
          <label htmlFor={`${base}-min`}>Minimum new labelled pairs</label>
          <input
            id={`${base}-min`}
            type="number"
            min={1}
            step={1}
            inputMode="numeric"
            value={minPairs}
            onChange={(e) => setMinPairs(e.target.value)}
            aria-invalid={policyErrors.min_new_pairs ? true : undefined}
            aria-describedby={policyErrors.min_new_pairs ? `${base}-min-error` : undefined}
          />
          {policyErrors.min_new_pairs && (
            <span id={`${base}-min-error`} className="error hint">
              {policyErrors.min_new_pairs}
            </span>
          )}
        </div>
        <p className="muted">Automatic refits use the fit settings above, including when to promote.</p>
        {policyError && (
          <p role="alert" className="error">
            {policyError}
          </p>
        )}
        <div className="actions">
          <button type="submit" disabled={saving || (!policy && !policyError)}>
            Save policy
          </button>
          <span role="status" className="ok">
            {policyStatus}
          </span>
        </div>
      </form>
    </>
  );
}
