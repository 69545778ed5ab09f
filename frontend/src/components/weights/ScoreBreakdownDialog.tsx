import { useEffect, useId, useState } from "react";
import { api, ApiError } from "../../api";
import type { ScoreBreakdown, ScoredAssetRef } from "../../types";
import Modal from "./Modal";
import { message, weight } from "./format";

// One asset's score term by term: per dimension its questions' value × weight = contribution,
// then the extra features and the intercept.

const value2 = (v: number) => (Number.isFinite(v) ? (v < 0 ? `−${Math.abs(v).toFixed(2)}` : v.toFixed(2)) : "—");

export default function ScoreBreakdownDialog({
  projectId,
  asset,
  onClose,
  returnFocus,
}: {
  projectId: number;
  asset: ScoredAssetRef;
  onClose: () => void;
  returnFocus?: () => HTMLElement | null | undefined;
}) {
  const titleId = useId();
  const [data, setData] = useState<ScoreBreakdown | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    const controller = new AbortController();
    setData(null);
    setError("");
    api.assetScore(projectId, asset.id, controller.signal).then(
      (d) => setData(d),
      (exc) => {
        if (controller.signal.aborted) return;
        setError(exc instanceof ApiError && exc.status === 404 ? "This asset has no score yet." : message(exc));
      },
    );
    return () => controller.abort();
  }, [projectId, asset.id]);

  return (
    <Modal labelledBy={titleId} onClose={onClose} className="breakdown-dialog" testId="score-breakdown" returnFocus={returnFocus}>
      <div className="dialog-head">
        <h2 id={titleId} tabIndex={-1}>
          Score of asset #{asset.id}
        </h2>
        <button type="button" onClick={onClose}>
          Close <kbd>Esc</kbd>
        </button>
      </div>
      <div className="breakdown-asset">
        {asset.thumbnail && <img src={asset.thumbnail} alt="" className="score-thumb" />}
        <p>
          <span className="muted">{asset.kind} · </span>
          {asset.prompt || <span className="muted">no prompt</span>}
        </p>
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {!data && !error && <p role="status">Loading the breakdown…</p>}
      {data && (
        <>
          <p data-testid="breakdown-total">
            Total <strong>{weight(data.total)}</strong> with version {data.weight_set.version}
            {data.weight_set.label ? ` (${data.weight_set.label})` : ""}, from{" "}
            {data.source === "model" ? "model predictions" : "people's answers"}; intercept {weight(data.intercept)}.
          </p>
          {data.dimensions.map((d) => (
            <div className="table-scroll" key={d.key}>
              <table className="breakdown-table">
                <caption>
                  {d.title}: <strong>{weight(d.score)}</strong>
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Question</th>
                    <th scope="col" className="num">
                      Value
                    </th>
                    <th scope="col" className="num">
                      Weight
                    </th>
                    <th scope="col" className="num">
                      Contribution
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {d.questions.map((q) => (
                    <tr key={q.key} data-question={q.key}>
                      <th scope="row">{q.text}</th>
                      <td className="num">{value2(q.value)}</td>
                      <td className="num">× {weight(q.weight)}</td>
                      <td className="num">= {weight(q.contribution)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ))}
          {data.extra.length > 0 && (
            <div className="table-scroll">
              <table className="breakdown-table">
                <caption>Extra features</caption>
                <thead>
                  <tr>
                    <th scope="col">Feature</th>
                    <th scope="col" className="num">
                      Value
                    </th>
                    <th scope="col" className="num">
                      Weight
                    </th>
                    <th scope="col" className="num">
                      Contribution
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.extra.map((x) => (
                    <tr key={x.name}>
                      <th scope="row">{x.name}</th>
                      <td className="num">{value2(x.value)}</td>
                      <td className="num">× {weight(x.weight)}</td>
                      <td className="num">= {weight(x.contribution)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </Modal>
  );
}
