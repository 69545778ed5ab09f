// Number and date formats shared by the weights page.

export const message = (exc: unknown) => (exc instanceof Error ? exc.message : String(exc));

/** 0.7234 → "72.3%"; null → "—". */
export const percent1 = (v: number | null | undefined) => (v == null || !Number.isFinite(v) ? "—" : `${(v * 100).toFixed(1)}%`);

/** A weight or score: three decimals, tiny values in exponent form, with a true minus sign. */
export function weight(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return "—";
  const abs = Math.abs(v);
  const text = abs !== 0 && abs < 0.001 ? abs.toExponential(1) : abs.toFixed(3);
  return v < 0 && text !== "0.000" ? `−${text}` : text;
}

export const count = (v: number | null | undefined) => (v == null ? "—" : v.toLocaleString("en-US"));

export function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** "pairs_without_answers" → "Pairs without answers". */
export const humanize = (key: string) => {
  const text = key.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
};

/** A free-form setting's value for display. */
export function settingValue(v: unknown): string {
  if (v == null) return "—";
  if (typeof v === "number") return Number.isInteger(v) ? count(v) : String(v);
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v === "string") return v.replace(/_/g, " ");
  return JSON.stringify(v);
}
