import { Fragment, useEffect, useId, useRef, useState, type FormEvent } from "react";
import { Link, useParams } from "react-router-dom";
import { api, ApiError, fieldErrors } from "../api";
import { BucketImportForm } from "../components/imports/BucketImportForm";
import ImportJobProgress from "../components/imports/ImportJobProgress";
import type { LabelStudioPreview, Project } from "../types";

// Import from where the data lives, for a project's managers: a Label Studio export (its tasks'
// media URLs or upload paths and their prompts; upload the export and, for upload paths, a zip of
// the upload folder; preview, choose which `data` key is the media and which the prompt, start,
// follow the job), and a manifest of URLs (JSONL or CSV whose `file` column holds http(s) URLs),
// which the import job downloads.

const message = (exc: unknown) => (exc instanceof Error ? exc.message : String(exc));
const FORMATS: Record<LabelStudioPreview["format"], string> = { json: "JSON", "json-min": "JSON-MIN", jsonl: "JSONL" };

function FieldError({ id, text }: { id: string; text?: string }) {
  return text ? (
    <p id={id} className="error">
      {text}
    </p>
  ) : null;
}

function LabelStudioForm({ projectId, onStarted }: { projectId: number; onStarted: (jobId: number) => void }) {
  const base = useId();
  const [exportFile, setExportFile] = useState<File | null>(null);
  const [archive, setArchive] = useState<File | null>(null);
  const [folder, setFolder] = useState<File[]>([]);
  const [mediaKey, setMediaKey] = useState("");
  const [promptKey, setPromptKey] = useState("");
  const [preview, setPreview] = useState<LabelStudioPreview | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [busy, setBusy] = useState<"" | "preview" | "start">("");
  const previewHeading = useRef<HTMLHeadingElement>(null);
  const focusPreview = useRef(false);

  useEffect(() => {
    if (preview && focusPreview.current) {
      focusPreview.current = false;
      previewHeading.current?.focus();
    }
  }, [preview]);

  function form(keys: { media: string; prompt: string }): FormData {
    const body = new FormData();
    if (exportFile) body.append("export", exportFile);
    if (archive) body.append("archive", archive);
    for (const file of folder) body.append("files", file, file.name);
    if (keys.media) body.append("media_key", keys.media);
    if (keys.prompt) body.append("prompt_key", keys.prompt);
    return body;
  }

  function fail(exc: unknown) {
    const fields = fieldErrors(exc);
    setErrors(fields);
    const shown = ["export", "archive", "files", "media_key", "prompt_key"].some((f) => fields[f]);
    setError(shown && exc instanceof ApiError && exc.status === 400 ? "Please correct the fields marked below." : message(exc));
  }

  async function runPreview(keys: { media: string; prompt: string }, first: boolean) {
    setBusy("preview");
    setErrors({});
    setError("");
    try {
      const answer = await api.previewLabelStudio(projectId, form(keys));
      setMediaKey(answer.media_key);
      setPromptKey(first ? answer.suggested.prompt_key : answer.prompt_key);
      focusPreview.current = first;
      if (first && answer.suggested.prompt_key && answer.suggested.prompt_key !== answer.prompt_key) {
        setPreview(await api.previewLabelStudio(projectId, form({ media: answer.media_key, prompt: answer.suggested.prompt_key })));
      } else {
        setPreview(answer);
      }
    } catch (exc) {
      setPreview(null);
      fail(exc);
    } finally {
      setBusy("");
    }
  }

  async function submitPreview(event: FormEvent) {
    event.preventDefault();
    if (!exportFile) {
      setErrors({ export: "Choose the Label Studio export file first." });
      return;
    }
    await runPreview({ media: "", prompt: "" }, true);
  }

  async function start() {
    setBusy("start");
    setErrors({});
    setError("");
    try {
      const job = await api.startLabelStudioImport(projectId, form({ media: mediaKey, prompt: promptKey }));
      setPreview(null); // started: the preview is spent (a second click would import the tasks twice)
      onStarted(job.id);
    } catch (exc) {
      fail(exc);
    } finally {
      setBusy("");
    }
  }

  const describedBy = (name: string, help?: string) =>
    [help && `${base}-help`, errors[name] && `${base}-${name}-error`].filter(Boolean).join(" ") || undefined;

  return (
    <section aria-labelledby={`${base}-title`} className="card manage-section">
      <h2 id={`${base}-title`}>Label Studio export</h2>
      <form onSubmit={submitPreview} noValidate>
        <p className="muted">
          In Label Studio, export the project as <strong>JSON</strong> (or JSON-MIN). Tasks whose media are URLs are downloaded by the
          import job. Tasks whose media were uploaded to Label Studio (<code>/data/upload/…</code>) or come from its local files are
          matched by file name: add a zip of Label Studio&apos;s <code>media/upload</code> folder (or of the local folder).
        </p>
        <div className="form-grid">
          {(
            [
              ["export", "Export file (.json or .jsonl)", ".json,.jsonl,.ndjson,application/json", setExportFile, ""],
              ["archive", "Media files (.zip, optional)", ".zip,application/zip", setArchive, "help"],
            ] as const
          ).map(([name, label, accept, setFile, help]) => (
            <Fragment key={name}>
              <label htmlFor={`${base}-${name}`}>{label}</label>
              <input
                id={`${base}-${name}`}
                type="file"
                accept={accept}
                onChange={(e) => {
                  setFile(e.target.files?.[0] ?? null);
                  setPreview(null);
                }}
                aria-invalid={Boolean(errors[name])}
                aria-describedby={describedBy(name, help)}
              />
              <FieldError id={`${base}-${name}-error`} text={errors[name]} />
            </Fragment>
          ))}
          <label htmlFor={`${base}-folder`}>Or a folder of media files (optional)</label>
          <input
            id={`${base}-folder`}
            type="file"
            multiple
            {...({ webkitdirectory: "" } as Record<string, string>)}
            onChange={(e) => {
              setFolder(Array.from(e.target.files ?? []));
              setPreview(null);
            }}
            aria-invalid={Boolean(errors.files)}
            aria-describedby={describedBy("files", "help")}
          />
          <FieldError id={`${base}-files-error`} text={errors.files} />
          <p id={`${base}-help`} className="muted">
            Only needed for tasks that point to files on the Label Studio server rather than to URLs; files are matched by name.
          </p>
        </div>
        <button type="submit" className="primary" disabled={busy !== ""}>
          {busy === "preview" && !preview ? "Reading the export…" : "Preview"}
        </button>
      </form>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {preview && (
        <div className="ls-preview">
          <h3 ref={previewHeading} tabIndex={-1}>
            Preview
          </h3>
          <p role="status">
            {preview.task_count} task(s) in {FORMATS[preview.format]}: {preview.importable} to import
            {preview.to_download ? ` (${preview.to_download} to download)` : ""}
            {preview.problem_count ? `, ${preview.problem_count} will fail` : ""}.
          </p>
          <div className="form-grid">
            <label htmlFor={`${base}-media-key`}>Media key (which `data` field holds the image or video)</label>
            <select
              id={`${base}-media-key`}
              value={mediaKey}
              onChange={(e) => {
                setMediaKey(e.target.value);
                runPreview({ media: e.target.value, prompt: promptKey === e.target.value ? "" : promptKey }, false);
              }}
              aria-invalid={Boolean(errors.media_key)}
              aria-describedby={describedBy("media_key")}
            >
              {!mediaKey && <option value="">Choose a key</option>}
              {preview.keys.map((k) => (
                <option key={k.key} value={k.key}>
                  {k.key} ({k.media_like} of {k.tasks} look like media{k.key === preview.suggested.media_key ? "; suggested" : ""})
                </option>
              ))}
            </select>
            <FieldError id={`${base}-media_key-error`} text={errors.media_key} />
            <label htmlFor={`${base}-prompt-key`}>Prompt key</label>
            <select
              id={`${base}-prompt-key`}
              value={promptKey}
              onChange={(e) => {
                setPromptKey(e.target.value);
                runPreview({ media: mediaKey, prompt: e.target.value }, false);
              }}
              aria-invalid={Boolean(errors.prompt_key)}
              aria-describedby={describedBy("prompt_key")}
            >
              <option value="">No prompt</option>
              {preview.keys
                .filter((k) => k.key !== mediaKey)
                .map((k) => (
                  <option key={k.key} value={k.key}>
                    {k.key}
                    {k.key === preview.suggested.prompt_key ? " (suggested)" : ""}
                  </option>
                ))}
            </select>
            <FieldError id={`${base}-prompt_key-error`} text={errors.prompt_key} />
          </div>
          <p className="muted">The other `data` fields and the Label Studio task id are kept as each asset&apos;s metadata.</p>
          <div className="table-scroll">
            <table>
              <caption>The first tasks as they will be imported</caption>
              <thead>
                <tr>
                  <th scope="col">Task</th>
                  <th scope="col">Media</th>
                  <th scope="col">Prompt</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {preview.tasks.map((t) => (
                  <tr key={t.index}>
                    <th scope="row">
                      {t.index}
                      {t.task_id != null && <span className="muted"> (id {String(t.task_id)})</span>}
                    </th>
                    <td className="break">
                      {t.media ?? <span className="muted">—</span>}
                      {t.matched_file && <span className="muted"> → {t.matched_file}</span>}
                    </td>
                    <td>{t.prompt || <span className="muted">—</span>}</td>
                    <td className={t.problem ? "error" : undefined}>
                      {t.problem ?? (t.media_source === "url" ? "will be downloaded" : "matched")}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {preview.problems.length > 0 && (
            <details>
              <summary>
                {preview.problem_count} task(s) will fail; each is recorded with its reason and the others import
              </summary>
              <ul>
                {preview.problems.map((p) => (
                  <li key={p.index}>
                    Task {p.index}
                    {p.task_id != null ? ` (id ${String(p.task_id)})` : ""}: {p.reason}
                  </li>
                ))}
              </ul>
            </details>
          )}
          <button type="button" className="primary" onClick={start} disabled={busy !== "" || !mediaKey || preview.importable === 0}>
            {busy === "start" ? "Starting…" : `Import ${preview.importable} task(s)`}
          </button>
        </div>
      )}
    </section>
  );
}

function UrlManifestForm({ projectId, onStarted }: { projectId: number; onStarted: (jobId: number) => void }) {
  const base = useId();
  const [manifest, setManifest] = useState<File | null>(null);
  const [fieldError, setFieldError] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setFieldError("");
    setError("");
    if (!manifest) {
      setFieldError("Choose the manifest file first.");
      return;
    }
    const body = new FormData();
    body.append("manifest", manifest);
    setBusy(true);
    try {
      onStarted((await api.startImport(projectId, body).promise).id);
    } catch (exc) {
      const fields = fieldErrors(exc);
      const text = fields.manifest || fields.files;
      if (text) setFieldError(text);
      else setError(message(exc));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section id="url-manifest" aria-labelledby={`${base}-title`} className="card manage-section">
      <h2 id={`${base}-title`}>Import from a URL manifest</h2>
      <form onSubmit={submit} noValidate>
        <p id={`${base}-help`} className="muted">
          A <code>.jsonl</code> file with one object per line, <code>{'{"file": "https://…/a.jpg", "prompt": "…", "metadata": {…}}'}</code>, or
          a <code>.csv</code> with a <code>file</code> column of <code>https://</code> URLs (and <code>prompt</code>; other columns become
          metadata). The import job downloads each URL; one that cannot be downloaded (not found, too big, too slow, not media, or on a
          private network) fails alone with its reason.
        </p>
        <label htmlFor={`${base}-manifest`}>Manifest (.jsonl or .csv)</label>
        <input
          id={`${base}-manifest`}
          type="file"
          accept=".jsonl,.ndjson,.csv"
          onChange={(e) => setManifest(e.target.files?.[0] ?? null)}
          aria-invalid={Boolean(fieldError)}
          aria-describedby={[`${base}-help`, fieldError && `${base}-error`].filter(Boolean).join(" ")}
        />
        <FieldError id={`${base}-error`} text={fieldError} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Starting…" : "Import the URLs"}
        </button>
      </form>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </section>
  );
}

export default function LabelStudioImportPage({ pollMs = 1000 }: { pollMs?: number }) {
  const projectId = Number(useParams().projectId);
  const [project, setProject] = useState<Project | null>(null);
  const [error, setError] = useState("");
  const [jobId, setJobId] = useState<number | null>(null);

  useEffect(() => {
    api.project(projectId).then(setProject, (exc) => setError(message(exc)));
  }, [projectId]);

  const manager = project && (project.my_role === "manager" || project.my_role === "admin");
  return (
    <section className="manage-page import-page" aria-labelledby="import-title">
      <p>
        <Link to={`/projects/${projectId}/manage`}>← {project?.name ?? "Project"}</Link>
      </p>
      <h1 id="import-title">Import from where the data lives{project ? `: ${project.name}` : ""}</h1>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {!project && !error && <p role="status">Loading…</p>}
      {project && !manager && (
        <p role="alert" className="error">
          Only the project&apos;s managers can import media.
        </p>
      )}
      {project && manager && (
        <>
          <p className="muted">
            Into <strong>{project.name}</strong> ({project.media_type === "video" ? "videos" : "images"}). Each import runs as a background
            job: follow it here or on the jobs page.
          </p>
          {jobId != null && <ImportJobProgress key={jobId} jobId={jobId} projectId={projectId} pollMs={pollMs} />}
          <LabelStudioForm projectId={projectId} onStarted={setJobId} />
          <UrlManifestForm projectId={projectId} onStarted={setJobId} />
          <section id="s3-bucket" aria-labelledby="s3-bucket-title" className="card manage-section">
            <h2 id="s3-bucket-title">Import from an S3 bucket</h2>
            <p className="muted">
              Media already in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2) are read from where they are, with the platform&apos;s
              own credentials, from buckets the administrator allowed (<code>VR_IMPORT_BUCKETS</code>). Each object that cannot be
              read or is not media fails alone with its reason.
            </p>
            <BucketImportForm projectId={projectId} onStarted={(job) => setJobId(job.id)} />
          </section>
        </>
      )}
    </section>
  );
}
