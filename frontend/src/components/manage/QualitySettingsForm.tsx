import { useId, useState, type FormEvent } from "react";
import { api, fieldErrors } from "../../api";
import type { Project, QualitySettings } from "../../types";

// Managers' form for the project's quality-control settings: how often gold checks are served,
// when a disagreeing task gets one more annotator, and at most how many; and from which
// confidence the annotate screen's `a` accepts the model's guesses. The shares are entered as
// percentages and sent as 0..1 (PATCH /api/projects/:id/); the server's messages show beside
// their fields.

type Field = keyof QualitySettings | "accept_threshold";

interface Props {
  project: Project;
  onSaved: (project: Project) => void;
}

const message = (exc: unknown) => (exc instanceof Error ? exc.message : String(exc));

/** 0.07 → "7" (no float noise). */
const toPercent = (share: number) => String(Number((share * 100).toFixed(4)));

/** A share typed as a percentage, or null when it is not a number from 0 to 100. */
function parsePercent(text: string): number | null {
  if (!text.trim()) return null;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 && value <= 100 ? value / 100 : null;
}

function describe(s: QualitySettings, accept?: number): string {
  const gold = `gold checks in ${toPercent(s.gold_check_rate)}% of the claims`;
  const routing =
    s.disagreement_threshold == null
      ? "routing disagreements off"
      : `up to ${s.max_extra_annotators} more annotator${s.max_extra_annotators === 1 ? "" : "s"} above ` +
        `${toPercent(s.disagreement_threshold)}% disagreement`;
  const guesses = accept !== undefined ? `, \`a\` accepts guesses at ≥ ${toPercent(accept)}% confidence` : "";
  return `Saved: ${gold}, ${routing}${guesses}.`;
}

