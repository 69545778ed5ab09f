import type { DatasetVersion, DominanceStats } from "../../types";
import { count, percent1, settingValue, when } from "../weights/format";
import { humanBytes } from "../assets/uploadQueue";
import { ARCHIVE_FORMATS } from "./ArchiveLinks";
import { KNOWN_STATS, configTotals } from "./format";
import { StateBadge } from "./VersionTable";

// One dataset version in full: how it was made (settings, weight set), its rows per config and
// split, the agreement summary (a few figures and the whole JSON) and its files.

interface Props {
  version: DatasetVersion;
  projectName: (id: number) => string;
  labelOf: (id: number) => string;
  /** Open the "Publish to the Hub" dialog (ready versions). */
  onPublish?: () => void;
}

function statValue(kind: (typeof KNOWN_STATS)[number]["kind"], v: unknown): string {
  if (typeof v !== "number") return v == null ? "—" : settingValue(v);
  if (kind === "percent") return percent1(v);
  if (kind === "kappa") return v.toFixed(2);
  return count(v);
}

export default function VersionDetails({ version: v, projectName, labelOf, onPublish }: Props) {
  const s = v.settings ?? ({} as Partial<DatasetVersion["settings"]>);
  const configs = configTotals(v);
  const splits = [...new Set(configs.flatMap(([name]) => Object.keys(v.row_counts[name] ?? {})))];
  const stats = v.stats ?? {};
  const known = KNOWN_STATS.filter((k) => k.key in stats && (typeof stats[k.key] !== "object" || stats[k.key] === null));
  const facts: [string, string][] = [
    ["Projects", v.projects.map(projectName).join(", ") || "—"],
    ["Checklist version", String(v.checklist_version)],
    ["Weight set", v.weight_set != null ? `#${v.weight_set}` : "none"],
    ["Combine", settingValue(s.combine)],
    ["Annotations", (s.states ?? []).join(", ") || "—"],
    ["Late extras", s.include_late ? "included" : "left out"],
    [
      "Splits",
      Object.entries(s.split_ratios ?? {})
        .map(([name, share]) => `${name} ${share}`)
        .join(", ") || "—",
    ],
    ["Seed", settingValue(s.seed)],
    ["Embed images", settingValue(s.embed_media)],
    ["Embed video frames", settingValue(s.embed_frames)],
    ["Rows per shard", settingValue(s.shard_rows)],
    ["Balanced subset cap", s.balanced_cap == null ? "off" : settingValue(s.balanced_cap)],
    ["License", s.license ?? "—"],
    ["Created", `${when(v.created_at)}${v.created_by ? ` by ${v.created_by}` : ""}`],
    ["Finished", when(v.finished_at)],
    ["Content hash", v.content_hash || "—"],
  ];
  const rule = s.kind === "dominance_pairs" ? s.dominance : null;
  if (rule) {
    // a dominance version: its rule instead of the annotation settings it does not use
    const skip = new Set(["Combine", "Annotations", "Late extras", "Balanced subset cap", "Embed video frames"]);
    facts.splice(0, facts.length, ...facts.filter(([term]) => !skip.has(term)));
    facts.splice(
      3,
      0,
      ["Kind", "dominance pairs"],
      ["Scores from", rule.source],
      ["Dimensions (margin)", Object.entries(rule.margins).map(([d, m]) => `${d} (${m})`).join(", ")],
      ["Pairs per prompt", String(rule.pairs_per_prompt)],
      ["Pairs per sample", rule.max_uses == null ? "no limit" : String(rule.max_uses)],
    );
  }
  const dominance = rule ? (stats as Partial<DominanceStats>) : null;

  return (
    <div className="selected-set version-details" data-testid="version-details">
      <h3>
        {v.label} <StateBadge state={v.state} />
      </h3>
      {v.description && <p>{v.description}</p>}
      {v.state === "duplicate" && v.duplicate_of != null && (
        <p className="muted">
          Same content as {labelOf(v.duplicate_of)}: no second copy was kept; download that version.
        </p>
      )}
      {v.state === "failed" && <p className="error">{v.error || "The export failed; no reason was given."}</p>}
      <div className="weight-facts-row">
        <div className="weight-facts">
          <h4>How it was made</h4>
          <dl>
            {facts.map(([term, value]) => (
              <div key={term}>
                <dt>{term}</dt>
                <dd>{value}</dd>
              </div>
            ))}
          </dl>
        </div>
        {dominance?.per_dimension && (
          <div className="weight-facts" data-testid="version-dominance-stats">
            <h4>Pairs per rule</h4>
            <dl>
              {Object.entries(dominance.per_dimension).map(([d, x]) => (
                <div key={d}>
                  <dt>{d} alone</dt>
                  <dd>{x.alone.toLocaleString("en-US")}</dd>
                </div>
              ))}
              <div>
                <dt>The full rule</dt>
                <dd>{(dominance.candidates ?? 0).toLocaleString("en-US")}</dd>
              </div>
              <div>
                <dt>Exported (after the cap)</dt>
                <dd>{(dominance.selected ?? 0).toLocaleString("en-US")}</dd>
              </div>
            </dl>
          </div>
        )}
        {known.length > 0 && (
          <div className="weight-facts" data-testid="version-stats">
            <h4>Statistics</h4>
            <dl>
              {known.map((k) => (
                <div key={k.key}>
                  <dt>{k.label}</dt>
                  <dd>{statValue(k.kind, stats[k.key])}</dd>
                </div>
              ))}
            </dl>
          </div>
        )}
      </div>

      {configs.length > 0 && (
        <div className="table-scroll">
          <table className="row-counts">
            <caption>Rows per config and split</caption>
            <thead>
              <tr>
                <th scope="col">Config</th>
                {splits.map((split) => (
                  <th key={split} scope="col" className="num">
                    {split}
                  </th>
                ))}
                <th scope="col" className="num">
                  Total
                </th>
              </tr>
            </thead>
            <tbody>
              {configs.map(([name, total]) => (
                <tr key={name}>
                  <th scope="row">{name}</th>
                  {splits.map((split) => (
                    <td key={split} className="num">
                      {count(v.row_counts[name]?.[split] ?? 0)}
                    </td>
                  ))}
                  <td className="num">{count(total)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      {Object.keys(stats).length > 0 && (
        <details className="weight-details">
          <summary>Statistics details</summary>
          <pre className="json" data-testid="stats-json">
            {JSON.stringify(stats, null, 2)}
          </pre>
        </details>
      )}
      {v.files.length > 0 && (
        <details className="weight-details">
          <summary>
            Files ({count(v.files.length)})
          </summary>
          <ul className="file-list">
            {v.files.map((f) => (
              <li key={f}>
                <code>{f}</code>
              </li>
            ))}
          </ul>
        </details>
      )}
      {(v.pushes?.length ?? 0) > 0 && (
        <div data-testid="version-pushes">
          <h4>On the Hub</h4>
          <ul className="file-list">
            {v.pushes!.map((p) => (
              <li key={`${p.repo_id}-${p.at}`}>
                <a href={p.url} target="_blank" rel="noreferrer">
                  {p.repo_id}
                </a>{" "}
                <span className="muted">
                  ({p.private ? "private" : "public"}, {when(p.at)}
                  {p.by ? ` by ${p.by}` : ""})
                </span>
              </li>
            ))}
          </ul>
        </div>
      )}
      {v.download && (
        <p className="actions">
          {ARCHIVE_FORMATS.map(({ format, label }) => {
            const archive = v.archives ? v.archives[format] : undefined;
            // built (or a server without archive jobs): the file; else it is prepared in the list
            return archive === undefined || archive?.state === "ready" ? (
              <a key={format} className="button" href={v.download![format]} download>
                Download {v.label} ({label}
                {archive?.size != null ? `, ${humanBytes(archive.size)}` : ""})
              </a>
            ) : null;
          })}
          {v.archives && ARCHIVE_FORMATS.some(({ format }) => v.archives?.[format]?.state !== "ready") && (
            <span className="muted">Archives not built yet are prepared from the Download column of the list.</span>
          )}
          {onPublish && v.state === "ready" && (
            <button type="button" onClick={onPublish}>
              Publish {v.label} to the Hub…
            </button>
          )}
        </p>
      )}
    </div>
  );
}
