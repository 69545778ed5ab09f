import { describe, expect, it } from "vitest";
import { localized, rowsOf } from "./checklist";
import { CATALOGUES, resolveLanguage, translator } from "./i18n";
import { SMALL } from "./test/fixtures";
import type { ChecklistDefinition } from "./types";

describe("i18n", () => {
  it("has every message in every language, and fills placeholders", () => {
    const keys = Object.keys(CATALOGUES.en).sort();
    expect(Object.keys(CATALOGUES["zh-CN"]).sort()).toEqual(keys);
    for (const text of Object.values(CATALOGUES["zh-CN"])) expect(text.trim()).not.toBe("");
    expect(translator("en")("annotate.answered", { n: 3, of: 18 })).toBe("3/18 answered");
    expect(translator("zh-CN")("annotate.answered", { n: 3, of: 18 })).toBe("已回答 3/18");
  });

  it("chooses the account's language, else the browser's, else English", () => {
    expect(resolveLanguage("zh-CN", ["en-US"])).toBe("zh-CN");
    expect(resolveLanguage("", ["zh-TW", "en"])).toBe("zh-CN");
    expect(resolveLanguage("", ["fr-FR", "en-GB"])).toBe("en");
    expect(resolveLanguage("", ["fr-FR"])).toBe("en");
    expect(resolveLanguage("xx", [])).toBe("en");
  });

  it("shows a checklist's texts in the user's language, falling back to the file's own", () => {
    const def: ChecklistDefinition = structuredClone(SMALL);
    const clarity = def.dimensions[0].sub_dimensions[0];
    def.dimensions[0].translations = { "zh-CN": { title: "质量" } };
    clarity.translations = { "zh-CN": { title: "清晰度" } };
    clarity.options[0].translations = { "zh-CN": { label: "非常清晰" } };
    const rows = rowsOf(def, "zh-CN");
    expect(rows[0].title).toBe("清晰度");
    expect(rows[0].dimensionTitle).toBe("质量");
    expect(rows[0].options.map((o) => o.label)).toEqual(["非常清晰", "clear", "blurry"]);
    expect(rows[1].title).toBe("Lighting"); // no translation: the file's text
    expect(rowsOf(def, "en")[0].title).toBe("Clarity");
    expect(localized(def, "title", "ja")).toBe(def.title);
  });
});
