import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PART_RETRIES, rememberedUpload, resumeKey, sendDirect } from "./directUpload";

// The direct upload client against a stubbed server boundary: fetch for the API (a small fake
// of /api/projects/:id/uploads/) and XMLHttpRequest for the PUTs to the presigned part URLs.

const PART = 10;

interface FakeUpload {
  id: string;
  filename: string;
  size_bytes: number;
  state: "created" | "complete" | "aborted" | "imported";
  stored: Map<number, number>;
}

let uploads: Map<string, FakeUpload>;
let calls: string[];
let puts: { number: number; size: number }[];
let failures: Map<number, number[]>; // part -> statuses to answer before a 200 (0: network error)
let inFlight: number;
let mostInFlight: number;
let nextId: number;

const json = (data: unknown, status = 200) =>
  new Response(JSON.stringify(data), { status, headers: { "Content-Type": "application/json" } });

function view(u: FakeUpload) {
  const count = Math.max(1, Math.ceil(u.size_bytes / PART));
  const missing = Array.from({ length: count }, (_, k) => k + 1).filter((n) => !u.stored.has(n));
  return {
    id: u.id,
    filename: u.filename,
    size_bytes: u.size_bytes,
    part_bytes: PART,
    part_count: count,
    state: u.state,
    parts_done: u.state === "created" ? [...u.stored].sort((a, b) => a[0] - b[0]).map(([number, size]) => ({ number, size })) : [],
    parts: u.state === "created" ? missing.map((n) => ({ number: n, url: `http://bucket.test/${u.id}?partNumber=${n}&sig=x` })) : [],
  };
}

