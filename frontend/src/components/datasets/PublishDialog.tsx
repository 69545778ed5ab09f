import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { api, fieldErrors } from "../../api";
import type { DatasetVersion, HubPush, Job, JobDetail, PushOptions } from "../../types";
import { Field } from "../Field";
import { message } from "../weights/format";
import { useJobs } from "./useJobs";

// "Publish to the Hub": a ready dataset version pushed to a Hub dataset repository (created if
// missing), private or public, with a token for this push only (the server holds it split, never
// in plain text, and deletes it when the job ends; without one, the server's own HF_TOKEN). The
// push job's progress, then the dataset's URL or why the Hub refused.

interface Props {
  version: DatasetVersion;
  onClose: () => void;
  /** The push succeeded: its record (the version's `pushes` gained it). */
  onPublished?: (push: HubPush) => void;
  pollMs?: number;
}

const FIELDS = ["repo_id", "private", "token"];

export default function PublishDialog({ version, onClose, onPublished, pollMs = 1000 }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [options, setOptions] = useState<PushOptions | null>(null);
  const [optionsError, setOptionsError] = useState("");
  const [repoId, setRepoId] = useState(version.pushes?.at(-1)?.repo_id ?? "");
  const [isPrivate, setIsPrivate] = useState(version.pushes?.at(-1)?.private ?? true);
  const [token, setToken] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [starting, setStarting] = useState(false);
  const [jobId, setJobId] = useState<number | null>(null);
  const [outcome, setOutcome] = useState<{ push?: HubPush; error?: string } | null>(null);
  const repoInput = useRef<HTMLInputElement>(null);
  const outcomeRef = useRef<HTMLParagraphElement>(null);

  useEffect(() => {
    const el = dialog.current;
    if (el && !el.open) el.showModal?.();
    return () => el?.close?.();
  }, []);

  useEffect(() => {
    let on = true;
    api.pushOptions(version.id).then(
      (o) => on && setOptions(o),
      (exc) => on && setOptionsError(message(exc)),
    );
    return () => {
      on = false;
    };
  }, [version.id]);

  const finished = useCallback(
    (job: Job) => {
      const detail = job as JobDetail;
      if (job.state === "succeeded" && detail.result && typeof detail.result === "object") {
        const push = detail.result as HubPush;
        setOutcome({ push });
        onPublished?.(push);
      } else {
        setOutcome({ error: detail.error || job.message || `The push ${job.state}.` });
      }
    },
    [onPublished],
  );
  const { jobs, errors: jobErrors, follow } = useJobs(finished, pollMs);
  const job = jobId != null ? jobs[jobId] : undefined;
  const running = jobId != null && !outcome;

  useEffect(() => {
    if (outcome) outcomeRef.current?.focus();
  }, [outcome]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setErrors({});
    setError("");
    setOutcome(null);
    setStarting(true);
    try {
      const body = { repo_id: repoId.trim(), private: isPrivate, ...(token.trim() ? { token: token.trim() } : {}) };
      const started = await api.pushVersion(version.id, body);
      setToken(""); // the page keeps no copy once the server holds it
      setJobId(started.id);
      follow(started);
    } catch (exc) {
      const byField = fieldErrors(exc);
      setErrors(byField);
      const other = Object.entries(byField).filter(([key]) => !FIELDS.includes(key));
      setError(other.length ? other.map(([, text]) => text).join(" ") : Object.keys(byField).length ? "" : message(exc));
      if (byField.repo_id) repoInput.current?.focus();
    } finally {
      setStarting(false);
    }
  };

  const tokenHint = options?.server_token
    ? "Used for this push only: held split on the server, never stored in plain text, deleted when the push ends. Leave empty to use the server's token."
    : "Needs write access. Used for this push only: held split on the server, never stored in plain text, deleted when the push ends.";

  return (
    <dialog
      ref={dialog}
      className="publish-dialog"
      aria-labelledby="publish-title"
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      data-testid="publish-dialog"
    >
      <form onSubmit={submit} noValidate>
        <h2 id="publish-title">Publish {version.label} to the Hub</h2>
        <p className="muted">
          Uploads the dataset folder (parquet shards and dataset card) to a Hugging Face dataset repository, created if
          it does not exist.
          {options && (
            <>
              {" "}
              Hub: <code>{options.endpoint}</code>
            </>
          )}
        </p>
        {optionsError && (
          <p role="alert" className="error">
            The push settings cannot be read: {optionsError}
          </p>
        )}
        <Field id="publish-repo" label="Repository" hint="owner/name, e.g. my-lab/hpd-preferences" error={errors.repo_id}>
          {(describedBy, invalid) => (
            <input
              id="publish-repo"
              ref={repoInput}
              value={repoId}
              onChange={(e) => setRepoId(e.target.value)}
              autoComplete="off"
              spellCheck={false}
              required
              autoFocus
              disabled={running}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            />
          )}
        </Field>
        <fieldset className="publish-visibility" disabled={running}>
          <legend>Visibility</legend>
          <label>
            <input type="radio" name="publish-visibility" checked={isPrivate} onChange={() => setIsPrivate(true)} /> Private
            (only you and your organisation)
          </label>
          <label>
            <input type="radio" name="publish-visibility" checked={!isPrivate} onChange={() => setIsPrivate(false)} /> Public
          </label>
          {errors.private && <span className="error hint">{errors.private}</span>}
        </fieldset>
        <Field id="publish-token" label="Access token" hint={tokenHint} error={errors.token}>
          {(describedBy, invalid) => (
            <input
              id="publish-token"
              type="password"
              value={token}
              onChange={(e) => setToken(e.target.value)}
              autoComplete="off"
              spellCheck={false}
              placeholder="hf_…"
              disabled={running}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            />
          )}
        </Field>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}

        <div role="status" className="publish-progress">
          {running && (
            <>
              <progress max={1} value={job?.progress ?? 0} aria-label="Push progress" />{" "}
              <span>{job?.message || "queued"}</span>
            </>
          )}
        </div>
        {jobId != null && jobErrors[jobId] && (
          <p role="alert" className="error">
            {jobErrors[jobId]}
          </p>
        )}
        {outcome?.push && (
          <p className="ok" tabIndex={-1} ref={outcomeRef} data-testid="publish-url">
            Published {version.label} to{" "}
            <a href={outcome.push.url} target="_blank" rel="noreferrer">
              {outcome.push.url}
            </a>
            {outcome.push.private ? " (private)" : " (public)"}.
          </p>
        )}
        {outcome?.error && (
          <p role="alert" className="error" tabIndex={-1} ref={outcomeRef}>
            The push failed: {outcome.error}
          </p>
        )}

        <div className="actions">
          <button type="submit" className="primary" disabled={starting || running}>
            {starting ? "Starting…" : outcome ? "Publish again" : "Publish"}
          </button>
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
      </form>
    </dialog>
  );
}
