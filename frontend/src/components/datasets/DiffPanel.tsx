import { useEffect, useMemo, useState } from "react";
import { api } from "../../api";
import type { DatasetDiff } from "../../types";
import { count, message } from "../weights/format";
import { signed } from "./format";
import type { Comparison } from "./VersionTable";

// What changed from version A to version B (rows of the default config matched by id): items
// added, removed, with other answers, moved to another split, unchanged, each with examples; and
// per question the yes answers in A and B, sortable by the size of the difference.

interface Props {
  comparison: Comparison;
  labelOf: (id: number) => string;
  onSwap: () => void;
}

type Part = "added" | "removed" | "changed" | "moved_split";
const PARTS: { key: Part; title: string; hint: string }[] = [
  { key: "added", title: "Added", hint: "Items only in B" },
  { key: "removed", title: "Removed", hint: "Items only in A" },
  { key: "changed", title: "Changed", hint: "Other answers (or applicability) in B" },
  { key: "moved_split", title: "Moved split", hint: "In another split in B" },
];

type Sort = { by: "question" | "diff"; dir: "asc" | "desc" };

function examplesOf(diff: DatasetDiff, part: Part): string[] {
  switch (part) {
    case "added":
    case "removed":
      return diff[part].examples.map(String);
    case "changed":
      return diff.changed.examples.map((e) => `${e.id}: ${e.questions.join(", ")}`);
    case "moved_split":
      return diff.moved_split.examples.map((e) => `${e.id}: ${e.from ?? "—"} → ${e.to ?? "—"}`);
  }
}

function QuestionTable({ diff, a, b }: { diff: DatasetDiff; a: string; b: string }) {
  const [sort, setSort] = useState<Sort>({ by: "question", dir: "asc" });
  const rows = useMemo(() => {
    const list = Object.entries(diff.questions ?? {}).map(([key, q], index) => ({ key, index, ...q }));
    const sign = sort.dir === "asc" ? 1 : -1;
    return list.sort((x, y) =>
      sort.by === "question"
        ? sign * (x.index - y.index)
        : sign * (Math.abs(x.diff) - Math.abs(y.diff)) || x.index - y.index,
    );
  }, [diff, sort]);
  if (!rows.length) return <p className="muted">No question has answers in either version.</p>;

  const click = (by: Sort["by"]) =>
    setSort((s) => (s.by === by ? { by, dir: s.dir === "asc" ? "desc" : "asc" } : { by, dir: by === "diff" ? "desc" : "asc" }));
  const ariaSort = (by: Sort["by"]) => (sort.by === by ? (sort.dir === "asc" ? "ascending" : "descending") : "none");
  const arrow = (by: Sort["by"]) => (sort.by === by ? (sort.dir === "asc" ? " ▲" : " ▼") : " ↕");
  const sortText =
    sort.by === "question"
      ? `in checklist order${sort.dir === "desc" ? ", reversed" : ""}`
      : `by the size of the difference, ${sort.dir === "desc" ? "largest" : "smallest"} first`;

  return (
    <div className="table-scroll">
      <table className="diff-questions">
        <caption className="visually-hidden">
          Yes answers per question in {a} and {b}, {sortText}. Select the Question or Difference header to sort.
        </caption>
        <thead>
          <tr>
            <th scope="col" aria-sort={ariaSort("question")}>
              <button type="button" className="sort-button" onClick={() => click("question")}>
                Question
                <span aria-hidden="true" className="sort-arrow">
                  {arrow("question")}
                </span>
              </button>
            </th>
            <th scope="col" className="num">
              Yes in {a}
            </th>
            <th scope="col" className="num">
              Yes in {b}
            </th>
            <th scope="col" className="num" aria-sort={ariaSort("diff")}>
              <button type="button" className="sort-button" onClick={() => click("diff")}>
                Difference
                <span aria-hidden="true" className="sort-arrow">
                  {arrow("diff")}
                </span>
              </button>
            </th>
            <th scope="col" className="num">
              Items changed
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((q) => (
            <tr key={q.key} data-question={q.key}>
              <th scope="row">{q.key}</th>
              <td className="num">{count(q.yes_a)}</td>
              <td className="num">{count(q.yes_b)}</td>
              <td className={`num${q.diff < 0 ? " negative" : q.diff > 0 ? " positive" : ""}`}>{signed(q.diff)}</td>
              <td className="num">{count(q.changed)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default function DiffPanel({ comparison, labelOf, onSwap }: Props) {
  const { from, to } = comparison;
  const [diff, setDiff] = useState<DatasetDiff | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    const control = new AbortController();
    setDiff(null);
    setError("");
    api.datasetDiff(to, from, control.signal).then(
      (d) => !control.signal.aborted && setDiff(d),
      (exc) => {
        if (control.signal.aborted || (exc instanceof DOMException && exc.name === "AbortError")) return;
        setError(message(exc));
      },
    );
    return () => control.abort();
  }, [from, to]);

  const a = labelOf(from);
  const b = labelOf(to);
  return (
    <>
      <p className="muted">
        A is {a}, B is {b}: the rows of their default configs, matched by item id.{" "}
        <button type="button" onClick={onSwap}>
          Swap A and B
        </button>
      </p>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {!diff && !error && <p role="status">Comparing {a} with {b}…</p>}
      {diff && (
        <div data-testid="diff">
          <p data-testid="diff-rows">
            {a} has {count(diff.rows_a)} row{diff.rows_a === 1 ? "" : "s"}, {b} has {count(diff.rows_b)}; {count(diff.unchanged)}{" "}
            item{diff.unchanged === 1 ? " is" : "s are"} unchanged.
          </p>
          <div className="stat-cards diff-cards">
            {PARTS.map((part) => {
              const n = diff[part.key]?.count ?? 0;
              const examples = examplesOf(diff, part.key);
              return (
                <div key={part.key} className="card stat-card">
                  <h3>{part.title}</h3>
                  <p className="stat-value" data-testid={`diff-${part.key}`}>
                    {count(n)}
                  </p>
                  <p className="muted">{part.hint}</p>
                  {examples.length > 0 && (
                    <details className="diff-examples">
                      <summary>
                        {examples.length < n ? `First ${count(examples.length)} examples` : `Example${examples.length === 1 ? "" : "s"}`}
                        <span className="visually-hidden"> of {part.title.toLowerCase()} items</span>
                      </summary>
                      <ul>
                        {examples.map((text) => (
                          <li key={text}>
                            <code>{text}</code>
                          </li>
                        ))}
                      </ul>
                    </details>
                  )}
                </div>
              );
            })}
            <div className="card stat-card">
              <h3>Unchanged</h3>
              <p className="stat-value" data-testid="diff-unchanged">
                {count(diff.unchanged)}
              </p>
              <p className="muted">Same answers, same split</p>
            </div>
          </div>
          <h3>Yes answers per question</h3>
          <QuestionTable diff={diff} a={a} b={b} />
        </div>
      )}
    </>
  );
}