class FakeXHR {
  status = 0;
  upload: { onprogress: ((e: { loaded: number }) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  url = "";
  method = "";
  aborted = false;
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader() {
    throw new Error("no headers are sent to the bucket");
  }
  abort() {
    this.aborted = true;
    this.onabort?.();
  }
  async send(body: Blob) {
    const url = new URL(this.url);
    const number = Number(url.searchParams.get("partNumber"));
    const upload = uploads.get(url.pathname.slice(1)) as FakeUpload;
    inFlight += 1;
    mostInFlight = Math.max(mostInFlight, inFlight);
    await new Promise((r) => setTimeout(r, 2));
    this.upload.onprogress?.({ loaded: Math.floor(body.size / 2) });
    await new Promise((r) => setTimeout(r, 2));
    inFlight -= 1;
    if (this.aborted) return;
    const planned = failures.get(number) ?? [];
    const status = planned.length ? (planned.shift() as number) : 200;
    puts.push({ number, size: body.size });
    if (status === 0) return this.onerror?.();
    if (status === 200) upload.stored.set(number, body.size);
    this.status = status;
    this.onload?.();
  }
}

beforeEach(() => {
  uploads = new Map();
  calls = [];
  puts = [];
  failures = new Map();
  inFlight = 0;
  mostInFlight = 0;
  nextId = 1;
  vi.stubGlobal("XMLHttpRequest", FakeXHR);
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const path = String(input);
      const method = init?.method ?? "GET";
      calls.push(`${method} ${path}`);
      if (method === "POST" && path === "/api/projects/7/uploads/") {
        const body = JSON.parse(String(init?.body));
        const id = `u${nextId++}`;
        const upload: FakeUpload = { id, filename: body.filename, size_bytes: body.size_bytes, state: "created", stored: new Map() };
        uploads.set(id, upload);
        return json(view(upload), 201);
      }
      const match = path.match(/^\/api\/projects\/7\/uploads\/([^/]+)\/(complete\/)?$/);
      const upload = match ? uploads.get(match[1]) : undefined;
      if (!upload) return json({ detail: "Not found." }, 404);
      if (match?.[2]) {
        const v = view(upload);
        const missing = Array.from({ length: v.part_count }, (_, k) => k + 1).filter((n) => !upload.stored.has(n));
        if (missing.length) return json({ detail: `parts missing: ${missing}`, errors: { parts: [`missing ${missing}`] } }, 400);
        upload.state = "complete";
      }
      return json(view(upload));
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
});

const fileOf = (size: number, name = "big.mp4") => new File([new Uint8Array(size).fill(7)], name, { type: "video/mp4", lastModified: 1000 });
const noSleep = { sleep: async () => {} };

describe("sendDirect", () => {
  it("creates the upload, PUTs every part three at a time with progress, and completes it", async () => {
    const file = fileOf(45);
    const progress: number[] = [];
    const id = await sendDirect(7, file, "clips/big.mp4", { onProgress: (n) => progress.push(n) });
    expect(id).toBe("u1");
    expect(calls).toEqual(["POST /api/projects/7/uploads/", "POST /api/projects/7/uploads/u1/complete/"]);
    expect(puts.map((p) => p.number).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(puts.find((p) => p.number === 5)?.size).toBe(5);
    expect(mostInFlight).toBe(3);
    expect(uploads.get("u1")?.filename).toBe("clips/big.mp4");
    expect(progress.at(-1)).toBe(45);
    expect(progress.some((n) => n > 0 && n < 45)).toBe(true);
    expect(rememberedUpload(7, "clips/big.mp4", file)).toBe("u1"); // kept until imported
  });

  it("resumes a remembered upload: only the parts the bucket does not hold are sent", async () => {
    const file = fileOf(35);
    uploads.set("u9", { id: "u9", filename: "big.mp4", size_bytes: 35, state: "created", stored: new Map([[1, 10], [2, 10]]) });
    localStorage.setItem(resumeKey(7, "big.mp4", file), "u9");
    const progress: number[] = [];
    expect(await sendDirect(7, file, "big.mp4", { onProgress: (n) => progress.push(n) })).toBe("u9");
    expect(calls[0]).toBe("GET /api/projects/7/uploads/u9/");
    expect(calls).not.toContain("POST /api/projects/7/uploads/");
    expect(puts.map((p) => p.number).sort()).toEqual([3, 4]);
    expect(progress[0]).toBe(20);
    expect(uploads.get("u9")?.state).toBe("complete");
  });

  it("another file of the same name is not resumed as this one (size and date are in the key)", async () => {
    uploads.set("u9", { id: "u9", filename: "big.mp4", size_bytes: 35, state: "created", stored: new Map() });
    localStorage.setItem(resumeKey(7, "big.mp4", fileOf(35)), "u9");
    expect(await sendDirect(7, fileOf(36), "big.mp4")).toBe("u1");
  });

  it("a completed upload is not sent again", async () => {
    const file = fileOf(25);
    uploads.set("u9", { id: "u9", filename: "big.mp4", size_bytes: 25, state: "complete", stored: new Map() });
    localStorage.setItem(resumeKey(7, "big.mp4", file), "u9");
    expect(await sendDirect(7, file, "big.mp4")).toBe("u9");
    expect(puts).toEqual([]);
  });

  it("a remembered upload the server no longer has (or aborted) starts again", async () => {
    const file = fileOf(15);
    localStorage.setItem(resumeKey(7, "big.mp4", file), "gone");
    expect(await sendDirect(7, file, "big.mp4")).toBe("u1");
    expect(rememberedUpload(7, "big.mp4", file)).toBe("u1");
    uploads.set("u7", { id: "u7", filename: "big.mp4", size_bytes: 15, state: "aborted", stored: new Map() });
    localStorage.setItem(resumeKey(7, "big.mp4", file), "u7");
    expect(await sendDirect(7, file, "big.mp4")).toBe("u2");
  });

  it("a failed part is sent again with a growing pause and the upload completes", async () => {
    failures.set(2, [500, 0]);
    const pauses: number[] = [];
    const id = await sendDirect(7, fileOf(30), "big.mp4", { sleep: async (ms) => void pauses.push(ms) });
    expect(id).toBe("u1");
    expect(puts.filter((p) => p.number === 2)).toHaveLength(3);
    expect(pauses).toEqual([500, 1000]);
    expect(uploads.get("u1")?.state).toBe("complete");
  });

  it(`a part failing ${PART_RETRIES + 1} times fails the file with the reason, and a retry resumes`, async () => {
    const file = fileOf(30);
    failures.set(2, [500, 500, 500, 500]);
    const pauses: number[] = [];
    await expect(sendDirect(7, file, "big.mp4", { sleep: async (ms) => void pauses.push(ms) })).rejects.toThrow(
      "part 2 of 3 could not be sent (the storage answered HTTP 500)",
    );
    expect(pauses).toEqual([500, 1000, 2000]);
    expect(calls).not.toContain("POST /api/projects/7/uploads/u1/complete/");
    // "Retry failed": the same file again sends only the missing part
    puts = [];
    expect(await sendDirect(7, file, "big.mp4", noSleep)).toBe("u1");
    expect(puts.map((p) => p.number)).toEqual([2]);
  });

  it("an expired part URL (403) is signed again by asking the server", async () => {
    failures.set(1, [403]);
    expect(await sendDirect(7, fileOf(12), "big.mp4", noSleep)).toBe("u1");
    expect(calls).toContain("GET /api/projects/7/uploads/u1/");
  });

  it("a cancel aborts the parts in flight", async () => {
    const controller = new AbortController();
    const sending = sendDirect(7, fileOf(50), "big.mp4", { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 1));
    controller.abort();
    await expect(sending).rejects.toMatchObject({ name: "AbortError" });
    expect(calls).not.toContain("POST /api/projects/7/uploads/u1/complete/");
  });
});
