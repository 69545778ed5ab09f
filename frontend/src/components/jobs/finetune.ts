import type { FinetuneSettings } from "../../types";

// The fine-tune form's settings: defaults, labels, and reading them back as numbers.

export type FinetuneKey = keyof FinetuneSettings;
export type FinetuneForm = Record<FinetuneKey, string>;

export const FINETUNE_DEFAULTS: FinetuneSettings = {
  epochs: 1,
  max_steps: 200,
  learning_rate: 0.0002,
  batch_size: 8,
  lora_r: 8,
  lora_alpha: 16,
  lora_dropout: 0.05,
  seed: 0,
};

export const FINETUNE_FIELDS: { key: FinetuneKey; label: string; integer: boolean; min: number; max?: number; step: string; hint?: string }[] = [
  { key: "epochs", label: "Epochs", integer: true, min: 1, step: "1" },
  { key: "max_steps", label: "Maximum steps", integer: true, min: 1, step: "1", hint: "Training stops at whichever comes first." },
  { key: "learning_rate", label: "Learning rate", integer: false, min: 0, step: "any" },
  { key: "batch_size", label: "Batch size", integer: true, min: 1, step: "1" },
  { key: "lora_r", label: "LoRA rank (r)", integer: true, min: 1, step: "1" },
  { key: "lora_alpha", label: "LoRA alpha", integer: false, min: 0, step: "any" },
  { key: "lora_dropout", label: "LoRA dropout", integer: false, min: 0, max: 1, step: "any", hint: "0 to less than 1." },
  { key: "seed", label: "Seed", integer: true, min: 0, step: "1" },
];

export const defaultFinetuneForm = (): FinetuneForm =>
  Object.fromEntries(Object.entries(FINETUNE_DEFAULTS).map(([k, v]) => [k, String(v)])) as FinetuneForm;

/** The settings as numbers, or what is wrong with each field that is not one. */
export function finetuneSettings(form: FinetuneForm): { settings: FinetuneSettings; problems: Partial<Record<FinetuneKey, string>> } {
  const settings = { ...FINETUNE_DEFAULTS };
  const problems: Partial<Record<FinetuneKey, string>> = {};
  for (const f of FINETUNE_FIELDS) {
    const text = form[f.key].trim();
    const v = Number(text);
    if (!text || !Number.isFinite(v)) problems[f.key] = "Enter a number.";
    else if (f.integer && !Number.isInteger(v)) problems[f.key] = "Enter a whole number.";
    else if (f.key === "learning_rate" && v <= 0) problems[f.key] = "Enter a number above 0.";
    else if (f.key === "lora_dropout" && (v < 0 || v >= 1)) problems[f.key] = "Enter a number from 0 to less than 1.";
    else if (v < f.min) problems[f.key] = `Enter ${f.min} or more.`;
    else settings[f.key] = v;
  }
  return { settings, problems };
}
