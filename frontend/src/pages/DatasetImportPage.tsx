import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { Link, NavLink, useParams } from "react-router-dom";
import { api, fieldErrors } from "../api";
import { Field } from "../components/Field";
import type {
  DatasetImportMode,
  DatasetImportResult,
  DatasetMapping,
  DatasetPreview,
  JobDetail,
  PreferenceFormat,
  PreviewCell,
} from "../types";

// Import from where the data lives: a Hugging Face dataset (a Hub id read from the server's cache,
// or a local folder or file the server may read) as assets, or a preference-pair dataset as rated
// pairs. Source → preview (columns, first rows) → column mapping (pre-filled from the server's
// suggestion) → start → the job's progress and each failed row's reason.

const FORMATS: { value: PreferenceFormat; label: string; columns: number; hint: string }[] = [
  { value: "labels", label: "two vote columns (label_0, label_1)", columns: 2, hint: "Pick-a-Pic: 1/0 A wins, 0/1 B wins, 0.5/0.5 tie" },
  { value: "choice", label: "one column naming the winner", columns: 1, hint: "A, B or tie (0 and 1 are A and B)" },
  { value: "rating", label: "a 1–5 rating", columns: 1, hint: "1 = A much better … 3 = no preference … 5 = B much better" },
  { value: "scores", label: "two scores, higher wins", columns: 2, hint: "e.g. score_0 and score_1" },
];
const MEDIA_TYPES = new Set(["image", "video", "binary", "string"]);
const FINISHED = new Set(["succeeded", "failed", "cancelled"]);
const message = (exc: unknown) => (exc instanceof Error ? exc.message : String(exc));

function Cell({ cell, column }: { cell: PreviewCell | undefined; column: string }) {
  if (!cell) return <span className="muted">—</span>;
  if (cell.kind === "media") {
    const size = cell.size != null ? `${cell.size.toLocaleString()} bytes` : cell.width ? `${cell.width}×${cell.height}` : "media";
    return (
      <span className="media-cell">
        {cell.data_url && <img src={cell.data_url} alt={`${column} preview`} width={48} height={48} />}
        <span className="muted">{cell.path ? `${cell.path} · ${size}` : size}</span>
      </span>
    );
  }
  if (cell.kind === "text") return <span>{cell.value + (cell.truncated ? "…" : "")}</span>;
  return <span>{cell.value === null ? "null" : String(cell.value)}</span>;
}

