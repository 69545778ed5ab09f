import { useEffect, useId, useState, type FormEvent } from "react";
import { api, fieldErrors } from "../../api";
import type { Dimension, DominanceStats, ExportStarted, Project, WeightSet } from "../../types";
import { count, message } from "../weights/format";
import { SOURCES, defaultDominanceForm, dominanceRequest, formField, ruleFromForm, type DominanceFormState } from "./dominanceForm";
import { DescriptionField, NameField, VersionFormActions, WeightSetField } from "./VersionFormParts";

// "Dominance pairs": a dataset version of multi-dimensionally consistent preference pairs (for
// MPO / DPO training). The rule is edited here (source, dimensions with a margin each, pairs per
// prompt); what it yields on the project is shown live, per dimension, before anything is
// exported (POST /api/projects/:id/datasets/dominance-stats/).

interface Props {
  /** The projects the user may export. */
  projects: Project[];
  onStarted: (started: ExportStarted) => void;
  /** How long the rule must stay unchanged before its statistics are asked for. */
  debounceMs?: number;
}

export default function DominanceForm({ projects, onStarted, debounceMs = 300 }: Props) {
  const base = useId();
  const [form, setForm] = useState<DominanceFormState>(() => defaultDominanceForm([], projects[0]?.id ?? null));
  const [dimensions, setDimensions] = useState<Dimension[] | null>(null);
  const [sets, setSets] = useState<WeightSet[] | null>(null);
  const [loadError, setLoadError] = useState("");
  const [stats, setStats] = useState<DominanceStats | null>(null);
  const [statsError, setStatsError] = useState("");
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [submitting, setSubmitting] = useState(false);

  const project = projects.find((p) => p.id === form.project) ?? null;

  // The project's checklist (its dimensions) and weight sets.
  useEffect(() => {
    if (!project) return;
    let live = true;
    setDimensions(null);
    setSets(null);
    setLoadError("");
    Promise.all([api.checklist(project.checklist_version), api.weightSets(project.id)]).then(
      ([checklist, page]) => {
        if (!live) return;
        const dims = checklist.definition.dimensions;
        setDimensions(dims);
        setSets(page.results);
        setForm((f) => ({ ...defaultDominanceForm(dims.map((d) => d.key), f.project), name: f.name, description: f.description }));
      },
      (exc) => live && setLoadError(message(exc)),
    );
    return () => {
      live = false;
    };
  }, [project]);

  // The statistics of the rule as it stands (once it is a valid rule), after a pause in typing.
  const { rule, problems: ruleProblems } = ruleFromForm(form);
  const ruleKey = JSON.stringify({ rule, project: form.project, weightSet: form.weightSet });
  const ruleValid = Object.keys(ruleProblems).length === 0 && form.project != null && dimensions != null;
  useEffect(() => {
    if (!ruleValid || form.project == null) {
      setStats(null);
      setStatsError("");
      return;
    }
    let live = true;
    const projectId = form.project;
    const timer = window.setTimeout(() => {
      api
        .dominanceStats(projectId, { dominance: rule, ...(form.weightSet ? { weight_set: Number(form.weightSet) } : {}) })
        .then(
          (next) => {
            if (!live) return;
            setStats(next);
            setStatsError("");
          },
          (exc) => {
            if (!live) return;
            setStats(null);
            setStatsError(message(exc));
          },
        );
    }, debounceMs);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
    // ruleKey stands for the rule, the project and the weight set
  }, [ruleKey, ruleValid, debounceMs]);

  const idOf = (field: string) => `${base}-dominance-${field.replace(/\./g, "-")}`;
  const errorOf = (field: string) => problems[field] ?? serverErrors[field];
  const err = (field: string) => {
    const text = errorOf(field);
    return text ? (
      <span id={`${idOf(field)}-error`} className="error hint" data-testid={`dominance-error-${field}`}>
        {text}
      </span>
    ) : null;
  };
  const set = (patch: Partial<DominanceFormState>) => setForm((f) => ({ ...f, ...patch }));
  const setDimension = (key: string, patch: Partial<{ on: boolean; margin: string }>) =>
    setForm((f) => ({ ...f, dimensions: { ...f.dimensions, [key]: { ...f.dimensions[key], ...patch } } }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const { request, problems: bad } = dominanceRequest(form);
    setProblems(bad);
    setServerErrors({});
    setError("");
    if (Object.keys(bad).length) {
      const first = Object.keys(bad)[0];
      document.getElementById(idOf(first === "margins" ? `dimensions` : first))?.focus();
      return;
    }
    setSubmitting(true);
    try {
      onStarted(await api.exportDataset(request));
    } catch (exc) {
      setError(message(exc));
      setServerErrors(Object.fromEntries(Object.entries(fieldErrors(exc)).map(([k, v]) => [formField(k), v])));
    } finally {
      setSubmitting(false);
    }
  };

  const titleOf = (key: string) => dimensions?.find((d) => d.key === key)?.title ?? key;

  return (
    <form className="export-form dominance-form" aria-label="Dominance pairs" onSubmit={submit} noValidate>
      <p className="muted">
        Preference pairs for multi-objective training (VisionReward&apos;s MPO): of two samples of one prompt, the chosen
        one is at least as good on every chosen dimension and better by at least its margin on one, so no dimension is
        traded against another. The version holds prompt, chosen and rejected (the layout DPO trainers read) with the
        per-dimension scores.
      </p>
      <div className="export-grid">
        <div className="field">
          <label htmlFor={idOf("project")}>Project</label>
          <select
            id={idOf("project")}
            value={form.project ?? ""}
            onChange={(e) => set({ project: e.target.value ? Number(e.target.value) : null, weightSet: "" })}
          >
            {projects.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
          {err("project")}
        </div>
        <WeightSetField
          id={idOf("weight_set")}
          value={form.weightSet}
          onChange={(weightSet) => set({ weightSet })}
          sets={sets}
          noActiveLabel="The active one (none yet)"
          hint={<span className="muted hint">Its per-dimension parts of the reward are the scores compared.</span>}
          error={err("weight_set")}
        />
        <NameField
          id={idOf("name")}
          value={form.name}
          onChange={(name) => set({ name })}
          invalid={errorOf("name") ? true : undefined}
          error={err("name")}
        />
        <DescriptionField id={idOf("description")} value={form.description} onChange={(description) => set({ description })} />
      </div>

      {loadError && (
        <p role="alert" className="error">
          The checklist or the weight sets cannot be read: {loadError}
        </p>
      )}

      <div className="export-grid">
        <fieldset id={idOf("source")}>
          <legend>Scores from</legend>
          {SOURCES.map((s) => (
            <div key={s.value} className="choice">
              <label className="check">
                <input
                  type="radio"
                  name={`${base}-dominance-source`}
                  value={s.value}
                  checked={form.source === s.value}
                  onChange={() => set({ source: s.value })}
                />{" "}
                {s.label}
              </label>
              <span className="muted hint">{s.hint}</span>
            </div>
          ))}
          {err("source")}
        </fieldset>

        <fieldset id={idOf("dimensions")} tabIndex={-1}>
          <legend>Dimensions and margins</legend>
          {!dimensions && !loadError && <p role="status">Loading the checklist…</p>}
          {(dimensions ?? []).map((d) => (
            <div key={d.key} className="dominance-dimension" data-testid={`dimension-${d.key}`}>
              <label className="check">
                <input
                  type="checkbox"
                  checked={form.dimensions[d.key]?.on ?? false}
                  onChange={(e) => setDimension(d.key, { on: e.target.checked })}
                />{" "}
                {d.title}
              </label>{" "}
              <label htmlFor={idOf(`margins.${d.key}`)} className="visually-hidden">
                Margin of {d.title}
              </label>
              <input
                id={idOf(`margins.${d.key}`)}
                type="number"
                inputMode="decimal"
                step="any"
                min={0}
                className="margin-input"
                value={form.dimensions[d.key]?.margin ?? ""}
                disabled={!form.dimensions[d.key]?.on}
                aria-invalid={errorOf(`margins.${d.key}`) ? true : undefined}
                onChange={(e) => setDimension(d.key, { margin: e.target.value })}
              />
              {err(`margins.${d.key}`)}
            </div>
          ))}
          <span className="muted hint">A pair counts when the chosen sample is no worse on any of these and better by the margin on one.</span>
          {err("margins")}
        </fieldset>

        <div>
          <div className="field">
            <label htmlFor={idOf("pairs_per_prompt")}>Pairs per prompt, at most</label>
            <input
              id={idOf("pairs_per_prompt")}
              type="number"
              inputMode="numeric"
              min={1}
              step={1}
              value={form.pairsPerPrompt}
              onChange={(e) => set({ pairsPerPrompt: e.target.value })}
            />
            <span className="muted hint">The strongest first (the sum of the differences over the margins).</span>
            {err("pairs_per_prompt")}
          </div>
          <div className="field">
            <label htmlFor={idOf("max_uses")}>Pairs per sample, at most</label>
            <input
              id={idOf("max_uses")}
              type="number"
              inputMode="numeric"
              min={1}
              step={1}
              placeholder="no limit"
              value={form.maxUses}
              onChange={(e) => set({ maxUses: e.target.value })}
            />
            {err("max_uses")}
          </div>
        </div>
      </div>

      <section aria-labelledby={`${base}-stats-title`} className="dominance-stats">
        <h3 id={`${base}-stats-title`}>What this rule yields</h3>
        {statsError && (
          <p role="alert" className="error">
            {statsError}
          </p>
        )}
        {!ruleValid && !statsError && <p className="muted">Choose at least one dimension with a margin to see the counts.</p>}
        {ruleValid && !stats && !statsError && <p role="status">Counting…</p>}
        {stats && (
          <>
            <table className="dominance-stats-table" data-testid="dominance-stats">
              <caption className="visually-hidden">Candidate pairs per rule</caption>
              <thead>
                <tr>
                  <th scope="col">Rule</th>
                  <th scope="col" className="num">
                    Pairs
                  </th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(stats.per_dimension).map(([key, d]) => (
                  <tr key={key}>
                    <th scope="row">
                      {titleOf(key)} alone (better by ≥ {d.margin})
                    </th>
                    <td className="num">{count(d.alone)}</td>
                  </tr>
                ))}
                <tr>
                  <th scope="row">All chosen dimensions (the dominance rule)</th>
                  <td className="num" data-testid="candidates">
                    {count(stats.candidates)}
                  </td>
                </tr>
                <tr>
                  <th scope="row">After the cap per prompt (exported)</th>
                  <td className="num" data-testid="selected">
                    {count(stats.selected)}
                  </td>
                </tr>
              </tbody>
            </table>
            <p className="muted" data-testid="dominance-summary">
              {count(stats.assets)} samples with scores ({count(stats.unscored)} without), {count(stats.prompts)} prompts,{" "}
              {count(stats.prompts_with_pairs)} with at least one pair
              {stats.weight_set ? `; weights: ${stats.weight_set.label}` : ""}.
            </p>
          </>
        )}
      </section>

      <VersionFormActions error={error} submitting={submitting} disabled={!projects.length} label="Export dominance pairs" />
    </form>
  );
}
