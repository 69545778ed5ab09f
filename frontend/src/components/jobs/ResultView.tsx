import { humanize } from "../weights/format";
import { resultNumber } from "./format";

// Any JSON a job has (its params, its result) shown generically, so shapes this app does not
// know still show: scalars as a definition list, an object of objects as a table (one row per
// key, one column per inner key), lists of scalars joined; the raw JSON in a disclosure.

type Plain = Record<string, unknown>;

const isPlain = (v: unknown): v is Plain => v !== null && typeof v === "object" && !Array.isArray(v);
const isScalar = (v: unknown) => v === null || ["string", "number", "boolean"].includes(typeof v);
/** An object whose every value is an object: a table. */
const isTable = (v: unknown): v is Record<string, Plain> =>
  isPlain(v) && Object.keys(v).length > 0 && Object.values(v).every(isPlain);

export function scalarText(v: unknown): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number") return resultNumber(v);
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v === "string") return v === "" ? "—" : v;
  if (Array.isArray(v) && v.every(isScalar)) return v.length ? v.map(scalarText).join(", ") : "—";
  return JSON.stringify(v);
}

function ValueTable({ value, caption }: { value: Record<string, Plain>; caption: string }) {
  const rows = Object.entries(value);
  const columns = [...new Set(rows.flatMap(([, row]) => Object.keys(row)))];
  return (
    <div className="table-scroll">
      <table className="result-table">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Key</th>
            {columns.map((c) => (
              <th key={c} scope="col" className="num">
                {humanize(c)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map(([key, row]) => (
            <tr key={key} data-key={key}>
              <th scope="row">{key}</th>
              {columns.map((c) => (
                <td key={c} className={typeof row[c] === "number" ? "num" : undefined}>
                  {scalarText(row[c])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Value({ value, name, depth }: { value: unknown; name: string; depth: number }) {
  if (isTable(value) && depth < 4) return <ValueTable value={value} caption={name} />;
  if (isPlain(value) && depth < 4) {
    const entries = Object.entries(value);
    if (!entries.length) return <span className="muted">—</span>;
    return (
      <dl className="result-list">
        {entries.map(([key, inner]) => (
          <div key={key}>
            <dt>{humanize(key)}</dt>
            <dd>
              <Value value={inner} name={humanize(key)} depth={depth + 1} />
            </dd>
          </div>
        ))}
      </dl>
    );
  }
  return <span className={typeof value === "number" ? "num" : undefined}>{scalarText(value)}</span>;
}

/** `value` shown as lists and tables under `name`, with its raw JSON in a disclosure. */
export default function ResultView({ value, name }: { value: unknown; name: string }) {
  if (value === null || value === undefined || (isPlain(value) && !Object.keys(value).length)) {
    return <p className="muted">None.</p>;
  }
  return (
    <div className="result-view">
      <Value value={value} name={name} depth={0} />
      <details className="raw-json">
        <summary>Raw JSON of the {name.toLowerCase()}</summary>
        <pre className="json" tabIndex={0} role="region" aria-label={`${name}, raw JSON`}>
          {JSON.stringify(value, null, 2)}
        </pre>
      </details>
    </div>
  );
}
