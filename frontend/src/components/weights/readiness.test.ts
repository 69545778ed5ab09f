import { describe, expect, it } from "vitest";
import type { RefitReadiness } from "../../types";
import { readinessView } from "./readiness";

const base: RefitReadiness = {
  rated_pairs: 20,
  usable_pairs: 20,
  decisive_pairs: 18,
  prompts: 4,
  train_pairs: 15,
  train_decisive: 14,
  held_out_pairs: 5,
  held_out_decisive: 4,
  held_out_prompts: 1,
  min_pairs: 10,
  test_fraction: 0.2,
  can_start: true,
  can_measure: true,
  reasons: [],
  warnings: [],
};

describe("readinessView", () => {
  it("says a refit is ready, with the counts", () => {
    const v = readinessView(base);
    expect(v).toMatchObject({ blocked: false, unmeasured: false, headline: "Ready to refit", reason: "" });
    expect(v.counts).toBe(
      "20 rated pairs, 18 with a preference, on 4 prompts; 5 pairs would be held out (on 1 prompt); at least 10 needed.",
    );
  });

  it("blocks a refit that must fail, with the server's reason", () => {
    const v = readinessView({
      ...base,
      rated_pairs: 5,
      usable_pairs: 3,
      decisive_pairs: 3,
      prompts: 1,
      held_out_pairs: 0,
      can_start: false,
      can_measure: false,
      reasons: ["Only 3 pairs can be fitted; a refit needs at least 10 (min_pairs)."],
    });
    expect(v.blocked).toBe(true);
    expect(v.unmeasured).toBe(false);
    expect(v.headline).toBe("A refit cannot run yet");
    expect(v.reason).toBe("Only 3 pairs can be fitted; a refit needs at least 10 (min_pairs).");
    expect(v.counts).toBe("5 rated pairs (3 usable ones), 3 with a preference, on 1 prompt; 0 pairs would be held out; at least 10 needed.");
  });

  it("warns when nothing would be held out", () => {
    const v = readinessView({ ...base, prompts: 1, held_out_pairs: 0, can_measure: false, warnings: ["Nothing can be held out."] });
    expect(v).toMatchObject({ blocked: false, unmeasured: true, reason: "Nothing can be held out." });
    expect(v.headline).toBe("A refit can run, but nothing would measure it");
  });
});
