import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AnswerState } from "./types";
import {
  DraftSaver,
  loadLocalDraft,
  Outbox,
  outbox as appOutbox,
  restoreDraft,
  storeLocalDraft,
  type OutboxItem,
  type SaveState,
} from "./work";

// --- helpers ------------------------------------------------------------------------------------

interface Call {
  url: string;
  method: string;
  body: unknown;
}

/** A Response-like object (no streams, so it settles on microtasks alone under fake timers). */
function reply(status: number, body: unknown = null): Response {
  return {
    status,
    ok: status >= 200 && status < 300,
    text: () => Promise.resolve(body === null ? "" : JSON.stringify(body)),
  } as unknown as Response;
}

type Handler = (call: Call) => Response | Promise<Response>;

/** Stub fetch with a queue of handlers (the last one repeats); records every call. */
function stubFetch(...handlers: Handler[]) {
  const calls: Call[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const call: Call = {
      url: String(input),
      method: init?.method ?? "GET",
      body: typeof init?.body === "string" ? JSON.parse(init.body) : null,
    };
    calls.push(call);
    const handler = handlers[Math.min(calls.length - 1, handlers.length - 1)];
    return handler(call);
  });
  vi.stubGlobal("fetch", fetchMock);
  return { calls, fetchMock };
}

const offline: Handler = () => Promise.reject(new TypeError("Failed to fetch"));
const ok =
  (body: unknown = {}): Handler =>
  () =>
    reply(200, body);

/** Let promise chains (fetch → text → JSON → callbacks) run without moving the clock. */
async function settle() {
  for (let i = 0; i < 5; i++) {
    await vi.advanceTimersByTimeAsync(0);
    for (let j = 0; j < 10; j++) await Promise.resolve();
  }
}

const answer = (options: Record<string, number>, comment = ""): AnswerState => ({
  options,
  preference: null,
  dimension_preferences: {},
  comment,
});

// Outboxes made in a test listen for `online` on window; forget them after the test so that one
// test's `online` does not wake another's outbox. The app's own outbox (created at import)
// shares localStorage with these, so it must not run either.
let onlineListeners: EventListenerOrEventListenerObject[] = [];
let addSpy: ReturnType<typeof vi.spyOn>;

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date("2025-03-01T12:00:00Z"));
  vi.spyOn(appOutbox, "kick").mockImplementation(() => undefined);
  const original = window.addEventListener.bind(window);
  onlineListeners = [];
  addSpy = vi.spyOn(window, "addEventListener").mockImplementation(((
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | AddEventListenerOptions,
  ) => {
    if (type === "online") onlineListeners.push(listener);
    original(type, listener, options);
  }) as typeof window.addEventListener);
});

