import { describe, expect, it } from "vitest";
import { acceptPredictions, choose, gates, missing, rowsOf } from "./checklist";
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

  it("rows follow the hierarchy", () => {
    expect(rowsOf(SMALL).map((r) => r.key)).toEqual(["clarity", "lighting", "lighting_beauty"]);
  });
});
