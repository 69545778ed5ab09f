import { describe, expect, it } from "vitest";
import { defaultForm, requestFromForm, shareSum, splitRow } from "./exportForm";

const PROJECTS = [
  { id: 7, checklist_version: 3 },
  { id: 8, checklist_version: 3 },
  { id: 10, checklist_version: 5 },
];

describe("requestFromForm", () => {
  it("sends the defaults as the server's", () => {
    const { request, problems } = requestFromForm({ ...defaultForm([7]), name: "street-photos" }, PROJECTS);
    expect(problems).toEqual({});
    expect(request).toEqual({
      name: "street-photos",
      description: "",
      projects: [7],
      settings: {
        states: ["submitted", "reviewed"],
        combine: "majority",
        split_ratios: { train: 0.8, validation: 0.1, test: 0.1 },
        seed: 0,
        embed_media: true,
        embed_frames: false,
        balanced_cap: 1000,
        license: "other",
      },
    });
  });

  it("accepts shares that sum to 1 up to rounding", () => {
    const splits = [splitRow("train", "0.7"), splitRow("validation", "0.2"), splitRow("test", "0.1")];
    expect(shareSum(splits)).not.toBe(1);
    expect(requestFromForm({ ...defaultForm([7]), name: "a", splits }, PROJECTS).problems).toEqual({});
  });

  it("names each problem by the API's field", () => {
    const { problems } = requestFromForm(
      {
        ...defaultForm([7, 10]),
        name: "-bad",
        states: [],
        splits: [splitRow("train", "0.5"), splitRow("train", "0.5")],
        seed: "1.5",
        balancedCap: "0",
        license: "CC BY",
      },
      PROJECTS,
    );
    expect(problems).toEqual({
      name: expect.stringContaining("lower-case letters"),
      projects: "These projects use different checklist versions; export them separately.",
      "settings.states": "Choose at least one kind of annotation.",
      "settings.split_ratios": "Each split needs its own name (“train” is there twice).",
      "settings.seed": "Enter a whole number, 0 or more.",
      "settings.balanced_cap": "Enter a whole number, 1 or more.",
      "settings.license": expect.stringContaining("license identifier"),
    });
  });

  it("checks every share and the sum", () => {
    const check = (...rows: [string, string][]) =>
      requestFromForm({ ...defaultForm([7]), name: "a", splits: rows.map(([n, s]) => splitRow(n, s)) }, PROJECTS).problems[
        "settings.split_ratios"
      ];
    expect(check()).toBe("Add at least one split.");
    expect(check(["train", "1"], ["", "0"])).toBe("Every split needs a name (lower-case letters, digits and _).");
    expect(check(["train", "1"], ["test", "0"])).toBe("The share of “test” must be a number above 0.");
    expect(check(["train", "0.6"], ["test", "0.3"])).toBe("The shares sum to 0.9; they must sum to 1.");
    expect(check(["train", "1"])).toBeUndefined();
  });

  it("turns the balanced subset off with null and sends a chosen weight set", () => {
    const { request } = requestFromForm({ ...defaultForm([7]), name: "a", balanced: false, balancedCap: "", weightSet: "31" }, PROJECTS);
    expect(request.settings?.balanced_cap).toBeNull();
    expect(request.weight_set).toBe(31);
  });
});
