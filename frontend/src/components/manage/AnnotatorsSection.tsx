import BarChart from "../BarChart";
import type { ProjectStats } from "../../types";
import { count, secondsPerItem, when } from "./format";

// Throughput per annotator: submitted, late, skipped, active, median time per item, last submit and
// a sparkline of the submits per day; then the submits per annotator as a bar chart.

function Sparkline({ values, label }: { values: number[]; label: string }) {
  if (!values.length) return <span className="muted">—</span>;
  const max = Math.max(1, ...values);
  const w = 3;
  const h = 18;
  return (
    <svg
      className="sparkline"
      width={values.length * (w + 1)}
      height={h}
      viewBox={`0 0 ${values.length * (w + 1)} ${h}`}
      role="img"
      aria-label={`${label}: ${values.join(", ")}`}
    >
      {values.map((v, i) => (
        <rect key={i} x={i * (w + 1)} y={h - (h * v) / max} width={w} height={(h * v) / max} />
      ))}
    </svg>
  );
}

export default function AnnotatorsSection({ stats, days }: { stats: ProjectStats; days: number }) {
  return (
    <section aria-labelledby="annotators-title" className="card manage-section">
      <h2 id="annotators-title">Throughput per annotator</h2>
      {stats.annotators.length ? (
        <>
          <div className="table-scroll">
            <table>
              <caption className="visually-hidden">Throughput per annotator, last {stats.days ?? days} days</caption>
              <thead>
                <tr>
                  <th scope="col">Annotator</th>
                  <th scope="col" className="num">
                    Submitted
                  </th>
                  <th scope="col" className="num">
                    Late
                  </th>
                  <th scope="col" className="num">
                    Skipped
                  </th>
                  <th scope="col" className="num">
                    Active
                  </th>
                  <th scope="col" className="num">
                    Median s / item
                  </th>
                  <th scope="col">Last submitted</th>
                  <th scope="col">Per day</th>
                </tr>
              </thead>
              <tbody>
                {stats.annotators.map((a) => (
                  <tr key={a.username}>
                    <th scope="row">{a.username}</th>
                    <td className="num">{count(a.submitted)}</td>
                    <td className="num">{count(a.late ?? 0)}</td>
                    <td className="num">{count(a.skipped)}</td>
                    <td className="num">{count(a.active)}</td>
                    <td className="num">{secondsPerItem(a.median_time_ms)}</td>
                    <td>{when(a.last_submitted_at)}</td>
                    <td>
                      <Sparkline values={a.daily ?? []} label={`${a.username}, submitted per day`} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h3>Submitted per annotator</h3>
          <BarChart
            title="Annotations submitted per annotator"
            data={stats.annotators.map((a) => ({ label: a.username, value: a.submitted }))}
            xLabel="Annotator"
            yLabel="Submitted"
          />
        </>
      ) : (
        <p className="muted">No annotator has submitted yet.</p>
      )}
    </section>
  );
}
