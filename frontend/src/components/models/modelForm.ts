import type { ModelSpec, ModelSpecInput } from "../../types";

// The registry form's values and the checks the server makes (worker.models.ModelSpec and
// worker/prefill/serializers.py), so that a bad field is named before anything is sent; the
// server's 400 still names each field it refuses.

export const DTYPES = [
  ["auto", "auto (bfloat16 or float16 on a GPU, float32 on CPU)"],
  ["float32", "float32"],
  ["bfloat16", "bfloat16"],
  ["float16", "float16"],
] as const;
export const DEVICES = [
  ["auto", "auto (cuda when available, else cpu)"],
  ["cpu", "cpu"],
  ["cuda", "cuda"],
] as const;
export const QUEUES = ["gpu", "default", "media"] as const;
export const BATCH_SIZE = [1, 512] as const;
export const MAX_FRAMES = [1, 64] as const;

/** The form's state: numbers as typed. */
export interface ModelDraft extends Omit<ModelSpecInput, "batch_size" | "max_frames"> {
  batch_size: string;
  max_frames: string;
}

export const EMPTY_DRAFT: ModelDraft = {
  name: "",
  title: "",
  source: "",
  revision: "",
  dtype: "auto",
  device: "auto",
  queue: "gpu",
  batch_size: "16",
  max_frames: "8",
  trust_remote_code: false,
  confirm_trust_remote_code: false,
  enabled: true,
  notes: "",
};

export function draftOf(spec: ModelSpec): ModelDraft {
  return {
    name: spec.name,
    title: spec.title ?? "",
    source: spec.source ?? "",
    revision: spec.revision ?? "",
    dtype: spec.dtype,
    device: spec.device,
    queue: spec.queue,
    batch_size: String(spec.batch_size ?? 16),
    max_frames: String(spec.max_frames ?? 8),
    trust_remote_code: !!spec.trust_remote_code,
    confirm_trust_remote_code: false,
    enabled: spec.enabled,
    notes: spec.notes ?? "",
  };
}

function whole(text: string, [min, max]: readonly [number, number], errors: Record<string, string>, key: string) {
  const n = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) errors[key] = `A whole number from ${min} to ${max}.`;
  return n;
}

/** The body to send, or the problems by field. `before`: the model being edited (null: a new one). */
export function checkDraft(
  draft: ModelDraft,
  before: ModelSpec | null,
): { body: ModelSpecInput | null; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const name = draft.name.trim();
  if (!name) errors.name = "Give the model a name: it is stored on every prediction.";
  else if (!/^[-a-zA-Z0-9_]+$/.test(name)) errors.name = "Letters, digits, - and _ only (no spaces).";
  else if (name.length > 100) errors.name = "At most 100 characters.";
  if (draft.title.length > 200) errors.title = "At most 200 characters.";
  const source = draft.source.trim();
  if (!source) errors.source = "A Hub id (owner/name) or a folder on the workers with the weights.";
  else if (source.length > 500) errors.source = "At most 500 characters.";
  if (draft.revision.trim().length > 200) errors.revision = "At most 200 characters.";
  const batch = whole(draft.batch_size, BATCH_SIZE, errors, "batch_size");
  const frames = whole(draft.max_frames, MAX_FRAMES, errors, "max_frames");
  const trustChanges =
    draft.trust_remote_code &&
    (!before?.trust_remote_code || before.source !== source || (before.revision ?? "") !== draft.revision.trim());
  if (trustChanges && !draft.confirm_trust_remote_code)
    errors.confirm_trust_remote_code = "Confirm that this source may run its own code on the workers.";
  if (Object.keys(errors).length) return { body: null, errors };
  const body: ModelSpecInput = {
    name,
    title: draft.title.trim(),
    source,
    revision: draft.revision.trim(),
    dtype: draft.dtype,
    device: draft.device,
    queue: draft.queue,
    batch_size: batch,
    max_frames: frames,
    trust_remote_code: draft.trust_remote_code,
    enabled: draft.enabled,
    notes: draft.notes,
  };
  if (trustChanges) body.confirm_trust_remote_code = true;
  return { body, errors };
}
