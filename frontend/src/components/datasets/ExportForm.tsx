import { useEffect, useId, useState, type FormEvent, type ReactNode } from "react";
import { api, fieldErrors } from "../../api";
import type { ExportStarted, Project, WeightSet } from "../../types";
import { message } from "../weights/format";
import {
  ANSWER_STATES,
  COMBINE_RULES,
  EXPORT_FIELDS,
  defaultForm,
  requestFromForm,
  shareSum,
  shortNumber,
  splitRow,
  type ExportField,
  type ExportFormState,
} from "./exportForm";
import { DescriptionField, NameField, VersionFormActions, WeightSetField } from "./VersionFormParts";

// "New dataset version": which projects and annotations, how they are combined and split, what
// the files hold. Problems found here, and the server's per-field messages, show next to their
// field; the version's job is followed by the page once the server has queued it.

interface Props {
  /** The projects the user may export (manager or researcher, or all for staff). */
  projects: Project[];
  /** Chosen when the form opens (e.g. ?project=ID). */
  initialProjects?: number[];
  onStarted: (started: ExportStarted) => void;
}

export default function ExportForm({ projects, initialProjects = [], onStarted }: Props) {
  const base = useId();
  const [form, setForm] = useState<ExportFormState>(() =>
    defaultForm(initialProjects.filter((id) => projects.some((p) => p.id === id))),
  );
  const [problems, setProblems] = useState<Partial<Record<ExportField, string>>>({});
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [submitting, setSubmitting] = useState(false);
  const [sets, setSets] = useState<{ project: number; sets: WeightSet[] | null; error: string } | null>(null);

  const first = form.projects[0];
  useEffect(() => {
    if (first === undefined) return;
    let live = true;
    setSets({ project: first, sets: null, error: "" });
    api.weightSets(first).then(
      (page) => live && setSets({ project: first, sets: page.results, error: "" }),
      (exc) => live && setSets({ project: first, sets: null, error: message(exc) }),
    );
    return () => {
      live = false;
    };
  }, [first]);

  const idOf = (field: ExportField | string) => `${base}-${field.replace(/\./g, "-")}`;
  const errorOf = (field: ExportField) => problems[field] ?? serverErrors[field];
  /** aria-describedby: the field's hint (when it has one) and its error (when it has one). */
  const describedBy = (field: ExportField, hint = false) =>
    [hint ? `${idOf(field)}-hint` : "", errorOf(field) ? `${idOf(field)}-error` : ""].filter(Boolean).join(" ") || undefined;
  const invalid = (field: ExportField) => (errorOf(field) ? (true as const) : undefined);
  const err = (field: ExportField) => {
    const text = errorOf(field);
    return text ? (
      <span id={`${idOf(field)}-error`} className="error hint" data-testid={`error-${field}`}>
        {text}
      </span>
    ) : null;
  };
  const hint = (field: ExportField, children: ReactNode) => (
    <span id={`${idOf(field)}-hint`} className="muted hint">
      {children}
    </span>
  );

  const set = (patch: Partial<ExportFormState>) => setForm((f) => ({ ...f, ...patch }));

  const toggleProject = (id: number, on: boolean) =>
    setForm((f) => {
      const chosen = on ? [...f.projects.filter((p) => p !== id), id] : f.projects.filter((p) => p !== id);
      // The weight set belongs to the first project: another first project, the default again.
      return { ...f, projects: chosen, weightSet: chosen[0] === f.projects[0] ? f.weightSet : "" };
    });

  const focusField = (field: ExportField) => {
    const el = document.getElementById(idOf(field));
    const target = el instanceof HTMLFieldSetElement ? el.querySelector<HTMLElement>("input, select, textarea") : el;
    target?.focus();
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const { request, problems: bad } = requestFromForm(form, projects);
    setProblems(bad);
    setServerErrors({});
    setError("");
    const firstBad = EXPORT_FIELDS.find((f) => bad[f]);
    if (firstBad) {
      focusField(firstBad);
      return;
    }
    setSubmitting(true);
    try {
      const started = await api.exportDataset(request);
      onStarted(started);
    } catch (exc) {
      setError(message(exc));
      setServerErrors(fieldErrors(exc));
    } finally {
      setSubmitting(false);
    }
  };

  const total = shareSum(form.splits);
  const weightSets = sets && sets.project === first ? sets : null;
  const active = weightSets?.sets?.find((s) => s.status === "active") ?? null;
  const weightSetHint =
    first === undefined
      ? "Choose a project first."
      : weightSets?.error
        ? `The weight sets cannot be read: ${weightSets.error}`
        : !weightSets?.sets
          ? "Loading the weight sets…"
          : active
            ? "Scores with these weights go into the dataset (of the first project chosen)."
            : "The first project has no active weight set: the dataset has no scores unless you choose a set.";

  return (
    <form className="export-form" aria-label="New dataset version" onSubmit={submit} noValidate>
      <p className="muted">
        Exports the chosen projects&apos; annotations as a new version of a Hugging Face dataset: the checklist answers
        (and the VisionReward layout), the rated pairs, a balanced question subset, with a dataset card. Versions never
        change; one whose content equals an existing version&apos;s is kept as a pointer to it.
      </p>

      <fieldset
        id={idOf("projects")}
        className="export-projects"
        aria-describedby={describedBy("projects", true)}
        aria-invalid={invalid("projects")}
      >
        <legend>Projects</legend>
        {projects.length ? (
          <ul className="check-list">
            {projects.map((p) => (
              <li key={p.id}>
                <label className="check">
                  <input
                    type="checkbox"
                    checked={form.projects.includes(p.id)}
                    onChange={(e) => toggleProject(p.id, e.target.checked)}
                  />{" "}
                  {p.name}
                  <span className="muted">
                    {" "}
                    ({p.media_type}, checklist version {p.checklist_version}
                    {p.archived ? ", archived" : ""})
                  </span>
                </label>
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">You manage or research no project, so there is nothing you can export.</p>
        )}
        {hint(
          "projects",
          "All must use the same checklist version; the first one chosen gives the checklist and the default weight set.",
        )}
        {err("projects")}
      </fieldset>

      <div className="export-grid">
        <WeightSetField
          id={idOf("weight_set")}
          value={form.weightSet}
          onChange={(weightSet) => set({ weightSet })}
          sets={weightSets?.sets}
          disabled={first === undefined}
          noActiveLabel="The active one"
          describedBy={describedBy("weight_set", true)}
          invalid={invalid("weight_set")}
          hint={hint("weight_set", weightSetHint)}
          error={err("weight_set")}
        />

        <NameField
          id={idOf("name")}
          value={form.name}
          onChange={(name) => set({ name })}
          describedBy={describedBy("name", true)}
          invalid={invalid("name")}
          hint={hint("name", "Lower-case letters, digits, . _ -; each export of a name is its next version (v1, v2, …).")}
          error={err("name")}
        />

        <DescriptionField
          id={idOf("description")}
          value={form.description}
          onChange={(description) => set({ description })}
          describedBy={describedBy("description")}
          invalid={invalid("description")}
          error={err("description")}
        />
      </div>

      <div className="export-grid">
        <fieldset id={idOf("settings.combine")} aria-describedby={describedBy("settings.combine")} aria-invalid={invalid("settings.combine")}>
          <legend>Combine the annotations</legend>
          {COMBINE_RULES.map((rule) => (
            <div key={rule.value} className="choice">
              <label className="check">
                <input
                  type="radio"
                  name={`${base}-combine`}
                  value={rule.value}
                  checked={form.combine === rule.value}
                  onChange={() => set({ combine: rule.value })}
                  aria-describedby={`${idOf("settings.combine")}-${rule.value}`}
                />{" "}
                {rule.label}
              </label>
              <span id={`${idOf("settings.combine")}-${rule.value}`} className="muted hint">
                {rule.hint}
              </span>
            </div>
          ))}
          {err("settings.combine")}
        </fieldset>

        <fieldset
          id={idOf("settings.states")}
          aria-describedby={describedBy("settings.states", true)}
          aria-invalid={invalid("settings.states")}
        >
          <legend>Annotations to include</legend>
          {ANSWER_STATES.map((s) => (
            <div key={s.value}>
              <label className="check">
                <input
                  type="checkbox"
                  checked={form.states.includes(s.value)}
                  onChange={(e) =>
                    set({ states: e.target.checked ? [...form.states, s.value] : form.states.filter((v) => v !== s.value) })
                  }
                />{" "}
                {s.label}
              </label>
            </div>
          ))}
          {hint("settings.states", "A reviewer's gold answer is always kept.")}
          {err("settings.states")}
        </fieldset>

        <fieldset
          id={idOf("settings.split_ratios")}
          className="split-editor"
          aria-describedby={describedBy("settings.split_ratios", true)}
        >
          <legend>Splits</legend>
          <div className="split-row split-head" aria-hidden="true">
            <span>Name</span>
            <span>Share</span>
          </div>
          {form.splits.map((row, i) => (
            <div className="split-row" key={row.key} data-testid="split-row">
              <input
                aria-label={`Split ${i + 1} name`}
                value={row.name}
                autoComplete="off"
                spellCheck={false}
                aria-invalid={invalid("settings.split_ratios")}
                onChange={(e) => set({ splits: form.splits.map((r) => (r.key === row.key ? { ...r, name: e.target.value } : r)) })}
              />
              <input
                aria-label={`Split ${i + 1} share`}
                type="number"
                inputMode="decimal"
                step="any"
                min={0}
                max={1}
                value={row.share}
                aria-invalid={invalid("settings.split_ratios")}
                onChange={(e) => set({ splits: form.splits.map((r) => (r.key === row.key ? { ...r, share: e.target.value } : r)) })}
              />
              <button
                type="button"
                disabled={form.splits.length < 2}
                onClick={() => set({ splits: form.splits.filter((r) => r.key !== row.key) })}
              >
                Remove <span className="visually-hidden">split {i + 1}</span>
              </button>
            </div>
          ))}
          <div className="split-foot">
            <button type="button" onClick={() => set({ splits: [...form.splits, splitRow()] })}>
              Add split
            </button>
            {hint(
              "settings.split_ratios",
              `Sum of the shares: ${Number.isFinite(total) ? shortNumber(total) : "—"} (must be 1). Items are split by prompt.`,
            )}
          </div>
          {err("settings.split_ratios")}
        </fieldset>
      </div>

      <div className="export-grid">
        <div className="field">
          <label htmlFor={idOf("settings.seed")}>Seed</label>
          <input
            id={idOf("settings.seed")}
            type="number"
            inputMode="numeric"
            min={0}
            step={1}
            value={form.seed}
            onChange={(e) => set({ seed: e.target.value })}
            aria-describedby={describedBy("settings.seed", true)}
            aria-invalid={invalid("settings.seed")}
          />
          {hint("settings.seed", "Of the splits and the balanced subset's sampling.")}
          {err("settings.seed")}
        </div>

        <div className="field">
          <label className="check">
            <input
              id={idOf("settings.embed_media")}
              type="checkbox"
              checked={form.embedMedia}
              onChange={(e) => set({ embedMedia: e.target.checked })}
              aria-describedby={describedBy("settings.embed_media", true)}
              aria-invalid={invalid("settings.embed_media")}
            />{" "}
            Embed images
          </label>
          {hint(
            "settings.embed_media",
            "Image bytes inside the parquet files; off: files under media/. Videos are never embedded.",
          )}
          {err("settings.embed_media")}
        </div>

        <div className="field">
          <label className="check">
            <input
              id={idOf("settings.embed_frames")}
              type="checkbox"
              checked={form.embedFrames}
              onChange={(e) => set({ embedFrames: e.target.checked })}
              aria-describedby={describedBy("settings.embed_frames", true)}
              aria-invalid={invalid("settings.embed_frames")}
            />{" "}
            Embed video frames
          </label>
          {hint("settings.embed_frames", "Videos: also the sampled frames, embedded.")}
          {err("settings.embed_frames")}
        </div>

        <div className="field">
          <label className="check">
            <input type="checkbox" checked={form.balanced} onChange={(e) => set({ balanced: e.target.checked })} /> Balanced
            question subset
          </label>
          <label htmlFor={idOf("settings.balanced_cap")}>Rows per answer and question, at most</label>
          <input
            id={idOf("settings.balanced_cap")}
            type="number"
            inputMode="numeric"
            min={1}
            step={1}
            value={form.balanced ? form.balancedCap : ""}
            disabled={!form.balanced}
            onChange={(e) => set({ balancedCap: e.target.value })}
            aria-describedby={describedBy("settings.balanced_cap", true)}
            aria-invalid={invalid("settings.balanced_cap")}
          />
          {hint(
            "settings.balanced_cap",
            form.balanced ? "The balanced_qa config: as many yes as no rows per question." : "Off: no balanced_qa config.",
          )}
          {err("settings.balanced_cap")}
        </div>

        <div className="field">
          <label htmlFor={idOf("settings.license")}>License</label>
          <input
            id={idOf("settings.license")}
            value={form.license}
            onChange={(e) => set({ license: e.target.value })}
            autoComplete="off"
            spellCheck={false}
            aria-describedby={describedBy("settings.license", true)}
            aria-invalid={invalid("settings.license")}
          />
          {hint("settings.license", "A Hub license identifier: cc-by-4.0, apache-2.0, other, …")}
          {err("settings.license")}
        </div>
      </div>

      <VersionFormActions error={error} submitting={submitting} disabled={!projects.length} label="Start export" />
    </form>
  );
}
