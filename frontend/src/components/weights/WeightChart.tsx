import { useId, useState } from "react";
import { humanize, weight as defaultFormat } from "./format";

// The weights of one dimension's questions as horizontal bars around zero (weights can be
// negative, which BarChart does not draw), one bar per weight set when two are compared. As
// BarChart: the SVG is one image with a summarising label, each bar has a <title> with the
// question's text, and "Show data" gives the same numbers as a table.

export interface ChartQuestion {
  key: string;
  text: string;
  sub_dimension: string;
}

export interface WeightSeries {
  name: string;
  /** Question key → weight; a question missing here has no weight in this set. */
  weights: Record<string, number | undefined>;
}

interface Props {
  title: string;
  questions: ChartQuestion[];
  /** One or two sets; with two, the second is drawn below the first and a change column is added. */
  series: WeightSeries[];
  /** The value axis, shared by the charts of one page so that their bars compare: [min ≤ 0, max ≥ 0]. */
  domain: [number, number];
  format?: (v: number) => string;
}

const WIDTH = 640;
const LABEL_W = 232;
const RIGHT = 58;
const TOP = 6;
const AXIS_H = 20;
const MAX_LABEL = 36;

const truncate = (text: string) => (text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text);

export default function WeightChart({ title, questions, series, domain, format = defaultFormat }: Props) {
  const [showTable, setShowTable] = useState(false);
  const tableId = useId();

  if (!questions.length) {
    return (
      <div className="bar-chart">
        <p className="muted chart-empty">
          <span>No questions</span>
          <span className="visually-hidden"> ({title})</span>
        </p>
      </div>
    );
  }

  const lo = Math.min(0, domain[0]);
  const hi = Math.max(0, domain[1]);
  const span = hi - lo || 1;
  const plotL = LABEL_W + 8;
  const plotW = WIDTH - plotL - RIGHT;
  const x = (v: number) => plotL + (plotW * (v - lo)) / span;
  const x0 = x(0);
  const compare = series.length > 1;
  const barH = compare ? 10 : 13;
  const rowH = compare ? 2 * barH + 8 : barH + 7;
  const height = TOP + questions.length * rowH + AXIS_H;
  const valueOf = (s: WeightSeries, key: string) => {
    const v = s.weights[key];
    return v == null || !Number.isFinite(v) ? null : v;
  };

  // Summary of the first set: its smallest and largest weight.
  const first = questions
    .map((q) => ({ q, v: valueOf(series[0], q.key) }))
    .filter((d): d is { q: ChartQuestion; v: number } => d.v !== null);
  let summary = `${title}: ${questions.length} question${questions.length === 1 ? "" : "s"}`;
  if (first.length) {
    const top = first.reduce((a, b) => (b.v > a.v ? b : a));
    const bottom = first.reduce((a, b) => (b.v < a.v ? b : a));
    summary += `, ${series[0].name} from ${format(bottom.v)} (${bottom.q.text}) to ${format(top.v)} (${top.q.text})`;
  }
  if (compare) summary += `, compared with ${series[1].name}`;

  return (
    <div className="bar-chart weight-chart">
      {compare && (
        <ul className="chart-legend" aria-label="Legend">
          {series.map((s, i) => (
            <li key={s.name}>
              <span className={`swatch series-${i}`} aria-hidden="true" /> {s.name}
            </li>
          ))}
        </ul>
      )}
      <svg className="chart" viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label={summary} preserveAspectRatio="xMidYMid meet">
        {questions.map((q, row) => {
          const y = TOP + row * rowH;
          return (
            <g key={q.key} className="weight-row" data-question={q.key}>
              <text x={LABEL_W} y={y + rowH / 2 + 3} textAnchor="end" className="label">
                <title>{q.text}</title>
                {truncate(q.text)}
              </text>
              {series.map((s, i) => {
                const v = valueOf(s, q.key);
                if (v === null) return null;
                const by = y + 3 + i * barH;
                const end = x(v);
                return (
                  <g key={s.name}>
                    <rect
                      className={`weight-bar series-${i}${v < 0 ? " negative" : ""}`}
                      x={Math.min(end, x0)}
                      y={by}
                      width={Math.max(1, Math.abs(end - x0))}
                      height={barH - 1}
                    >
                      <title>{`${q.text} (${s.name}): ${format(v)}`}</title>
                    </rect>
                    {!compare && (
                      <text x={WIDTH - RIGHT + 4} y={by + barH - 3} className="value">
                        {format(v)}
                      </text>
                    )}
                  </g>
                );
              })}
            </g>
          );
        })}
        <line className="axis" x1={x0} x2={x0} y1={TOP} y2={height - AXIS_H} />
        <line className="grid-line" x1={plotL} x2={plotL + plotW} y1={height - AXIS_H} y2={height - AXIS_H} />
        {[lo, 0, hi]
          .filter((t, i, all) => all.indexOf(t) === i)
          .map((t) => (
            <text key={t} x={x(t)} y={height - 6} textAnchor={t === lo ? "start" : t === hi ? "end" : "middle"} className="tick">
              {format(t)}
            </text>
          ))}
      </svg>
      <button
        type="button"
        className="link chart-toggle"
        aria-expanded={showTable}
        aria-controls={tableId}
        onClick={() => setShowTable((s) => !s)}
      >
        {showTable ? "Hide data" : "Show data"} <span className="visually-hidden">for {title}</span>
      </button>
      {showTable && (
        <div className="table-scroll">
          <table id={tableId} className="chart-data weight-data">
            <caption className="visually-hidden">{title}</caption>
            <thead>
              <tr>
                <th scope="col">Question</th>
                <th scope="col">Sub-dimension</th>
                {series.map((s) => (
                  <th key={s.name} scope="col" className="num">
                    {s.name}
                  </th>
                ))}
                {compare && (
                  <th scope="col" className="num">
                    Change
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {questions.map((q) => {
                const a = valueOf(series[0], q.key);
                const b = compare ? valueOf(series[1], q.key) : null;
                return (
                  <tr key={q.key}>
                    <th scope="row">{q.text}</th>
                    <td>{humanize(q.sub_dimension)}</td>
                    {series.map((s) => {
                      const v = valueOf(s, q.key);
                      return (
                        <td key={s.name} className="num">
                          {v === null ? "—" : format(v)}
                        </td>
                      );
                    })}
                    {compare && <td className="num">{a === null || b === null ? "—" : `${b - a > 0 ? "+" : ""}${format(b - a)}`}</td>}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
