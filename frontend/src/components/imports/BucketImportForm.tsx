import { useState, type FormEvent } from "react";
import { ApiError, fieldErrors, request } from "../../api";
import type { Job } from "../../types";
import { Field } from "../Field";

interface BucketImportFormProps {
  projectId: number;
  /** Called with the import job once the server accepted the request (202). */
  onStarted: (job: Job) => void;
}

/** Import every image and video under an s3:// prefix (a bucket the admin listed in
 * VR_IMPORT_BUCKETS), optionally the rows of a manifest stored there:
 * POST /api/projects/:id/imports/bucket/. A 400 names `url` or `manifest` (and its line). */
export function BucketImportForm({ projectId, onStarted }: BucketImportFormProps) {
  const [url, setUrl] = useState("");
  const [manifest, setManifest] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    setProblem("");
    try {
      const body: Record<string, string> = { url: url.trim() };
      if (manifest.trim()) body.manifest = manifest.trim();
      onStarted(await request<Job>("POST", `/api/projects/${projectId}/imports/bucket/`, body));
    } catch (exc) {
      const byField = fieldErrors(exc);
      setErrors(byField);
      if (!byField.url && !byField.manifest) setProblem(exc instanceof ApiError ? exc.message : String(exc));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="bucket-import" onSubmit={submit} aria-label="Import from an S3 bucket">
      <Field
        id="bucket-url"
        label="S3 prefix"
        error={errors.url}
        hint="s3://bucket/prefix/ — every image and video under it becomes an asset (the bucket must be allowed by the admin)"
      >
        {(describedBy, invalid) => (
          <input
            id="bucket-url"
            type="text"
            value={url}
            placeholder="s3://lab-media/generated/2026/"
            onChange={(e) => setUrl(e.target.value)}
            aria-describedby={describedBy}
            aria-invalid={invalid}
            required
          />
        )}
      </Field>
      <Field
        id="bucket-manifest"
        label="Manifest (optional)"
        error={errors.manifest}
        hint="a .jsonl or .csv object under the prefix (manifest.jsonl) or its s3:// URL: exactly its rows are imported"
      >
        {(describedBy, invalid) => (
          <input
            id="bucket-manifest"
            type="text"
            value={manifest}
            onChange={(e) => setManifest(e.target.value)}
            aria-describedby={describedBy}
            aria-invalid={invalid}
          />
        )}
      </Field>
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      <button type="submit" disabled={busy || !url.trim()}>
        {busy ? "Starting…" : "Import from the bucket"}
      </button>
    </form>
  );
}
