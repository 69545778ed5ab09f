import type { ArchiveFormat, DatasetVersion, Job } from "../../types";
import { humanBytes } from "../assets/uploadQueue";
import { isFinished } from "../weights/useRefit";
import JobProgress from "./JobProgress";

// A ready version's archives: each is built once by an archive job and then downloaded as a
// file. Not built yet: a "Prepare zip" button; while its job runs: the job's progress; built:
// the download link with the file's size; failed: why, and the button again.

export const ARCHIVE_FORMATS: { format: ArchiveFormat; label: string }[] = [
  { format: "zip", label: "zip" },
  { format: "tar", label: "tar" },
];

export interface ArchiveActions {
  /** Start (or join) the archive job. */
  onPrepare: (version: DatasetVersion, format: ArchiveFormat) => void;
  /** Ask the archive's running job to stop (nothing partial is kept). */
  onCancel: (version: DatasetVersion, format: ArchiveFormat, job: Job) => void;
  /** `${versionId}:${format}` → the request is on its way. */
  preparing: Record<string, boolean>;
  /** `${versionId}:${format}` → why the request was refused. */
  prepareErrors: Record<string, string>;
}

export const archiveKey = (id: number, format: ArchiveFormat) => `${id}:${format}`;

interface Props extends ArchiveActions {
  version: DatasetVersion;
  jobs: Record<number, Job>;
  jobErrors: Record<number, string>;
}

export default function ArchiveLinks({ version: v, jobs, jobErrors, onPrepare, onCancel, preparing, prepareErrors }: Props) {
  if (!v.download) return null;
  const download = v.download;
  return (
    <ul className="archive-links">
      {ARCHIVE_FORMATS.map(({ format, label }) => {
        const key = archiveKey(v.id, format);
        const archive = v.archives ? v.archives[format] : undefined;
        const job = archive?.job != null ? jobs[archive.job] : undefined;
        const building = archive?.state === "building" && !(job && isFinished(job));
        const refused = prepareErrors[key];
        const jobError = archive?.job != null ? jobErrors[archive.job] : undefined;
        let body;
        if (archive === undefined || archive?.state === "ready") {
          // built (or a server that builds on download): the link
          body = (
            <>
              <a href={download[format]} download>
                {label} <span className="visually-hidden">of {v.label}</span>
              </a>
              {archive?.size != null && <span className="muted archive-size"> {humanBytes(archive.size)}</span>}
            </>
          );
        } else if (building) {
          body = job ? (
            <>
              <JobProgress job={job} label={v.label} name={`${label} of ${v.label}`} />
              <button type="button" disabled={!!preparing[key]} onClick={() => onCancel(v, format, job)}>
                Cancel <span className="visually-hidden">the {label} of {v.label}</span>
              </button>
            </>
          ) : (
            <span className="muted">preparing the {label}…</span>
          );
        } else {
          body = (
            <>
              <button type="button" disabled={!!preparing[key]} onClick={() => onPrepare(v, format)}>
                Prepare {label} <span className="visually-hidden">of {v.label}</span>
              </button>
              {archive?.state === "failed" && (
                <span className="error state-note">
                  The last {label} {archive.error === "cancelled" ? "was cancelled" : `failed: ${archive.error || "no reason given"}`}
                </span>
              )}
            </>
          );
        }
        return (
          <li key={format} data-archive={format}>
            {body}
            {refused && (
              <span role="alert" className="error state-note">
                {refused}
              </span>
            )}
            {building && jobError && <span className="error state-note">{jobError}</span>}
          </li>
        );
      })}
    </ul>
  );
}
