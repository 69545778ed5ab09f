import { useMemo, useState } from "react";
import BarChart from "../BarChart";
import type { ProjectStats } from "../../types";
import { count, kappa, percent } from "./format";

// Agreement per question (% agreement and Fleiss κ in a table sortable by any column, lowest
// agreement first) and per sub-dimension (a bar chart).

type QuestionRow = ProjectStats["questions"][number];
type SortKey = "text" | "sub_dimension" | "n_items" | "percent_agreement" | "kappa";
const SORT_COLUMNS: { key: SortKey; label: string; numeric: boolean }[] = [
  { key: "text", label: "Question", numeric: false },
  { key: "sub_dimension", label: "Sub-dimension", numeric: false },
  { key: "n_items", label: "Items", numeric: true },
  { key: "percent_agreement", label: "% agreement", numeric: true },
  { key: "kappa", label: "Fleiss κ", numeric: true },
];

function AgreementTable({ questions, subTitle }: { questions: QuestionRow[]; subTitle: (key: string) => string }) {
  const [sort, setSort] = useState<{ key: SortKey; dir: "asc" | "desc" }>({ key: "percent_agreement", dir: "asc" });
  const sorted = useMemo(() => {
    const valueOf = (q: QuestionRow): string | number | null =>
      sort.key === "sub_dimension" ? subTitle(q.sub_dimension) : q[sort.key];
    const sign = sort.dir === "asc" ? 1 : -1;
    return [...questions].sort((a, b) => {
      const va = valueOf(a);
      const vb = valueOf(b);
      // Items without a value (too few annotations) go last either way.
      if (va == null || vb == null) return va == null ? (vb == null ? 0 : 1) : -1;
      if (typeof va === "number" && typeof vb === "number") return sign * (va - vb);
      return sign * String(va).localeCompare(String(vb));
    });
  }, [questions, sort, subTitle]);

  const clickHeader = (key: SortKey) =>
    setSort((s) => (s.key === key ? { key, dir: s.dir === "asc" ? "desc" : "asc" } : { key, dir: "asc" }));

  if (!questions.length) return <p className="muted">No questions answered yet.</p>;
  return (
    // a long table scrolls in its own box (keyboard-scrollable) so the page stays short
    <div className="table-scroll tall" tabIndex={0} role="region" aria-label="Agreement per question (scrolls)">
      <table className="agreement-table">
        <caption className="visually-hidden">
          Agreement per question, sorted by {SORT_COLUMNS.find((c) => c.key === sort.key)!.label} (
          {sort.dir === "asc" ? "ascending" : "descending"}). Select a column header to sort.
        </caption>
        <thead>
          <tr>
            {SORT_COLUMNS.map((c) => (
              <th
                key={c.key}
                scope="col"
                className={c.numeric ? "num" : undefined}
                aria-sort={sort.key === c.key ? (sort.dir === "asc" ? "ascending" : "descending") : "none"}
              >
                <button type="button" className="sort-button" onClick={() => clickHeader(c.key)}>
                  {c.label}
                  <span aria-hidden="true" className="sort-arrow">
                    {sort.key === c.key ? (sort.dir === "asc" ? " ▲" : " ▼") : " ↕"}
                  </span>
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {sorted.map((q) => (
            <tr key={q.key} data-question={q.key}>
              <td>{q.text}</td>
              <td>{subTitle(q.sub_dimension)}</td>
              <td className="num">{count(q.n_items)}</td>
              <td className="num">{percent(q.percent_agreement)}</td>
              <td className="num">{kappa(q.kappa)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface Props {
  stats: ProjectStats;
  /** A sub-dimension's title from its key. */
  subTitle: (key: string) => string;
}

export default function AgreementSection({ stats, subTitle }: Props) {
  return (
    <section aria-labelledby="agreement-title" className="card manage-section">
      <h2 id="agreement-title">Agreement per question</h2>
      <p className="muted">
        Share of annotator pairs giving the same yes/no answer, and Fleiss κ over items with at least two
        annotations. Lowest agreement first.
      </p>
      <AgreementTable questions={stats.questions} subTitle={subTitle} />
      <h3>Agreement per sub-dimension</h3>
      <BarChart
        title="Percent agreement per sub-dimension"
        data={stats.sub_dimensions
          .filter((s) => s.percent_agreement != null)
          .map((s) => ({ label: s.title, value: Math.round((s.percent_agreement ?? 0) * 100) }))}
        max={100}
        format={(v) => `${Math.round(v)}%`}
        xLabel="Sub-dimension"
        yLabel="% agreement"
      />
    </section>
  );
}
