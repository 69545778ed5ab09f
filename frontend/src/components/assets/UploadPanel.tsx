import { type DragEvent, useEffect, useRef, useState } from "react";
import { Link } from "react-router-dom";
import { droppedFiles, inputFiles } from "./dropped";
import { type Picked, type QueueItem, humanBytes, totals } from "./uploadQueue";
import type { Upload } from "./useUpload";

// Choosing (three buttons, or a drop of files, folders and a .zip, with a manifest), the list of
// what will be sent, then each file's upload and import with the overall progress, the failed
// files with their reasons, Retry and Cancel.

const STATE_LABEL: Record<QueueItem["state"], string> = {
  waiting: "waiting",
  uploading: "uploading",
  uploaded: "uploaded, queued for import",
  importing: "importing",
  imported: "imported",
  failed: "failed",
  cancelled: "cancelled",
};

/** Rows of the file list drawn at most (the totals and the failed files count every file). */
const MAX_ROWS = 1000;

const pct = (part: number, whole: number) => (whole > 0 ? Math.round((100 * part) / whole) : 0);

function Bar({ label, value, max, text }: { label: string; value: number; max: number; text: string }) {
  return (
    <div className="upload-bar">
      <progress aria-label={label} value={Math.min(value, max)} max={max || 1} />
      <span className="muted">{text}</span>
    </div>
  );
}

/** A button that opens the browser's file chooser (a hidden input): keyboard-usable, unlike a drop. */
function Picker(props: {
  label: string;
  testId: string;
  disabled: boolean;
  onPick: (files: Picked[]) => void;
  multiple?: boolean;
  folder?: boolean;
  accept?: string;
}) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button type="button" disabled={props.disabled} onClick={() => input.current?.click()}>
        {props.label}
      </button>
      <input
        ref={input}
        type="file"
        hidden
        tabIndex={-1}
        aria-label={props.label}
        data-testid={props.testId}
        multiple={props.multiple}
        accept={props.accept}
        {...(props.folder ? { webkitdirectory: "", directory: "" } : {})}
        onChange={(e) => {
          props.onPick(inputFiles(e.target.files));
          e.target.value = "";
        }}
      />
    </>
  );
}

