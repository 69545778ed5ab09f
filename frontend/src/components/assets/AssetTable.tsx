import { useEffect, useId, useState } from "react";
import { Link } from "react-router-dom";
import { api } from "../../api";
import type { AssetDetail, AssetStatus, Page } from "../../types";
import { message, when } from "../manage/format";

// The project's assets, newest first, a page at a time: thumbnail (a video's poster), name,
// status (a failed one with its reason), prompt, when it was made and by which import job.

export const PAGE_SIZE = 25;

export default function AssetTable({ projectId, refreshKey }: { projectId: number; refreshKey: number }) {
  const statusId = useId();
  const [status, setStatus] = useState<AssetStatus | "">("");
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<Page<AssetDetail> | null>(null);
  const [error, setError] = useState("");
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    let live = true;
    setLoading(true);
    setError("");
    api
      .assets(projectId, status, offset, PAGE_SIZE)
      .then((p) => live && setPage(p))
      .catch((exc) => live && setError(message(exc)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [projectId, status, offset, refreshKey]);

  const count = page?.count ?? 0;
  const first = count ? offset + 1 : 0;
  const last = Math.min(offset + PAGE_SIZE, count);

  return (
    <section aria-labelledby="assets-title" className="card assets-section">
      <div className="page-head">
        <h2 id="assets-title">Assets</h2>
        <label htmlFor={statusId}>Status</label>
        <select
          id={statusId}
          value={status}
          onChange={(e) => {
            setStatus(e.target.value as AssetStatus | "");
            setOffset(0);
          }}
        >
          <option value="">All</option>
          <option value="ready">Ready</option>
          <option value="failed">Failed</option>
        </select>
        {loading && page && (
          <span role="status" className="muted">
            Updating…
          </span>
        )}
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {!page && loading && <p role="status">Loading assets…</p>}
      {page && !page.results.length && (
        <p className="muted">{status ? `No ${status} assets.` : "No assets yet: upload media above."}</p>
      )}
      {page && page.results.length > 0 && (
        <>
          <div className="table-scroll">
            <table className="asset-table">
              <caption className="visually-hidden">
                Assets {first} to {last} of {count}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Preview</th>
                  <th scope="col">Name</th>
                  <th scope="col">Status</th>
                  <th scope="col">Prompt</th>
                  <th scope="col">Created</th>
                  <th scope="col">Import</th>
                </tr>
              </thead>
              <tbody>
                {page.results.map((a) => {
                  const preview = a.urls.thumbnail || a.urls.poster;
                  return (
                    <tr key={a.id} data-testid="asset-row">
                      <td>
                        {preview ? (
                          <img src={preview} alt="" className="asset-thumb" loading="lazy" width={48} height={48} />
                        ) : (
                          <span className="muted">—</span>
                        )}
                      </td>
                      <th scope="row">{a.original_name || `Asset ${a.id}`}</th>
                      <td>
                        <span className={`badge state-${a.status}`}>{a.status}</span>
                        {a.status === "failed" && <div className="error asset-reason">{a.failure_reason || "no reason given"}</div>}
                      </td>
                      <td>{a.prompt ? <span className="prompt-cell">{a.prompt}</span> : <span className="muted">no prompt</span>}</td>
                      <td>{when(a.created_at)}</td>
                      <td>
                        {a.import_job_id == null ? (
                          <span className="muted">—</span>
                        ) : (
                          <Link to={`/projects/${projectId}/jobs`} aria-label={`Import job #${a.import_job_id}`}>
                            #{a.import_job_id}
                          </Link>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <nav className="pager" aria-label="Asset pages">
            <button type="button" disabled={offset === 0 || loading} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>
              Previous
            </button>
            <span>
              {first}–{last} of {count}
            </span>
            <button type="button" disabled={last >= count || loading} onClick={() => setOffset(offset + PAGE_SIZE)}>
              Next
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
