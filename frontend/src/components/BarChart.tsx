import { useId, useState } from "react";

// A small SVG bar chart without a chart library. The SVG is one image for assistive technology
// (role="img" with a summarising aria-label); each bar carries a <title> for pointer users and
// a "Show data" toggle renders the same numbers as a table.

export interface BarDatum {
  label: string;
  value: number;
}

export interface BarChartProps {
  data: BarDatum[];
  title: string;
  height?: number;
  /** The top of the value axis; defaults to the largest value. */
  max?: number;
  format?: (v: number) => string;
  /** Axis titles, drawn under the labels and along the value axis. */
  xLabel?: string;
  yLabel?: string;
}

const WIDTH = 640;
const PAD = { top: 18, right: 12, bottom: 24, left: 44 };
const defaultFormat = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));

export default function BarChart({ data, title, height = 200, max, format = defaultFormat, xLabel, yLabel }: BarChartProps) {
  const [showTable, setShowTable] = useState(false);
  const tableId = useId();

  if (!data.length) {
    return (
      <div className="bar-chart">
        <p className="muted chart-empty">
          <span>No data yet</span>
          <span className="visually-hidden"> ({title})</span>
        </p>
      </div>
    );
  }

  const values = data.map((d) => (Number.isFinite(d.value) ? Math.max(0, d.value) : 0));
  const top = Math.max(max ?? 0, ...values) || 1;
  const bottomPad = PAD.bottom + (xLabel ? 16 : 0);
  const leftPad = PAD.left + (yLabel ? 14 : 0);
  const plotW = WIDTH - leftPad - PAD.right;
  const plotH = Math.max(40, height - PAD.top - bottomPad);
  const slot = plotW / data.length;
  const barW = Math.max(1, Math.min(48, slot * 0.72));
  // Keep the category labels readable when there are many bars (e.g. 90 days).
  const labelEvery = Math.max(1, Math.ceil(data.length / 12));
  const maxChars = Math.max(4, Math.floor((slot * labelEvery) / 7));
  const showValues = data.length <= 31;
  const y = (v: number) => PAD.top + plotH - (plotH * v) / top;

  const total = values.reduce((a, b) => a + b, 0);
  const peak = data[values.indexOf(Math.max(...values))];
  const summary =
    `${title}: ${data.length} bar${data.length === 1 ? "" : "s"}` +
    `, highest ${format(Math.max(...values))} (${peak.label})` +
    `, lowest ${format(Math.min(...values))}` +
    (max === undefined ? `, total ${format(total)}` : "");

  return (
    <div className="bar-chart">
      <svg
        className="chart"
        viewBox={`0 0 ${WIDTH} ${height}`}
        role="img"
        aria-label={summary}
        preserveAspectRatio="xMidYMid meet"
      >
        <line className="axis" x1={leftPad} x2={leftPad} y1={PAD.top} y2={PAD.top + plotH} />
        <line className="axis" x1={leftPad} x2={WIDTH - PAD.right} y1={PAD.top + plotH} y2={PAD.top + plotH} />
        {[0, top / 2, top].map((tick, i) => (
          <g key={i}>
            {i > 0 && <line className="grid-line" x1={leftPad} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} />}
            <text x={leftPad - 4} y={y(tick) + 4} textAnchor="end" className="tick">
              {format(tick)}
            </text>
          </g>
        ))}
        {data.map((d, i) => {
          const v = values[i];
          const cx = leftPad + slot * i + slot / 2;
          return (
            <g key={`${d.label}-${i}`} className="bar">
              <rect
                className="bar-rect"
                x={cx - barW / 2}
                y={y(v)}
                width={barW}
                height={Math.max(0, PAD.top + plotH - y(v))}
              >
                <title>{`${d.label}: ${format(d.value)}`}</title>
              </rect>
              {showValues && (
                <text x={cx} y={y(v) - 3} textAnchor="middle" className="value">
                  {format(d.value)}
                </text>
              )}
              {i % labelEvery === 0 && (
                <text x={cx} y={PAD.top + plotH + 14} textAnchor="middle" className="label">
                  {d.label.length > maxChars ? `${d.label.slice(0, maxChars - 1)}…` : d.label}
                </text>
              )}
            </g>
          );
        })}
        {xLabel && (
          <text x={leftPad + plotW / 2} y={height - 4} textAnchor="middle" className="axis-title">
            {xLabel}
          </text>
        )}
        {yLabel && (
          <text
            x={12}
            y={PAD.top + plotH / 2}
            textAnchor="middle"
            className="axis-title"
            transform={`rotate(-90 12 ${PAD.top + plotH / 2})`}
          >
            {yLabel}
          </text>
        )}
      </svg>
      <button
        type="button"
        className="link chart-toggle"
        aria-expanded={showTable}
        aria-controls={tableId}
        onClick={() => setShowTable((s) => !s)}
      >
        {showTable ? "Hide data" : "Show data"}
        <span className="visually-hidden"> for {title}</span>
      </button>
      {showTable && (
        <table id={tableId} className="chart-data">
          <caption className="visually-hidden">{title}</caption>
          <thead>
            <tr>
              <th scope="col">{xLabel ?? "Label"}</th>
              <th scope="col" className="num">
                {yLabel ?? "Value"}
              </th>
            </tr>
          </thead>
          <tbody>
            {data.map((d, i) => (
              <tr key={`${d.label}-${i}`}>
                <th scope="row">{d.label}</th>
                <td className="num">{format(d.value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