export default function UploadPanel({ upload, projectId }: { upload: Upload; projectId: number }) {
  const summaryRef = useRef<HTMLHeadingElement>(null);
  const [over, setOver] = useState(false);
  const [dropProblems, setDropProblems] = useState<string[]>([]);
  const { plan, items, jobs, busy } = upload;
  const t = totals(items);
  const started = items.some((i) => i.state !== "waiting");
  const failed = items.filter((i) => i.state === "failed" || i.state === "cancelled");
  const archiveFailures = jobs.flatMap((j) => {
    const archive = items.find((i) => j.itemIds.includes(i.id) && i.role === "archive");
    const result = (j.job?.result ?? null) as { failures?: { file: string; reason: string }[] } | null;
    return archive && result?.failures ? result.failures.map((f) => ({ ...f, archive: archive.name })) : [];
  });
  const done = started && !busy;
  const processed = jobs.reduce((sum, j) => {
    const n = j.itemIds.length;
    if (!j.job) return sum;
    return sum + (["queued", "running"].includes(j.job.state) ? Math.floor(j.job.progress * n) : n);
  }, 0);

  // focus the summary once a choice is listed, so that a keyboard user hears what will be sent
  const planKey = plan ? `${plan.items.length}:${plan.skipped.length}:${plan.problems.length}` : "";
  useEffect(() => {
    if (planKey && !started) summaryRef.current?.focus();
  }, [planKey, started]);

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    if (busy) return;
    const problems: string[] = [];
    droppedFiles(e.dataTransfer, (path, reason) => problems.push(`${path}: ${reason}`)).then((files) => {
      setDropProblems(problems);
      void upload.add(files);
    });
  };

  return (
    <section aria-labelledby="upload-title" className="card assets-section">
      <h2 id="upload-title">Upload media</h2>
      <div
        className={over ? "drop-zone over" : "drop-zone"}
        data-testid="drop-zone"
        onDragOver={(e) => {
          e.preventDefault();
          e.dataTransfer.dropEffect = busy ? "none" : "copy";
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <p>
          Drop images or videos, folders, a <code>.zip</code> or a <code>.tar</code> here, with a manifest (<code>.jsonl</code> with{" "}
          <code>file</code>, <code>prompt</code>, <code>metadata</code>, or a <code>.csv</code> with a <code>file</code>{" "}
          and a <code>prompt</code> column) to give them prompts. Or:
        </p>
        <div className="button-row">
          <Picker label="Choose files" testId="files-input" disabled={busy} onPick={(f) => upload.add(f, true)} multiple />
          <Picker label="Choose a folder" testId="folder-input" disabled={busy} onPick={(f) => upload.add(f)} folder />
          <Picker label="Choose a manifest" testId="manifest-input" disabled={busy} onPick={(f) => upload.add(f, true)} accept=".jsonl,.csv" />
        </div>
      </div>

      {upload.error && (
        <p role="alert" className="error">
          {upload.error}
        </p>
      )}
      {dropProblems.length > 0 && (
        <ul role="alert" className="error">
          {dropProblems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}

      {plan && (
        <>
          <h3 ref={summaryRef} tabIndex={-1} className="upload-summary">
            {started ? "Upload" : "Ready to upload"}: {t.files} file{t.files === 1 ? "" : "s"}, {humanBytes(t.bytes)}
            {plan.manifest ? `, ${t.withPrompt} with a prompt from ${plan.manifest.name}` : ", no manifest (no prompts)"}
          </h3>
          {plan.problems.length > 0 && (
            <div role="alert" className="error">
              <p>Nothing can be sent until these are fixed (choose the files again):</p>
              <ul>
                {plan.problems.slice(0, 50).map((p) => (
                  <li key={p}>{p}</li>
                ))}
                {plan.problems.length > 50 && <li>… and {plan.problems.length - 50} more</li>}
              </ul>
            </div>
          )}

          <div className="button-row">
            {!started && (
              <button type="button" className="primary" disabled={!t.files || plan.problems.length > 0} onClick={upload.start}>
                Upload {t.files} file{t.files === 1 ? "" : "s"}
              </button>
            )}
            {busy && (
              <button type="button" onClick={upload.cancel}>
                Cancel
              </button>
            )}
            {done && failed.length > 0 && (
              <button type="button" className="primary" onClick={upload.retry}>
                Retry {failed.length} failed file{failed.length === 1 ? "" : "s"}
              </button>
            )}
            {!busy && (
              <button type="button" onClick={upload.clear}>
                {started ? "Done: choose other files" : "Clear"}
              </button>
            )}
          </div>

          {started && (
            <div className="upload-totals">
              <Bar
                label="Uploaded, all files"
                value={t.sent}
                max={t.bytes}
                text={`uploaded ${humanBytes(t.sent)} of ${humanBytes(t.bytes)} (${pct(t.sent, t.bytes)}%)`}
              />
              <Bar
                label="Imported, all files"
                value={processed}
                max={t.files}
                text={`processed ${processed} of ${t.files}: ${t.imported} imported, ${t.failed} failed${t.cancelled ? `, ${t.cancelled} cancelled` : ""}`}
              />
              <p role="status" className="muted">
                {busy
                  ? `Working: ${t.uploaded} of ${t.files} file(s) uploaded, ${t.imported} imported, ${t.failed} failed.`
                  : `Finished: ${t.imported} imported, ${t.failed} failed${t.cancelled ? `, ${t.cancelled} cancelled` : ""}.`}
              </p>
            </div>
          )}

          {jobs.length > 0 && (
            <ul className="upload-jobs" aria-label="Import jobs of this upload">
              {jobs.map((j) => (
                <li key={j.id}>
                  <Link to={`/projects/${projectId}/jobs`}>Import job #{j.id}</Link>{" "}
                  <span className={`badge job-${j.job?.state ?? "queued"}`}>{j.job?.state ?? "queued"}</span>{" "}
                  <span className="muted">{j.job?.message ?? ""}</span>
                </li>
              ))}
            </ul>
          )}

          {(failed.length > 0 || archiveFailures.length > 0) && done && (
            <div className="upload-failed">
              <h3>Failed files</h3>
              <ul aria-label="Failed files">
                {failed.map((i) => (
                  <li key={i.id}>
                    <strong>{i.name}</strong>: {i.reason || i.state}
                  </li>
                ))}
                {archiveFailures.map((f) => (
                  <li key={`${f.archive}/${f.file}`}>
                    <strong>{f.file}</strong> (in {f.archive}): {f.reason}
                  </li>
                ))}
              </ul>
              {archiveFailures.length > 0 && (
                <p className="muted">A zip's entries cannot be sent again one by one: fix them and choose them as files.</p>
              )}
            </div>
          )}

          {items.length > 0 && (
            <div className="table-scroll upload-list">
              <table>
                <caption className="visually-hidden">Files of this upload</caption>
                <thead>
                  <tr>
                    <th scope="col">File</th>
                    <th scope="col" className="num">
                      Size
                    </th>
                    <th scope="col">Prompt</th>
                    <th scope="col">Progress</th>
                  </tr>
                </thead>
                <tbody>
                  {items.slice(0, MAX_ROWS).map((i) => (
                    <tr key={i.id} className={i.state === "failed" ? "upload-row failed" : "upload-row"} data-testid="upload-row">
                      <th scope="row">
                        {i.name}
                        {i.role === "archive" && <span className="badge">zip</span>}
                      </th>
                      <td className="num">{humanBytes(i.size)}</td>
                      <td>
                        {i.prompt ? (
                          <span className="prompt-cell">{i.prompt}</span>
                        ) : (
                          <span className="muted">{i.role === "archive" ? "from the manifest, per entry" : "no prompt"}</span>
                        )}
                      </td>
                      <td>
                        <progress aria-label={`Upload of ${i.name}`} value={i.loaded} max={i.size || 1} />{" "}
                        <span className={i.state === "failed" ? "error" : "muted"}>
                          {STATE_LABEL[i.state]}
                          {i.state === "uploading" ? ` ${pct(i.loaded, i.size)}%` : ""}
                          {i.reason && i.state === "failed" ? `: ${i.reason}` : ""}
                        </span>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}

          {items.length > MAX_ROWS && (
            <p className="muted">
              The first {MAX_ROWS.toLocaleString("en-US")} of {items.length.toLocaleString("en-US")} files are listed; the
              totals and the failed files count them all.
            </p>
          )}
          {plan.skipped.length > 0 && (
            <details className="upload-skipped">
              <summary>
                {plan.skipped.length} file{plan.skipped.length === 1 ? "" : "s"} not sent
              </summary>
              <ul>
                {plan.skipped.slice(0, 200).map((s) => (
                  <li key={`${s.path}:${s.reason}`}>
                    {s.path}: {s.reason}
                  </li>
                ))}
              </ul>
            </details>
          )}
        </>
      )}
    </section>
  );
}
