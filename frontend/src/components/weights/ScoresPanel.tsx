import { useEffect, useMemo, useRef, useState } from "react";
import { api } from "../../api";
import type { ScoredAssetRef, ScorePage } from "../../types";
import ScoreBreakdownDialog from "./ScoreBreakdownDialog";
import { count, message, weight } from "./format";

// The project's assets by score under the active weight set, a page at a time; a row opens its
// breakdown.

export const SCORES_PAGE = 25;
type Ordering = "-total" | "total";

function MiniBar({ value, extent }: { value: number; extent: number }) {
  const share = extent ? Math.min(1, Math.abs(value) / extent) : 0;
  return (
    <span className="mini-bar" aria-hidden="true">
      <span className={value < 0 ? "negative" : undefined} style={{ width: `${Math.round(share * 100)}%` }} />
    </span>
  );
}

export default function ScoresPanel({
  projectId,
  reloadKey,
  dimensionTitles,
}: {
  projectId: number;
  reloadKey: number;
  /** Dimension key → title, in the order to show (from the active set). */
  dimensionTitles: Map<string, string>;
}) {
  const [ordering, setOrdering] = useState<Ordering>("-total");
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<ScorePage | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState("");
  const [open, setOpen] = useState<ScoredAssetRef | null>(null);
  const tableRef = useRef<HTMLTableElement>(null);

  useEffect(() => {
    let live = true;
    setLoading(true);
    setError("");
    api
      .scores(projectId, offset, ordering, SCORES_PAGE)
      .then((p) => live && setPage(p))
      .catch((exc) => live && setError(message(exc)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [projectId, offset, ordering, reloadKey]);

  const rows = useMemo(() => page?.results ?? [], [page]);
  const dimKeys = useMemo(() => {
    const present = new Set(rows.flatMap((r) => Object.keys(r.dimensions ?? {})));
    return [...[...dimensionTitles.keys()].filter((k) => present.has(k)), ...[...present].filter((k) => !dimensionTitles.has(k))];
  }, [rows, dimensionTitles]);
  const extents = useMemo(() => {
    const out = new Map<string, number>();
    for (const k of dimKeys) out.set(k, Math.max(0, ...rows.map((r) => Math.abs(r.dimensions?.[k] ?? 0))));
    return out;
  }, [rows, dimKeys]);

  const sortBy = () => {
    setOrdering((o) => (o === "-total" ? "total" : "-total"));
    setOffset(0);
  };

  if (error) {
    return (
      <p role="alert" className="error">
        {error}
      </p>
    );
  }
  if (!page) return <p role="status">Loading scores…</p>;
  if (!page.weight_set) {
    return (
      <p className="empty-note" data-testid="no-scores">
        No weight set is active, so the assets have no scores yet. Load the published VisionReward weights or fit new
        ones, then promote a version: every asset is scored with it.
      </p>
    );
  }
  if (!page.count) {
    return <p className="muted">No asset has a score yet: the scores of version {page.weight_set.version} are still being computed, or no asset has answers.</p>;
  }

  const first = offset + 1;
  const last = offset + rows.length;
  const dirLabel = ordering === "-total" ? "highest first" : "lowest first";
  return (
    <>
      <p className="muted">
        Scored with version {page.weight_set.version}
        {page.weight_set.label ? ` (${page.weight_set.label})` : ""}. Select a row for its breakdown.
        {loading && (
          <span role="status" className="visually-hidden">
            Updating…
          </span>
        )}
      </p>
      <div className="table-scroll">
        <table className="scores-table" ref={tableRef}>
          <caption className="visually-hidden">
            Assets by total score, {dirLabel}; rows {first} to {last} of {page.count}
          </caption>
          <thead>
            <tr>
              <th scope="col">Asset</th>
              <th scope="col">Prompt</th>
              <th scope="col" className="num" aria-sort={ordering === "-total" ? "descending" : "ascending"}>
                <button type="button" className="sort-button" onClick={sortBy}>
                  Total
                  <span aria-hidden="true" className="sort-arrow">
                    {ordering === "-total" ? " ▼" : " ▲"}
                  </span>
                </button>
              </th>
              {dimKeys.map((k) => (
                <th key={k} scope="col" className="num">
                  {dimensionTitles.get(k) ?? k}
                </th>
              ))}
              <th scope="col">From</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.asset.id} className="clickable" data-asset={r.asset.id} onClick={() => setOpen(r.asset)}>
                <td className="asset-cell">
                  {r.asset.thumbnail ? (
                    <img src={r.asset.thumbnail} alt="" className="score-thumb" loading="lazy" width={48} height={48} />
                  ) : (
                    <span className="score-thumb placeholder" aria-hidden="true">
                      {r.asset.kind === "video" ? "▶" : "▢"}
                    </span>
                  )}
                  <button
                    type="button"
                    className="link"
                    data-asset-button={r.asset.id}
                    onClick={(e) => {
                      e.stopPropagation();
                      setOpen(r.asset);
                    }}
                  >
                    <span className="visually-hidden">Score breakdown of asset</span> #{r.asset.id}
                  </button>
                </td>
                <td className="prompt-cell">{r.asset.prompt || <span className="muted">no prompt</span>}</td>
                <td className="num total-cell">{weight(r.total)}</td>
                {dimKeys.map((k) => {
                  const v = r.dimensions?.[k];
                  return (
                    <td key={k} className="num dim-cell">
                      {v == null ? (
                        "—"
                      ) : (
                        <>
                          {weight(v)} <MiniBar value={v} extent={extents.get(k) ?? 0} />
                        </>
                      )}
                    </td>
                  );
                })}
                <td>{r.source === "model" ? "model" : "people"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="pager">
        <button type="button" onClick={() => setOffset(Math.max(0, offset - SCORES_PAGE))} disabled={!page.previous || loading}>
          Previous
        </button>
        <span className="muted">
          {count(first)}–{count(last)} of {count(page.count)}
        </span>
        <button type="button" onClick={() => setOffset(offset + SCORES_PAGE)} disabled={!page.next || loading}>
          Next
        </button>
      </div>
      {open && (
        <ScoreBreakdownDialog
          projectId={projectId}
          asset={open}
          onClose={() => setOpen(null)}
          returnFocus={() => tableRef.current?.querySelector<HTMLElement>(`[data-asset-button="${open.id}"]`)}
        />
      )}
    </>
  );
}
