// Never lose work. Two things live in localStorage so that a reload, a crash or a lost network
// costs nothing:
// - the draft of each assignment (written on every change, synced to the server debounced);
// - the submit outbox: each submit keeps its client id until the server acknowledges it, so a
//   retry after a timeout or a reload can never create a second annotation.
import { api, ApiError, type SubmitBody } from "./api";
import { emptyAnswer } from "./checklist";
import type { AnswerState } from "./types";

const DRAFT_PREFIX = "vr.draft.";
const OUTBOX_KEY = "vr.outbox";

export interface LocalDraft {
  answer: AnswerState;
  savedAt: number; // ms since epoch, when the annotator last changed it
  synced: boolean; // the server holds this exact draft
}

function readJson<T>(key: string): T | null {
  try {
    const raw = localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as T) : null;
  } catch {
    return null;
  }
}

export function loadLocalDraft(assignmentId: number): LocalDraft | null {
  return readJson<LocalDraft>(DRAFT_PREFIX + assignmentId);
}

export function storeLocalDraft(assignmentId: number, draft: LocalDraft): void {
  try {
    localStorage.setItem(DRAFT_PREFIX + assignmentId, JSON.stringify(draft));
  } catch {
    /* storage full or disabled: the server copy is still saved */
  }
}

export function dropLocalDraft(assignmentId: number): void {
  localStorage.removeItem(DRAFT_PREFIX + assignmentId);
}

/** The newer of the server's draft and this device's, as an answer. */
export function restoreDraft(
  assignmentId: number,
  serverDraft: Partial<AnswerState> | null | undefined,
  serverSavedAt: string | null,
): { answer: AnswerState; from: "server" | "device" | "none" } {
  const local = loadLocalDraft(assignmentId);
  const serverTime = serverSavedAt ? Date.parse(serverSavedAt) : 0;
  const hasServer = !!serverDraft && Object.keys(serverDraft).length > 0;
  const fromServer = (): AnswerState => ({
    options: serverDraft?.options ?? {},
    preference: serverDraft?.preference ?? null,
    dimension_preferences: serverDraft?.dimension_preferences ?? {},
    comment: serverDraft?.comment ?? "",
  });
  if (local && (!hasServer || local.savedAt >= serverTime)) return { answer: local.answer, from: "device" };
  if (hasServer) return { answer: fromServer(), from: "server" };
  return { answer: emptyAnswer(), from: "none" };
}

export function draftBody(answer: AnswerState, pair: boolean): Omit<SubmitBody, "client_id"> {
  return pair
    ? { preference: answer.preference, dimension_preferences: answer.dimension_preferences, comment: answer.comment }
    : { options: answer.options, comment: answer.comment };
}

export type SaveState = "saved" | "saving" | "offline" | "error";

/** Debounced autosave of one assignment's draft; every change is on the device at once. */
export class DraftSaver {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private pending: AnswerState | null = null;
  private closed = false;
  private retryMs = 1000;

  constructor(
    private assignmentId: number,
    private pair: boolean,
    private onState: (state: SaveState, detail?: string) => void,
    private debounceMs = 500,
  ) {}

  change(answer: AnswerState): void {
    if (this.closed) return;
    storeLocalDraft(this.assignmentId, { answer, savedAt: Date.now(), synced: false });
    this.pending = answer;
    this.onState("saving");
    this.schedule(this.debounceMs);
  }

  private schedule(ms: number) {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), ms);
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const answer = this.pending;
    if (!answer || this.closed) return;
    this.pending = null;
    try {
      await api.saveDraft(this.assignmentId, draftBody(answer, this.pair));
      if (this.closed) return;
      const local = loadLocalDraft(this.assignmentId);
      if (local && !this.pending) storeLocalDraft(this.assignmentId, { ...local, synced: true });
      this.retryMs = 1000;
      this.onState(this.pending ? "saving" : "saved");
    } catch (exc) {
      if (this.closed) return;
      if (this.pending === null) this.pending = answer;
      if (exc instanceof ApiError && !exc.retryable) {
        // The server refused the draft (e.g. the lease is gone); the device copy stays.
        this.onState("error", exc.message);
        return;
      }
      this.onState("offline");
      this.schedule(this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 8000);
    }
  }

  /** Stop saving (the assignment was submitted or skipped). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

export interface OutboxItem {
  assignmentId: number;
  projectId: number;
  taskId: number;
  body: SubmitBody;
  queuedAt: number;
  attempts: number;
  error?: string; // set when the server refused it (not retried)
}

export type OutboxListener = (items: OutboxItem[], landed?: { item: OutboxItem; annotationId: number }) => void;

/** Submits waiting for the server's acknowledgement, retried with backoff, kept across reloads. */
export class Outbox {
  private listeners = new Set<OutboxListener>();
  private running = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private backoffMs = 500;

  constructor(private maxBackoffMs = 5000) {
    if (typeof window !== "undefined") window.addEventListener("online", () => this.kick());
  }

  items(): OutboxItem[] {
    return readJson<OutboxItem[]>(OUTBOX_KEY) ?? [];
  }

  private write(items: OutboxItem[]) {
    localStorage.setItem(OUTBOX_KEY, JSON.stringify(items));
  }

  subscribe(listener: OutboxListener): () => void {
    this.listeners.add(listener);
    listener(this.items());
    return () => this.listeners.delete(listener);
  }

  private emit(landed?: { item: OutboxItem; annotationId: number }) {
    const items = this.items();
    for (const l of this.listeners) l(items, landed);
  }

  pendingAssignmentIds(projectId?: number): number[] {
    return this.items()
      .filter((i) => !i.error && (projectId === undefined || i.projectId === projectId))
      .map((i) => i.assignmentId);
  }

  enqueue(item: Omit<OutboxItem, "queuedAt" | "attempts">): void {
    const items = this.items().filter((i) => i.assignmentId !== item.assignmentId);
    items.push({ ...item, queuedAt: Date.now(), attempts: 0 });
    this.write(items);
    this.emit();
    this.kick();
  }

  dismiss(assignmentId: number): void {
    this.write(this.items().filter((i) => i.assignmentId !== assignmentId));
    this.emit();
  }

  /** Try now (after a reconnect or when something was queued). */
  kick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.backoffMs = 500;
    void this.run();
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const item = this.items().find((i) => !i.error);
        if (!item) return;
        try {
          const annotation = await api.submit(item.assignmentId, item.body);
          this.write(this.items().filter((i) => i.assignmentId !== item.assignmentId));
          dropLocalDraft(item.assignmentId);
          this.backoffMs = 500;
          this.emit({ item, annotationId: annotation.id });
        } catch (exc) {
          const items = this.items();
          const stored = items.find((i) => i.assignmentId === item.assignmentId);
          if (stored) {
            stored.attempts += 1;
            if (exc instanceof ApiError && !exc.retryable) stored.error = exc.message;
            this.write(items);
          }
          this.emit();
          if (exc instanceof ApiError && !exc.retryable) continue;
          this.timer = setTimeout(() => void this.run(), this.backoffMs);
          this.backoffMs = Math.min(this.backoffMs * 2, this.maxBackoffMs);
          return;
        }
      }
    } finally {
      this.running = false;
    }
  }
}

export const outbox = new Outbox();
