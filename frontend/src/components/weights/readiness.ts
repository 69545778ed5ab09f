import type { RefitReadiness } from "../../types";

// What the weights screen says about a refit before it starts (pure): whether it can run, whether
// its result can be measured on held-out pairs, and the counts behind both.

export interface ReadinessView {
  /** The refit must fail: the button is disabled with `reason`. */
  blocked: boolean;
  /** It can run but nothing is held out to measure it: it is kept a candidate unless asked. */
  unmeasured: boolean;
  headline: string;
  /** The counts, in words. */
  counts: string;
  /** Why it cannot run, or why it cannot be measured (empty when it can). */
  reason: string;
}

const n = (count: number, one: string, many = `${one}s`) => `${count.toLocaleString("en-US")} ${count === 1 ? one : many}`;

export function readinessView(r: RefitReadiness): ReadinessView {
  const blocked = !r.can_start;
  const unmeasured = r.can_start && !r.can_measure;
  const headline = blocked
    ? "A refit cannot run yet"
    : unmeasured
      ? "A refit can run, but nothing would measure it"
      : "Ready to refit";
  const without = r.rated_pairs - r.usable_pairs;
  const counts =
    `${n(r.rated_pairs, "rated pair")}${without > 0 ? ` (${n(r.usable_pairs, "usable one")})` : ""}, ` +
    `${n(r.decisive_pairs, "with a preference", "with a preference")}, on ${n(r.prompts, "prompt")}; ` +
    `${n(r.held_out_pairs, "pair")} would be held out${r.held_out_pairs ? ` (on ${n(r.held_out_prompts, "prompt")})` : ""}; ` +
    `at least ${r.min_pairs} needed.`;
  const reason = blocked ? r.reasons.join(" ") : unmeasured ? r.warnings.join(" ") : "";
  return { blocked, unmeasured, headline, counts, reason };
}