export default function QualitySettingsForm({ project, onSaved }: Props) {
  const base = useId();
  const [rate, setRate] = useState(() => toPercent(project.gold_check_rate ?? 0.1));
  const [routing, setRouting] = useState(project.disagreement_threshold != null);
  const [threshold, setThreshold] = useState(() =>
    project.disagreement_threshold != null ? toPercent(project.disagreement_threshold) : "",
  );
  const [maxExtra, setMaxExtra] = useState(String(project.max_extra_annotators ?? 1));
  // a server without the setting (older) leaves the field out
  const hasAccept = project.accept_threshold !== undefined;
  const [accept, setAccept] = useState(() => toPercent(project.accept_threshold ?? 0.8));
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [error, setError] = useState("");
  const [saved, setSaved] = useState("");
  const [saving, setSaving] = useState(false);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setError("");
    setSaved("");
    const problems: Partial<Record<Field, string>> = {};
    const goldRate = parsePercent(rate);
    if (goldRate == null) problems.gold_check_rate = "Enter a percentage from 0 to 100.";
    const limit = routing ? parsePercent(threshold) : null;
    if (routing && limit == null) problems.disagreement_threshold = "Enter a percentage from 0 to 100, or turn routing off.";
    const extra = Number(maxExtra);
    if (!maxExtra.trim() || !Number.isInteger(extra) || extra < 0 || extra > 10)
      problems.max_extra_annotators = "Enter a whole number from 0 to 10.";
    const acceptShare = parsePercent(accept);
    if (hasAccept && (acceptShare == null || acceptShare < 0.5))
      problems.accept_threshold = "Enter a percentage from 50 to 100.";
    setErrors(problems);
    if (Object.keys(problems).length) return;

    setSaving(true);
    try {
      const body: QualitySettings = {
        gold_check_rate: goldRate!,
        disagreement_threshold: limit,
        max_extra_annotators: extra,
      };
      const updated = await api.updateQualitySettings(
        project.id,
        hasAccept ? { ...body, accept_threshold: acceptShare! } : body,
      );
      const now: QualitySettings = {
        gold_check_rate: updated?.gold_check_rate ?? body.gold_check_rate,
        disagreement_threshold:
          updated && updated.disagreement_threshold !== undefined ? updated.disagreement_threshold : body.disagreement_threshold,
        max_extra_annotators: updated?.max_extra_annotators ?? body.max_extra_annotators,
      };
      setRate(toPercent(now.gold_check_rate));
      setRouting(now.disagreement_threshold != null);
      if (now.disagreement_threshold != null) setThreshold(toPercent(now.disagreement_threshold));
      setMaxExtra(String(now.max_extra_annotators));
      const acceptNow = hasAccept ? (updated?.accept_threshold ?? acceptShare!) : undefined;
      if (acceptNow !== undefined) setAccept(toPercent(acceptNow));
      setSaved(describe(now, acceptNow));
      onSaved({ ...project, ...(updated ?? {}), ...now, ...(acceptNow !== undefined ? { accept_threshold: acceptNow } : {}) });
    } catch (exc) {
      setError(`Not saved: ${message(exc)}`);
      const server = fieldErrors(exc);
      setErrors({
        gold_check_rate: server.gold_check_rate,
        disagreement_threshold: server.disagreement_threshold,
        max_extra_annotators: server.max_extra_annotators,
        accept_threshold: server.accept_threshold,
      });
    } finally {
      setSaving(false);
    }
  };

  /** Props tying an input to its hint and its message. */
  const described = (field: Field, hint: boolean) => {
    const err = errors[field];
    const ids = [hint ? `${base}-${field}-hint` : "", err ? `${base}-${field}-error` : ""].filter(Boolean).join(" ");
    return {
      id: `${base}-${field}`,
      name: field,
      "aria-invalid": err ? (true as const) : undefined,
      "aria-describedby": ids || undefined,
    };
  };
  const errorOf = (field: Field) =>
    errors[field] ? (
      <span id={`${base}-${field}-error`} className="error hint">
        {errors[field]}
      </span>
    ) : null;

  return (
    <section aria-labelledby={`${base}-title`} className="card manage-section">
      <h2 id={`${base}-title`}>Quality control settings</h2>
      <form className="quality-settings" onSubmit={save} noValidate aria-labelledby={`${base}-title`}>
        <div className="settings-grid quality-settings-grid">
          <div className="field">
            <label htmlFor={`${base}-gold_check_rate`}>Gold check rate (%)</label>
            <input
              {...described("gold_check_rate", true)}
              type="number"
              inputMode="decimal"
              min={0}
              max={100}
              step="any"
              value={rate}
              onChange={(e) => setRate(e.target.value)}
            />
            <span id={`${base}-gold_check_rate-hint`} className="muted hint">
              Share of an annotator&apos;s claims that serve a gold check they never had; 0 serves none.
            </span>
            {errorOf("gold_check_rate")}
          </div>
          <div className="field">
            <label className="check">
              <input type="checkbox" checked={routing} onChange={(e) => setRouting(e.target.checked)} /> Route
              disagreements
            </label>
            <label htmlFor={`${base}-disagreement_threshold`}>Disagreement threshold (%)</label>
            <input
              {...described("disagreement_threshold", true)}
              type="number"
              inputMode="decimal"
              min={0}
              max={100}
              step="any"
              value={routing ? threshold : ""}
              disabled={!routing}
              onChange={(e) => setThreshold(e.target.value)}
            />
            <span id={`${base}-disagreement_threshold-hint`} className="muted hint">
              A task whose annotations disagree more than this gets one more annotator; off: never.
            </span>
            {errorOf("disagreement_threshold")}
          </div>
          <div className="field">
            <label htmlFor={`${base}-max_extra_annotators`}>Max extra annotators</label>
            <input
              {...described("max_extra_annotators", true)}
              type="number"
              inputMode="numeric"
              min={0}
              max={10}
              step={1}
              value={maxExtra}
              onChange={(e) => setMaxExtra(e.target.value)}
            />
            <span id={`${base}-max_extra_annotators-hint`} className="muted hint">
              0 to 10 per task.
            </span>
            {errorOf("max_extra_annotators")}
          </div>
          {hasAccept && (
            <div className="field">
              <label htmlFor={`${base}-accept_threshold`}>Accept pre-fill from (% confidence)</label>
              <input
                {...described("accept_threshold", true)}
                type="number"
                inputMode="decimal"
                min={50}
                max={100}
                step="any"
                value={accept}
                onChange={(e) => setAccept(e.target.value)}
              />
              <span id={`${base}-accept_threshold-hint`} className="muted hint">
                On the annotate screen, <kbd>a</kbd> accepts only the model&apos;s guesses this confident; the others are
                marked &ldquo;uncertain — check&rdquo; for the annotator. 50 to 100.
              </span>
              {errorOf("accept_threshold")}
            </div>
          )}
        </div>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={saving}>
            {saving ? "Saving…" : "Save settings"}
          </button>
          <span role="status" className="ok">
            {saved}
          </span>
        </div>
      </form>
    </section>
  );
}
