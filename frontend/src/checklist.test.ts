import { describe, expect, it } from "vitest";
import { acceptPredictions, acceptSummary, choose, gates, isConfident, missing, planAccept, rowsOf } from "./checklist";
import { SMALL } from "./test/fixtures";

describe("gating", () => {
  it("is unknown until the presence sub-dimension is answered", () => {
    expect(gates(SMALL, {}).lighting_beauty).toBe("unknown");
    expect(gates(SMALL, { lighting: 1 }).lighting_beauty).toBe("open");
    expect(gates(SMALL, { lighting: 0 }).lighting_beauty).toBe("closed");
  });

  it("drops a gated choice when its presence option becomes 'not present'", () => {
    const options = choose(SMALL, { clarity: 2, lighting: 1, lighting_beauty: 1 }, "lighting", 0);
    expect(options).toEqual({ clarity: 2, lighting: 0 });
    expect(missing(SMALL, options)).toEqual([]);
  });

  it("lists what is missing in hierarchy order", () => {
    expect(missing(SMALL, {})).toEqual(["clarity", "lighting", "lighting_beauty"]);
    expect(missing(SMALL, { lighting: 2 })).toEqual(["clarity", "lighting_beauty"]);
  });
});

describe("accepting a pre-fill", () => {
  const prediction = {
    id: 1,
    model_name: "m",
    model_version: "",
    created_at: "",
    options: {
      clarity: { option: 1, confidence: 0.8 },
      lighting: { option: 0, confidence: 0.6 },
      lighting_beauty: { option: 1, confidence: 0.7 },
    },
  };

  it("fills only unanswered rows and respects gates", () => {
    expect(acceptPredictions(SMALL, {}, prediction)).toEqual({ clarity: 1, lighting: 0 });
    expect(acceptPredictions(SMALL, { lighting: 2 }, prediction)).toEqual({ clarity: 1, lighting: 2, lighting_beauty: 1 });
  });

  it("keeps every human choice", () => {
    expect(acceptPredictions(SMALL, { clarity: 0 }, prediction).clarity).toBe(0);
  });

  it("accepts only the guesses at or above the threshold and leaves the uncertain ones", () => {
    // lighting (60%) is uncertain at 0.75: left, and so its gated row stays unknown and unfilled
    const plan = planAccept(SMALL, {}, prediction, 0.75);
    expect(plan.options).toEqual({ clarity: 1 });
    expect(plan.accepted).toEqual(["clarity"]);
    expect(plan.left).toEqual(["lighting", "lighting_beauty"]);
    expect(plan.uncertain).toEqual(["lighting", "lighting_beauty"]);
    expect(acceptSummary(plan)).toBe("Accepted 1 guess; 2 left for you (2 uncertain — check).");
    // once the annotator answers lighting as present, a second `a` still leaves the 70% row
    const again = planAccept(SMALL, { ...plan.options, lighting: 2 }, prediction, 0.75);
    expect(again.accepted).toEqual([]);
    expect(again.uncertain).toEqual(["lighting_beauty"]);
    expect(acceptSummary(again)).toBe("No guess was confident enough to accept; 1 left for you (1 uncertain — check).");
  });

  it("counts a threshold exactly met as confident, and 0 accepts every guess", () => {
    expect(isConfident({ option: 1, confidence: 0.8 }, 0.8)).toBe(true);
    expect(isConfident({ option: 1, confidence: 0.7999 }, 0.8)).toBe(false);
    expect(isConfident(undefined, 0)).toBe(false);
    const all = planAccept(SMALL, {}, prediction, 0);
    expect(all.options).toEqual({ clarity: 1, lighting: 0 });
    expect(all.accepted).toEqual(["clarity", "lighting"]);
    expect(all.left).toEqual([]);
    expect(acceptSummary(all)).toBe("Accepted 2 guesses; nothing left to answer: press Enter to submit.");
    expect(acceptPredictions(SMALL, {}, prediction, 0.8)).toEqual({ clarity: 1 });
  });

  it("a row without a guess is left but not uncertain", () => {
    const partial = { ...prediction, options: { clarity: { option: 1, confidence: 0.9 } } };
    const plan = planAccept(SMALL, {}, partial, 0.8);
    expect(plan.left).toEqual(["lighting", "lighting_beauty"]);
    expect(plan.uncertain).toEqual([]);
    expect(acceptSummary(plan)).toBe("Accepted 1 guess; 2 left for you.");
  });

  it("rows follow the hierarchy", () => {
    expect(rowsOf(SMALL).map((r) => r.key)).toEqual(["clarity", "lighting", "lighting_beauty"]);
  });
});
