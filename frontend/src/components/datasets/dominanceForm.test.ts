import { describe, expect, it } from "vitest";
import { defaultDominanceForm, dominanceRequest, formField, ruleFromForm } from "./dominanceForm";

describe("the dominance-pairs form", () => {
  const dims = ["composition", "quality", "fidelity"];

  it("asks for a dimension, margins above 0 and whole numbers", () => {
    const form = defaultDominanceForm(dims, 3);
    expect(ruleFromForm(form).problems.margins).toBe("Choose at least one dimension.");
    form.dimensions.quality = { on: true, margin: "0" };
    form.dimensions.fidelity = { on: true, margin: "abc" };
    form.pairsPerPrompt = "1.5";
    form.maxUses = "0";
    const { problems } = ruleFromForm(form);
    expect(problems["margins.quality"]).toMatch(/above 0/);
    expect(problems["margins.fidelity"]).toMatch(/above 0/);
    expect(problems.pairs_per_prompt).toMatch(/whole number/);
    expect(problems.max_uses).toMatch(/whole number/);
    expect(problems.margins).toBeUndefined();
  });

  it("becomes an export of kind dominance_pairs with the chosen dimensions only", () => {
    const form = { ...defaultDominanceForm(dims, 3), name: "mpo", weightSet: "7" };
    form.dimensions.quality = { on: true, margin: "0.5" };
    form.dimensions.composition = { on: false, margin: "9" };
    const { request, problems } = dominanceRequest(form);
    expect(problems).toEqual({});
    expect(request).toEqual({
      name: "mpo",
      description: "",
      projects: [3],
      weight_set: 7,
      settings: {
        kind: "dominance_pairs",
        dominance: { source: "human", margins: { quality: 0.5 }, pairs_per_prompt: 4, max_uses: null, tolerance: 0 },
      },
    });
  });

  it("maps the server's field names onto the form's", () => {
    expect(formField("settings.dominance.margins.quality")).toBe("margins.quality");
    expect(formField("dominance.pairs_per_prompt")).toBe("pairs_per_prompt");
    expect(formField("projects")).toBe("project");
    expect(formField("weight_set")).toBe("weight_set");
  });
});
