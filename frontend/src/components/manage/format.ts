// Number and date formats shared by the statistics page's sections.

export const message = (exc: unknown) => (exc instanceof Error ? exc.message : String(exc));
export const percent = (v: number | null | undefined) => (v == null ? "—" : `${Math.round(v * 100)}%`);
export const kappa = (v: number | null | undefined) => (v == null ? "—" : v.toFixed(2));
export const fixed2 = kappa;
export const secondsPerItem = (ms: number | null | undefined) => (ms == null ? "—" : (ms / 1000).toFixed(1));
export const count = (v: number) => v.toLocaleString("en-US");

export function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** "2025-11-24" → "11-24" for axis labels. */
export const shortDate = (date: string) => (/^\d{4}-\d\d-\d\d$/.test(date) ? date.slice(5) : date);