function ColumnSelect({
  id,
  label,
  value,
  options,
  onChange,
  error,
  none,
  hint,
}: {
  id: string;
  label: string;
  value: string;
  options: string[];
  onChange: (v: string) => void;
  error?: string;
  none?: string;
  hint?: string;
}) {
  return (
    <Field id={id} label={label} error={error} hint={hint}>
      {(describedBy, invalid) => (
        <select id={id} value={value} onChange={(e) => onChange(e.target.value)} aria-describedby={describedBy} aria-invalid={invalid}>
          <option value="">{none ?? "— choose a column —"}</option>
          {options.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

function JobProgress({ job, headingId }: { job: JobDetail; headingId: string }) {
  const result = (job.result ?? {}) as DatasetImportResult;
  const failures = result.failures ?? [];
  return (
    <section className="card manage-section" aria-labelledby={headingId}>
      <h2 id={headingId} tabIndex={-1}>
        Import job {job.id}: {job.state}
      </h2>
      <label htmlFor={`${headingId}-bar`}>Rows imported</label>
      <progress id={`${headingId}-bar`} max={1} value={job.progress} aria-valuetext={`${Math.round(job.progress * 100)} %`} />
      <p role="status">{job.message}</p>
      {job.state === "failed" && (
        <p role="alert" className="error">
          {job.error || job.message}
        </p>
      )}
      {failures.length > 0 && (
        <>
          <h3>Failed rows</h3>
          <table >
            <caption className="muted">Each failed row and why; the other rows were imported.</caption>
            <thead>
              <tr>
                <th scope="col">Row</th>
                <th scope="col">Item</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {failures.map((f) => (
                <tr key={`${f.row}-${f.file}`}>
                  <td className="num">{f.row}</td>
                  <td>{f.file}</td>
                  <td>{f.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <p>
        <Link to={`/projects/${job.project}/jobs`}>All jobs of the project</Link>
      </p>
    </section>
  );
}

export default function DatasetImportPage({ mode, pollMs = 1000 }: { mode: DatasetImportMode; pollMs?: number }) {
  const { projectId } = useParams();
  const id = Number(projectId);
  const base = useId();
  const [source, setSource] = useState({ source: "", config: "", split: "", revision: "" });
  const [preview, setPreview] = useState<DatasetPreview | null>(null);
  const [mapping, setMapping] = useState<DatasetMapping | null>(null);
  const [limit, setLimit] = useState("");
  const [rateAgain, setRateAgain] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [job, setJob] = useState<JobDetail | null>(null);
  const mappingHeading = useRef<HTMLHeadingElement>(null);
  const jobHeadingId = `${base}-job`;
  const pairs = mode === "pairs";

  useEffect(() => {
    setPreview(null);
    setMapping(null);
    setJob(null);
    setErrors({});
    setError("");
  }, [mode]);

  useEffect(() => {
    if (preview) mappingHeading.current?.focus();
  }, [preview]);

  const jobId = job?.id;
  const jobDone = job ? FINISHED.has(job.state) : true;
  useEffect(() => {
    if (!jobId || jobDone) return;
    let stop = false;
    const timer = window.setInterval(async () => {
      try {
        const next = await api.jobDetail(jobId);
        if (!stop) setJob(next);
      } catch {
        /* the next tick tries again */
      }
    }, pollMs);
    return () => {
      stop = true;
      window.clearInterval(timer);
    };
  }, [jobId, jobDone, pollMs]);

  function fail(exc: unknown, known: string[]) {
    const fields = fieldErrors(exc);
    setErrors(fields);
    const shown = Object.keys(fields).some((k) => known.includes(k) || k.startsWith("mapping."));
    setError(shown ? "Some fields need attention." : message(exc));
  }

  async function loadPreview(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    setError("");
    setJob(null);
    try {
      const body = await api.previewDataset(id, mode, source);
      setPreview(body);
      setMapping(body.suggestion);
      setSource((s) => ({ ...s, config: body.config === "default" ? s.config : body.config, split: body.split }));
    } catch (exc) {
      setPreview(null);
      fail(exc, ["source", "config", "split", "revision"]);
    } finally {
      setBusy(false);
    }
  }

  async function start(event: FormEvent) {
    event.preventDefault();
    if (!mapping || !preview) return;
    setBusy(true);
    setErrors({});
    setError("");
    try {
      const parsed = limit.trim() === "" ? null : Number(limit);
      const started = await api.importDataset(id, mode, {
        ...source,
        mapping,
        limit: parsed,
        ...(pairs ? { rate_again: rateAgain } : {}),
      });
      const detail = await api.jobDetail(started.id);
      setJob(detail);
      window.setTimeout(() => document.getElementById(jobHeadingId)?.focus(), 0);
    } catch (exc) {
      fail(exc, ["limit", "mapping", "source", "split", "config"]);
    } finally {
      setBusy(false);
    }
  }

  const columns = preview?.columns ?? [];
  const names = columns.map((c) => c.name);
  const mediaNames = columns.filter((c) => MEDIA_TYPES.has(c.type)).map((c) => c.name);
  const textNames = columns.filter((c) => c.type === "string").map((c) => c.name);
  const format = FORMATS.find((f) => f.value === mapping?.preference_format);
  const update = (patch: Partial<DatasetMapping>) => setMapping((m) => (m ? { ...m, ...patch } : m));
  const used = new Set(
    [mapping?.media, mapping?.media_a, mapping?.media_b, mapping?.prompt, ...(mapping?.preference ?? [])].filter(Boolean) as string[],
  );

  return (
    <div className="page dataset-import">
      <p>
        <Link to={`/projects/${id}/manage`}>← Project</Link>
      </p>
      <h1>{pairs ? "Import rated pairs" : "Import from a Hugging Face dataset"}</h1>
      <nav aria-label="What to import" className="tabs">
        <NavLink to={`/projects/${id}/import/huggingface`}>Assets from a dataset</NavLink>{" "}
        <NavLink to={`/projects/${id}/import/pairs`}>Preference pairs as rated pairs</NavLink>
      </nav>
      <p className="muted">
        {pairs
          ? "Each row's two media become assets, the pair a pair task, and its preference a rating the refit uses (shown as imported, not as an annotator's work)."
          : "Each row becomes an asset with its prompt and metadata, processed like an uploaded file. Rows are streamed: the whole dataset is imported, with no row cap."}
      </p>

      <form onSubmit={loadPreview} className="card manage-section" aria-labelledby={`${base}-source`}>
        <h2 id={`${base}-source`}>Source</h2>
        <Field
          id={`${base}-src`}
          label="Dataset id or local path"
          error={errors.source}
          hint="owner/name (read from the server's Hugging Face cache), or a folder or .parquet/.jsonl/.csv file inside the server's import folders"
        >
          {(describedBy, invalid) => (
            <input
              id={`${base}-src`}
              value={source.source}
              onChange={(e) => setSource({ ...source, source: e.target.value })}
              aria-describedby={describedBy}
              aria-invalid={invalid}
              required
            />
          )}
        </Field>
        <div className="field-row">
          {(["config", "split", "revision"] as const).map((name) => (
            <Field key={name} id={`${base}-${name}`} label={name[0].toUpperCase() + name.slice(1) + " (optional)"} error={errors[name]}>
              {(describedBy, invalid) =>
                name === "split" && preview && preview.splits.length > 1 ? (
                  <select id={`${base}-${name}`} value={source.split} onChange={(e) => setSource({ ...source, split: e.target.value })} aria-describedby={describedBy}>
                    {preview.splits.map((s) => (
                      <option key={s}>{s}</option>
                    ))}
                  </select>
                ) : (
                  <input
                    id={`${base}-${name}`}
                    value={source[name]}
                    onChange={(e) => setSource({ ...source, [name]: e.target.value })}
                    aria-describedby={describedBy}
                    aria-invalid={invalid}
                  />
                )
              }
            </Field>
          ))}
        </div>
        <button type="submit" className="primary" disabled={busy}>
          {busy && !preview ? "Reading…" : "Preview"}
        </button>
      </form>

      {error && (
        <p role="alert" className="error">
          {error}
          {errors.mapping ? ` ${errors.mapping}` : ""}
          {errors.body ? ` ${errors.body}` : ""}
        </p>
      )}

      {preview && mapping && (
        <form onSubmit={start} className="card manage-section" aria-labelledby={`${base}-map`}>
          <h2 id={`${base}-map`} ref={mappingHeading} tabIndex={-1}>
            Map the columns
          </h2>
          <p>
            {preview.kind === "hub" ? "Hub dataset" : "Local dataset"} · split <strong>{preview.split}</strong> ·{" "}
            {preview.num_rows != null ? `${preview.num_rows.toLocaleString()} rows` : "row count known once read"} · {columns.length} columns
          </p>
          <div className="table-scroll">
            <table >
              <caption>The first {preview.rows.length} rows</caption>
              <thead>
                <tr>
                  <th scope="col">Row</th>
                  {columns.map((c) => (
                    <th scope="col" key={c.name}>
                      {c.name} <span className="muted">({c.type})</span>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {preview.rows.map((r) => (
                  <tr key={r.row}>
                    <td className="num">{r.row}</td>
                    {columns.map((c) => (
                      <td key={c.name}>
                        <Cell cell={r.cells[c.name]} column={c.name} />
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>

          <div className="field-row">
            {pairs ? (
              <>
                <ColumnSelect id={`${base}-a`} label="Media A" value={mapping.media_a ?? ""} options={mediaNames} onChange={(v) => update({ media_a: v })} error={errors["mapping.media_a"]} />
                <ColumnSelect id={`${base}-b`} label="Media B" value={mapping.media_b ?? ""} options={mediaNames} onChange={(v) => update({ media_b: v })} error={errors["mapping.media_b"]} />
              </>
            ) : (
              <ColumnSelect
                id={`${base}-media`}
                label="Media"
                value={mapping.media ?? ""}
                options={mediaNames}
                onChange={(v) => update({ media: v })}
                error={errors["mapping.media"]}
                hint={`an Image or Video column, or paths relative to the dataset's folder (${preview.media_type} project)`}
              />
            )}
            <ColumnSelect id={`${base}-prompt`} label="Prompt" value={mapping.prompt} options={textNames} onChange={(v) => update({ prompt: v })} error={errors["mapping.prompt"]} none="(no prompt)" />
          </div>
          <label className="check">
            <input type="checkbox" checked={mapping.prompt_required} onChange={(e) => update({ prompt_required: e.target.checked })} /> A row without a
            prompt fails
          </label>

          {pairs && (
            <div className="field-row">
              <Field id={`${base}-format`} label="Preference" error={errors["mapping.preference_format"]} hint={format?.hint}>
                {(describedBy, invalid) => (
                  <select
                    id={`${base}-format`}
                    value={mapping.preference_format ?? ""}
                    onChange={(e) => {
                      const next = FORMATS.find((f) => f.value === e.target.value);
                      update({ preference_format: (e.target.value || "") as PreferenceFormat | "", preference: (mapping.preference ?? []).slice(0, next?.columns ?? 0) });
                    }}
                    aria-describedby={describedBy}
                    aria-invalid={invalid}
                  >
                    <option value="">— how the preference is written —</option>
                    {FORMATS.map((f) => (
                      <option key={f.value} value={f.value}>
                        {f.label}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              {Array.from({ length: format?.columns ?? 0 }, (_, i) => (
                <ColumnSelect
                  key={i}
                  id={`${base}-pref-${i}`}
                  label={format?.columns === 2 ? `Preference column ${i === 0 ? "for A" : "for B"}` : "Preference column"}
                  value={mapping.preference?.[i] ?? ""}
                  options={names}
                  onChange={(v) => {
                    const next = [...(mapping.preference ?? [])];
                    next[i] = v;
                    update({ preference: next });
                  }}
                  error={i === 0 ? errors["mapping.preference"] : undefined}
                />
              ))}
            </div>
          )}

          <fieldset className="metadata-columns">
            <legend>Metadata columns</legend>
            {errors["mapping.metadata"] && <p className="error">{errors["mapping.metadata"]}</p>}
            {names
              .filter((n) => !used.has(n))
              .map((n) => (
                <label key={n} className="check">
                  <input
                    type="checkbox"
                    checked={mapping.metadata.includes(n)}
                    onChange={(e) =>
                      update({ metadata: e.target.checked ? [...mapping.metadata, n] : mapping.metadata.filter((m) => m !== n) })
                    }
                  />{" "}
                  {n}
                </label>
              ))}
          </fieldset>

          <div className="field-row">
            <Field id={`${base}-limit`} label="Row limit (optional)" error={errors.limit} hint="empty: every row">
              {(describedBy, invalid) => (
                <input
                  id={`${base}-limit`}
                  type="number"
                  min={1}
                  inputMode="numeric"
                  value={limit}
                  onChange={(e) => setLimit(e.target.value)}
                  aria-describedby={describedBy}
                  aria-invalid={invalid}
                />
              )}
            </Field>
          </div>
          {pairs && (
            <label className="check">
              <input type="checkbox" checked={rateAgain} onChange={(e) => setRateAgain(e.target.checked)} /> Also ask the project's annotators to rate
              these pairs
            </label>
          )}
          <p>
            <button type="submit" className="primary" disabled={busy || (job !== null && !FINISHED.has(job.state))}>
              {pairs ? "Import rated pairs" : "Start import"}
            </button>
          </p>
        </form>
      )}

      {job && <JobProgress job={job} headingId={jobHeadingId} />}
    </div>
  );
}
