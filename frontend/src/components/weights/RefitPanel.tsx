import { useEffect, useId, useState, type FormEvent } from "react";
import { api, fieldErrors } from "../../api";
import type { RefitPolicy, WeightSet } from "../../types";
import { count, message, percent1, when } from "./format";
import { SETTING_FIELDS, formFromSettings, settingsFromForm, type SettingKey, type SettingsForm } from "./settings";
import type { Refit } from "./useRefit";
import { setName } from "./WeightSetView";

// Fit new weights now (the settings, Start, the job's progress and outcome) and the policy that
// refits by itself once enough new pairs are labelled (it uses the same settings).

interface Props {
  projectId: number;
  form: SettingsForm;
  onFormChange: (form: SettingsForm, fromUser: boolean) => void;
  refit: Refit;
  /** To tell what the finished refit produced (the set whose `job` is the refit's). */
  sets: WeightSet[] | null;
  /** Changes when the policy's counts may have changed (after a refit). */
  reloadKey: number;
  /** Called with the settings to start; problems with the form stop it here. */
  onStart: () => void;
  problems: Partial<Record<SettingKey, string>>;
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

export default function RefitPanel({ projectId, form, onFormChange, refit, sets, reloadKey, onStart, problems }: Props) {
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

  const start = (event: FormEvent) => {
    event.preventDefault();
    onStart();
  };

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
  const busy = refit.starting || refit.running;
  const newPairs = policy?.new_pairs;

  return (
    <>
      <form className="refit-form" aria-labelledby={`${base}-refit`} onSubmit={start} noValidate>
        <h3 id={`${base}-refit`}>Fit new weights</h3>
        <p className="muted">
          Fits one weight per question on the labelled pairs (logistic regression on the difference of the two
          assets&apos; answers) and measures it on held-out pairs.
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
        {refit.error && (
          <p role="alert" className="error">
            {refit.error}
          </p>
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Refitting…" : "Start refit"}
          </button>
        </div>
        <JobOutcome refit={refit} sets={sets} />
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