afterEach(() => {
  addSpy.mockRestore();
  for (const l of onlineListeners) window.removeEventListener("online", l);
  vi.clearAllTimers();
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

// --- DraftSaver -----------------------------------------------------------------------------------

describe("DraftSaver", () => {
  it("keeps every change on the device at once and PUTs only the last one after the debounce", async () => {
    const { calls } = stubFetch(ok({ id: 5 }));
    const states: SaveState[] = [];
    const saver = new DraftSaver(5, false, (s) => states.push(s), 500);

    saver.change(answer({ clarity: 2 }));
    expect(loadLocalDraft(5)?.answer.options).toEqual({ clarity: 2 });
    await vi.advanceTimersByTimeAsync(200);
    saver.change(answer({ clarity: 2, lighting: 1 }));
    expect(loadLocalDraft(5)?.answer.options).toEqual({ clarity: 2, lighting: 1 });
    await vi.advanceTimersByTimeAsync(200);
    saver.change(answer({ clarity: 0, lighting: 1 }, "blurry corner"));
    const local = loadLocalDraft(5)!;
    expect(local.answer).toEqual(answer({ clarity: 0, lighting: 1 }, "blurry corner"));
    expect(local.synced).toBe(false);
    expect(local.savedAt).toBe(Date.parse("2025-03-01T12:00:00.400Z"));

    // Nothing went to the server while the annotator kept changing things.
    await vi.advanceTimersByTimeAsync(499);
    expect(calls).toHaveLength(0);
    expect(states.at(-1)).toBe("saving");

    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(calls).toEqual([
      {
        url: "/api/assignments/5/draft/",
        method: "PUT",
        body: { options: { clarity: 0, lighting: 1 }, comment: "blurry corner" },
      },
    ]);
    expect(states.at(-1)).toBe("saved");
    expect(loadLocalDraft(5)?.synced).toBe(true);

    // Nothing else is sent later.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(1);
    saver.close();
  });

  it("sends the preferences (not options) of a pair", async () => {
    const { calls } = stubFetch(ok());
    const saver = new DraftSaver(8, true, () => undefined, 500);
    saver.change({ options: {}, preference: 4, dimension_preferences: { quality: 5 }, comment: "" });
    await vi.advanceTimersByTimeAsync(500);
    await settle();
    expect(calls[0].body).toEqual({ preference: 4, dimension_preferences: { quality: 5 }, comment: "" });
    saver.close();
  });

  it("reports 'offline' when the network fails, keeps the draft locally and retries until it is saved", async () => {
    const { calls } = stubFetch(offline, offline, ok());
    const states: SaveState[] = [];
    const saver = new DraftSaver(5, false, (s) => states.push(s), 500);

    saver.change(answer({ clarity: 1 }));
    await vi.advanceTimersByTimeAsync(500);
    await settle();
    expect(calls).toHaveLength(1);
    expect(states.at(-1)).toBe("offline");
    expect(loadLocalDraft(5)).toMatchObject({ answer: answer({ clarity: 1 }), synced: false });

    // First retry after 1 s, then 2 s.
    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(calls).toHaveLength(2);
    expect(states.at(-1)).toBe("offline");

    await vi.advanceTimersByTimeAsync(2000);
    await settle();
    expect(calls).toHaveLength(3);
    expect(calls.map((c) => c.body)).toEqual(Array(3).fill({ options: { clarity: 1 }, comment: "" }));
    expect(states.at(-1)).toBe("saved");
    expect(loadLocalDraft(5)?.synced).toBe(true);
    saver.close();
  });

  it("saves the newest answer when the annotator changes it while offline", async () => {
    const { calls } = stubFetch(offline, ok());
    const states: SaveState[] = [];
    const saver = new DraftSaver(5, false, (s) => states.push(s), 500);
    saver.change(answer({ clarity: 1 }));
    await vi.advanceTimersByTimeAsync(500);
    await settle();
    expect(states.at(-1)).toBe("offline");
    saver.change(answer({ clarity: 2 }));
    await vi.advanceTimersByTimeAsync(1000);
    await settle();
    expect(calls.at(-1)?.body).toEqual({ options: { clarity: 2 }, comment: "" });
    expect(states.at(-1)).toBe("saved");
    saver.close();
  });

  it("reports 'error' on a 4xx, does not retry and keeps the device copy", async () => {
    const { calls } = stubFetch(() => reply(409, { detail: "assignment 5 is submitted; drafts are for open work" }));
    const seen: [SaveState, string | undefined][] = [];
    const saver = new DraftSaver(5, false, (s, d) => seen.push([s, d]), 500);

    saver.change(answer({ clarity: 2 }));
    await vi.advanceTimersByTimeAsync(500);
    await settle();
    expect(seen.at(-1)).toEqual(["error", "assignment 5 is submitted; drafts are for open work"]);
    expect(loadLocalDraft(5)).toMatchObject({ answer: answer({ clarity: 2 }), synced: false });

    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(1);
    saver.close();
  });

  it("stops saving once closed", async () => {
    const { calls } = stubFetch(ok());
    const saver = new DraftSaver(5, false, () => undefined, 500);
    saver.change(answer({ clarity: 2 }));
    saver.close();
    saver.change(answer({ clarity: 1 }));
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toHaveLength(0);
    expect(loadLocalDraft(5)?.answer.options).toEqual({ clarity: 2 });
  });
});

// --- restoreDraft ----------------------------------------------------------------------------------

describe("restoreDraft", () => {
  it("takes the server's draft when it is newer than the device's", () => {
    storeLocalDraft(3, { answer: answer({ clarity: 0 }), savedAt: Date.parse("2025-03-01T10:00:00Z"), synced: true });
    const restored = restoreDraft(3, { options: { clarity: 2, lighting: 1 } }, "2025-03-01T11:00:00Z");
    expect(restored).toEqual({ answer: answer({ clarity: 2, lighting: 1 }), from: "server" });
  });

  it("takes the device's draft when it is newer than the server's", () => {
    storeLocalDraft(3, { answer: answer({ clarity: 0 }, "local"), savedAt: Date.parse("2025-03-01T11:30:00Z"), synced: false });
    const restored = restoreDraft(3, { options: { clarity: 2 } }, "2025-03-01T11:00:00Z");
    expect(restored).toEqual({ answer: answer({ clarity: 0 }, "local"), from: "device" });
  });

  it("takes the device's draft when the server has none", () => {
    storeLocalDraft(3, { answer: answer({ lighting: 2 }), savedAt: 1, synced: false });
    expect(restoreDraft(3, {}, null)).toEqual({ answer: answer({ lighting: 2 }), from: "device" });
  });

  it("starts empty when neither has a draft", () => {
    expect(restoreDraft(3, {}, null)).toEqual({ answer: answer({}), from: "none" });
    expect(restoreDraft(3, null, null).from).toBe("none");
  });
});

// --- Outbox -----------------------------------------------------------------------------------------

const CLIENT_ID = "0b7e4a4e-4a8e-4c3e-9d38-2f1d8e6b9c01";

function item(assignmentId: number, projectId = 1, clientId = CLIENT_ID): Omit<OutboxItem, "queuedAt" | "attempts"> {
  return {
    assignmentId,
    projectId,
    taskId: assignmentId + 90,
    body: { client_id: clientId, options: { clarity: 2, lighting: 0 }, comment: "", time_spent_ms: 4200 },
  };
}

describe("Outbox", () => {
  it("POSTs a queued submit with its body, then forgets it, drops the draft and tells listeners", async () => {
    const { calls } = stubFetch(ok({ id: 900 }));
    storeLocalDraft(11, { answer: answer({ clarity: 2 }), savedAt: Date.now(), synced: true });
    const box = new Outbox();
    const heard: [OutboxItem[], { item: OutboxItem; annotationId: number } | undefined][] = [];
    box.subscribe((items, landed) => heard.push([items, landed]));

    box.enqueue(item(11));
    expect(box.items().map((i) => i.assignmentId)).toEqual([11]);
    expect(box.pendingAssignmentIds(1)).toEqual([11]);
    await settle();

    expect(calls).toEqual([
      {
        url: "/api/assignments/11/submit/",
        method: "POST",
        body: { client_id: CLIENT_ID, options: { clarity: 2, lighting: 0 }, comment: "", time_spent_ms: 4200 },
      },
    ]);
    expect(box.items()).toEqual([]);
    expect(box.pendingAssignmentIds(1)).toEqual([]);
    expect(loadLocalDraft(11)).toBeNull();
    const last = heard.at(-1)!;
    expect(last[0]).toEqual([]);
    expect(last[1]?.annotationId).toBe(900);
    expect(last[1]?.item.assignmentId).toBe(11);
  });

  it("keeps a submit through network failures and retries it with the same client_id until it lands", async () => {
    const { calls } = stubFetch(offline, offline, offline, ok({ id: 901 }));
    storeLocalDraft(11, { answer: answer({ clarity: 2 }), savedAt: Date.now(), synced: true });
    const box = new Outbox();
    const landed = vi.fn();
    box.subscribe((_items, l) => l && landed(l.annotationId));

    box.enqueue(item(11));
    await settle();
    expect(calls).toHaveLength(1);
    expect(box.items()).toMatchObject([{ assignmentId: 11, attempts: 1 }]);
    expect(box.items()[0].error).toBeUndefined();
    expect(box.pendingAssignmentIds(1)).toEqual([11]);
    expect(loadLocalDraft(11)).not.toBeNull();

    // Backoff: 500 ms, then 1 s, then 2 s.
    await vi.advanceTimersByTimeAsync(499);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1000);
    await settle();
    expect(calls).toHaveLength(3);
    expect(box.items()[0].attempts).toBe(3);
    expect(landed).not.toHaveBeenCalled();

    await vi.advanceTimersByTimeAsync(2000);
    await settle();
    expect(calls).toHaveLength(4);
    expect(new Set(calls.map((c) => (c.body as { client_id: string }).client_id))).toEqual(new Set([CLIENT_ID]));
    expect(calls.every((c) => c.url === "/api/assignments/11/submit/" && c.method === "POST")).toBe(true);
    expect(box.items()).toEqual([]);
    expect(loadLocalDraft(11)).toBeNull();
    expect(landed).toHaveBeenCalledWith(901);

    await vi.advanceTimersByTimeAsync(30_000);
    expect(calls).toHaveLength(4);
  });

  it("retries at once when the browser comes back online", async () => {
    const { calls } = stubFetch(offline, ok({ id: 902 }));
    const box = new Outbox(60_000);
    box.enqueue(item(11));
    await settle();
    expect(calls).toHaveLength(1);

    window.dispatchEvent(new Event("online"));
    await settle();
    expect(calls).toHaveLength(2);
    expect(box.items()).toEqual([]);
  });

  it("marks a submit the server refuses (400) with the error and does not retry it", async () => {
    const { calls } = stubFetch(() => reply(400, { detail: "The answers are incomplete.", errors: { options: ["x"] } }));
    const box = new Outbox();
    box.enqueue(item(11));
    await settle();
    expect(calls).toHaveLength(1);
    expect(box.items()).toMatchObject([{ assignmentId: 11, attempts: 1, error: "The answers are incomplete." }]);
    expect(box.pendingAssignmentIds(1)).toEqual([]);

    await vi.advanceTimersByTimeAsync(60_000);
    box.kick();
    await settle();
    expect(calls).toHaveLength(1);
    // It stays until the annotator dismisses it.
    expect(box.items()).toHaveLength(1);
    box.dismiss(11);
    expect(box.items()).toEqual([]);
  });

  it("goes on with the next submit after one is refused", async () => {
    const { calls } = stubFetch(
      (c) => (c.url.includes("/11/") ? reply(400, { detail: "refused" }) : reply(200, { id: 903 })),
    );
    const box = new Outbox();
    box.enqueue(item(11));
    box.enqueue(item(12, 1, "5f0c6a55-1111-4222-8333-444455556666"));
    await settle();
    expect(calls.map((c) => c.url)).toEqual(["/api/assignments/11/submit/", "/api/assignments/12/submit/"]);
    expect(box.items()).toMatchObject([{ assignmentId: 11, error: "refused" }]);
  });

  it("retries a server error (5xx) like a network failure", async () => {
    const { calls } = stubFetch(() => reply(503, { detail: "busy" }), ok({ id: 904 }));
    const box = new Outbox();
    box.enqueue(item(11));
    await settle();
    expect(box.items()).toMatchObject([{ assignmentId: 11, attempts: 1 }]);
    expect(box.items()[0].error).toBeUndefined();
    await vi.advanceTimersByTimeAsync(500);
    await settle();
    expect(calls).toHaveLength(2);
    expect(box.items()).toEqual([]);
  });

  it("keeps queued submits across a reload and sends them with the same client_id", async () => {
    const first = stubFetch(offline);
    const before = new Outbox(60_000);
    before.enqueue(item(11));
    await settle();
    expect(first.calls).toHaveLength(1);
    // "Reload": the old page's timers are gone; a new page reads the same storage.
    vi.clearAllTimers();

    const second = stubFetch(ok({ id: 905 }));
    const after = new Outbox();
    expect(after.items()).toMatchObject([{ assignmentId: 11, attempts: 1, body: { client_id: CLIENT_ID } }]);
    expect(after.pendingAssignmentIds(1)).toEqual([11]);
    after.kick();
    await settle();
    expect(second.calls).toHaveLength(1);
    expect((second.calls[0].body as { client_id: string }).client_id).toBe(CLIENT_ID);
    expect(after.items()).toEqual([]);
  });

  it("lists pending assignments per project, without refused ones", async () => {
    stubFetch((c) => (c.url.includes("/13/") ? reply(400, { detail: "refused" }) : offline(c)));
    const box = new Outbox(60_000);
    box.enqueue(item(13, 1, "8d4e2f30-aaaa-4bbb-8ccc-ddddeeeeffff"));
    box.enqueue(item(11, 1));
    box.enqueue(item(12, 2, "7c3d1e2f-aaaa-4bbb-8ccc-ddddeeeeffff"));
    await settle();
    expect(box.items().find((i) => i.assignmentId === 13)?.error).toBe("refused");
    expect(box.pendingAssignmentIds(1)).toEqual([11]);
    expect(box.pendingAssignmentIds(2)).toEqual([12]);
    expect(box.pendingAssignmentIds().sort()).toEqual([11, 12]);
  });

  it("replaces an earlier queued submit of the same assignment", () => {
    stubFetch(offline);
    const box = new Outbox(60_000);
    box.enqueue(item(11));
    box.enqueue(item(11, 1, "9e5f3041-aaaa-4bbb-8ccc-ddddeeeeffff"));
    expect(box.items()).toHaveLength(1);
    expect(box.items()[0].body.client_id).toBe("9e5f3041-aaaa-4bbb-8ccc-ddddeeeeffff");
  });
});
