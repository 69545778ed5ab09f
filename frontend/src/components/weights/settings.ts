import type { RefitSettings } from "../../types";

// The refit settings as a form edits them (numbers as typed), with the defaults the page shows.

export interface SettingsForm {
  features: NonNullable<RefitSettings["features"]>;
  solver: NonNullable<RefitSettings["solver"]>;
  l2: string;
  l1: string;
  test_fraction: string;
  seed: string;
  encoding: NonNullable<RefitSettings["encoding"]>;
  promote: NonNullable<RefitSettings["promote"]>;
}

export const DEFAULT_SETTINGS: SettingsForm = {
  features: "human",
  solver: "newton",
  l2: "0.0001",
  l1: "0",
  test_fraction: "0.2",
  seed: "0",
  encoding: "signed",
  promote: "if_better",
};

export type SettingKey = keyof SettingsForm;

interface Choice {
  value: string;
  label: string;
}

export interface SettingField {
  key: SettingKey;
  label: string;
  hint?: string;
  choices?: Choice[];
  /** For numbers: the input's step and smallest value, and whether it must be whole. */
  step?: string;
  min?: number;
  max?: number;
  integer?: boolean;
}

export const SETTING_FIELDS: SettingField[] = [
  {
    key: "features",
    label: "Answers",
    choices: [
      { value: "human", label: "People's answers" },
      { value: "model", label: "Model predictions" },
    ],
  },
  {
    key: "solver",
    label: "Solver",
    choices: [
      { value: "newton", label: "Newton" },
      { value: "masking", label: "Masking" },
    ],
  },
  { key: "l2", label: "L2 penalty", step: "any", min: 0 },
  { key: "l1", label: "L1 penalty", step: "any", min: 0 },
  { key: "test_fraction", label: "Held-out fraction", hint: "Share of pairs kept for testing", step: "0.05", min: 0 },
  { key: "seed", label: "Seed", hint: "Of the train / test split", step: "1", min: 0, integer: true },
  {
    key: "encoding",
    label: "Encoding",
    choices: [
      { value: "signed", label: "Signed (yes +1, no −1)" },
      { value: "binary", label: "Binary (yes 1, no 0)" },
      { value: "unmasked", label: "Unmasked (yes +1, no or not applicable −1)" },
    ],
  },
  {
    key: "promote",
    label: "Promote the result",
    choices: [
      { value: "if_better", label: "If it beats the active set" },
      { value: "never", label: "Never (keep as candidate)" },
      { value: "always", label: "Always" },
    ],
  },
];

const NUMERIC: SettingKey[] = ["l2", "l1", "test_fraction", "seed"];

/** The form for saved settings (a policy's), missing ones at their defaults. */
export function formFromSettings(settings: RefitSettings | null | undefined, base: SettingsForm = DEFAULT_SETTINGS): SettingsForm {
  const out: SettingsForm = { ...base };
  if (!settings) return out;
  for (const field of SETTING_FIELDS) {
    const value = settings[field.key];
    if (value === undefined || value === null) continue;
    if (NUMERIC.includes(field.key)) {
      if (typeof value === "number" && Number.isFinite(value)) (out[field.key] as string) = String(value);
    } else if (typeof value === "string" && field.choices?.some((c) => c.value === value)) {
      (out as unknown as Record<string, string>)[field.key] = value;
    }
  }
  return out;
}

/** The settings to send, or per-field problems with the numbers as typed. */
export function settingsFromForm(form: SettingsForm): { settings: RefitSettings; problems: Partial<Record<SettingKey, string>> } {
  const problems: Partial<Record<SettingKey, string>> = {};
  const num = (key: SettingKey) => {
    const text = String(form[key]).trim();
    const field = SETTING_FIELDS.find((f) => f.key === key)!;
    const v = Number(text);
    if (!text || !Number.isFinite(v)) problems[key] = "Enter a number.";
    else if (field.integer && !Number.isInteger(v)) problems[key] = "Enter a whole number.";
    else if (field.min !== undefined && v < field.min) problems[key] = `Enter ${field.min} or more.`;
    else if (key === "test_fraction" && v >= 1) problems[key] = "Enter a share below 1.";
    return v;
  };
  const settings: RefitSettings = {
    features: form.features,
    solver: form.solver,
    l2: num("l2"),
    l1: num("l1"),
    test_fraction: num("test_fraction"),
    seed: num("seed"),
    encoding: form.encoding,
    promote: form.promote,
  };
  return { settings, problems };
}
