import type { DatasetVersion } from "../../types";

// Small formats of the datasets page.

/** The configs of an export in the order the dataset card lists them; others follow by name. */
export const CONFIG_ORDER = ["default", "visionreward", "pairs", "regression", "balanced_qa"];

/** A config's rows over its splits. */
export const rowsOf = (splits: Record<string, number> | undefined) =>
  Object.values(splits ?? {}).reduce((total, n) => total + (Number.isFinite(n) ? n : 0), 0);

/** [config, rows] of a version, in CONFIG_ORDER. */
export function configTotals(version: Pick<DatasetVersion, "row_counts">): [string, number][] {
  const names = Object.keys(version.row_counts ?? {});
  const order = (name: string) => {
    const i = CONFIG_ORDER.indexOf(name);
    return i < 0 ? CONFIG_ORDER.length : i;
  };
  return names
    .sort((a, b) => order(a) - order(b) || a.localeCompare(b))
    .map((name) => [name, rowsOf(version.row_counts[name])]);
}

/** The first 12 characters of a content hash, as the archive names use. */
export const shortHash = (hash: string) => hash.slice(0, 12);

/** A signed whole number with a true minus sign: +3, −2, 0. */
export const signed = (v: number) => (v > 0 ? `+${v.toLocaleString("en-US")}` : v < 0 ? `−${Math.abs(v).toLocaleString("en-US")}` : "0");

/** The stats an export records, as shown (the rest is in the JSON). */
export const KNOWN_STATS: { key: string; label: string; kind: "count" | "percent" | "kappa" }[] = [
  { key: "items", label: "Items", kind: "count" },
  { key: "items_with_annotations", label: "Items with annotations", kind: "count" },
  { key: "annotations", label: "Annotations", kind: "count" },
  { key: "annotators", label: "Annotators", kind: "count" },
  { key: "gold", label: "Gold answers", kind: "count" },
  { key: "mean_percent_agreement", label: "Mean agreement", kind: "percent" },
  { key: "mean_kappa", label: "Mean Fleiss κ", kind: "kappa" },
];
