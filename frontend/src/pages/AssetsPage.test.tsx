import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import axe from "axe-core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import AssetsPage from "./AssetsPage";
import { retryTiming } from "../components/assets/directUpload";
import { renderAt } from "../test/render";
import type { AssetDetail, JobDetail } from "../types";

// The Assets screen against a stubbed server boundary (fetch, and XMLHttpRequest for the
// uploads, which report their progress as a browser does).

const PROJECT = {
  id: 7,
  name: "Street photos",
  description: "",
  instructions: "",
  media_type: "image",
  checklist_version: 3,
  overlap: 1,
  lease_seconds: 600,
  archived: false,
  my_role: "manager",
};

function asset(id: number, name: string, extra: Partial<AssetDetail> = {}): AssetDetail {
  return {
    id,
    project: 7,
    kind: "image",
    status: "ready",
    failure_reason: "",
    original_name: name,
    prompt: "",
    metadata: {},
    sha256: "",
    size_bytes: 10,
    mime_type: "image/jpeg",
    width: 64,
    height: 48,
    duration_seconds: null,
    fps: null,
    frame_count: null,
    import_job_id: null,
    created_at: "2026-12-01T08:00:00Z",
    urls: { thumbnail: `/api/assets/${id}/files/thumbnail`, frames: [] },
    ...extra,
  };
}

function job(id: number, state: JobDetail["state"], extra: Partial<JobDetail> = {}): JobDetail {
  return {
    id,
    kind: "import",
    state,
    progress: state === "running" ? 0.5 : 1,
    message: "",
    created_at: "2026-12-01T08:00:00Z",
    project: 7,
    created_by: "mona",
    queue: "media",
    attempts: 1,
    max_attempts: 3,
    cancel_requested: false,
    dispatched_at: null,
    started_at: null,
    heartbeat_at: null,
    finished_at: null,
    duration_seconds: null,
    params: {},
    result: null,
    error: "",
    log: "",
    celery_task_id: null,
    ...extra,
  };
}

interface Sent {
  files: { name: string; size: number }[];
  paths: string[];
  manifest: string | null;
  uploads: string[];
}

let project: typeof PROJECT;
let assets: AssetDetail[];
let jobStates: Record<number, JobDetail[]>;
let sent: Sent[];
let answers: { status: number; body: unknown }[];
let fetches: string[];
// direct uploads (VR_STORAGE=s3): null answers /api/storage/ with 404 (the client then sends every file to /imports/)
let storageInfo: { backend: string; direct_uploads: boolean; part_bytes: number; max_upload_bytes: number } | null;
let directUploads: Map<string, { size: number; stored: Map<number, number>; state: string }>;
let partPuts: number[];
let partFailures: Map<number, number>; // part -> how many PUTs of it answer 500

const json = (data: unknown, status = 200) =>
  new Response(JSON.stringify(data), { status, headers: { "Content-Type": "application/json" } });

class FakeXHR {
  status = 0;
  responseText = "";
  upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null } = {
    onprogress: null,
  };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  withCredentials = false;
  setRequestHeader() {}
  url = "";
  open(_method: string, url: string) {
    this.url = url;
  }
  abort() {
    this.onabort?.();
  }
  async send(form: FormData | Blob) {
    if (!(form instanceof FormData)) return this.sendPart(form);
    const files = form.getAll("files") as File[];
    const manifest = form.get("manifest") as File | null;
    sent.push({
      files: files.map((f) => ({ name: f.name, size: f.size })),
      paths: form.getAll("paths") as string[],
      manifest: manifest ? await manifest.text() : null,
      uploads: form.getAll("uploads") as string[],
    });
    const total = files.reduce((s, f) => s + f.size + 200, 0);
    await new Promise((r) => setTimeout(r, 5));
    this.upload.onprogress?.({ loaded: Math.round(total / 2), total, lengthComputable: true });
    await new Promise((r) => setTimeout(r, 5));
    this.upload.onprogress?.({ loaded: total, total, lengthComputable: true });
    const answer = answers.shift() ?? { status: 500, body: { detail: "no answer prepared" } };
    if (answer.status === 0) return this.onerror?.();
    this.status = answer.status;
    this.responseText = JSON.stringify(answer.body);
    this.onload?.();
  }
  async sendPart(body: Blob) {
    const url = new URL(this.url);
    const number = Number(url.searchParams.get("partNumber"));
    await new Promise((r) => setTimeout(r, 2));
    this.upload.onprogress?.({ loaded: body.size, total: body.size, lengthComputable: true });
    partPuts.push(number);
    const failing = partFailures.get(number) ?? 0;
    if (failing > 0) {
      partFailures.set(number, failing - 1);
      this.status = 500;
    } else {
      directUploads.get(url.pathname.slice(1))?.stored.set(number, body.size);
      this.status = 200;
    }
    this.onload?.();
  }
}

function directView(id: string) {
  const u = directUploads.get(id) as { size: number; stored: Map<number, number>; state: string };
  const part = storageInfo?.part_bytes ?? 1;
  const count = Math.ceil(u.size / part);
  const numbers = Array.from({ length: count }, (_, k) => k + 1);
  return {
    id,
    filename: "",
    size_bytes: u.size,
    part_bytes: part,
    part_count: count,
    state: u.state,
    parts_done: [...u.stored].map(([number, size]) => ({ number, size })),
    parts: numbers.filter((n) => !u.stored.has(n)).map((n) => ({ number: n, url: `http://bucket.test/${id}?partNumber=${n}` })),
  };
}

beforeEach(() => {
  project = { ...PROJECT };
  assets = [];
  jobStates = {};
  sent = [];
  answers = [];
  fetches = [];
  storageInfo = null;
  directUploads = new Map();
  partPuts = [];
  partFailures = new Map();
  vi.stubGlobal("XMLHttpRequest", FakeXHR);
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      const method = init?.method ?? "GET";
      fetches.push(`${method} ${url}`);
      if (url === "/api/projects/7/") return json(project);
      if (url === "/api/storage/" && storageInfo) return json(storageInfo);
      if (url === "/api/projects/7/uploads/" && method === "POST") {
        const id = `up${directUploads.size + 1}`;
        directUploads.set(id, { size: JSON.parse(String(init?.body)).size_bytes, stored: new Map(), state: "created" });
        return json(directView(id), 201);
      }
      const direct = url.match(/^\/api\/projects\/7\/uploads\/([^/]+)\/(complete\/)?$/);
      if (direct && directUploads.has(direct[1])) {
        const one = directUploads.get(direct[1]);
        if (direct[2] && one) one.state = "complete";
        return json(directView(direct[1]));
      }
      if (url.startsWith("/api/projects/7/assets/?")) {
        const q = new URLSearchParams(url.split("?")[1]);
        let rows = [...assets].reverse();
        if (q.get("status")) rows = rows.filter((a) => a.status === q.get("status"));
        if (q.get("import_job_id")) rows = rows.filter((a) => String(a.import_job_id) === q.get("import_job_id"));
        const offset = Number(q.get("offset") ?? 0);
        const limit = Number(q.get("limit") ?? 25);
        return json({ count: rows.length, next: null, previous: null, results: rows.slice(offset, offset + limit) });
      }
      const one = url.match(/^\/api\/jobs\/(\d+)\/$/);
      if (one) {
        const states = jobStates[Number(one[1])];
        return json(states.length > 1 ? states.shift() : states[0]);
      }
      const cancel = url.match(/^\/api\/jobs\/(\d+)\/cancel\/$/);
      if (cancel && method === "POST") {
        const id = Number(cancel[1]);
        jobStates[id] = [job(id, "cancelled")];
        return json(jobStates[id][0]);
      }
      return json({ detail: `unexpected ${method} ${url}` }, 404);
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
  retryTiming.baseMs = 500;
});

const file = (name: string, size = 100, type = "image/jpeg") => new File([new Uint8Array(size)], name, { type });
const MANIFEST = ['{"file": "a.jpg", "prompt": "a red fox"}', '{"file": "b.jpg", "prompt": "a lighthouse"}', '{"file": "bad.jpg", "prompt": "never"}'].join("\n");

async function renderPage() {
  const utils = renderAt("/projects/7/assets", "/projects/:projectId/assets", <AssetsPage pollMs={5} />);
  await screen.findByRole("heading", { name: "Assets: Street photos" });
  return utils;
}

function choose(testId: string, files: File[]) {
  fireEvent.change(screen.getByTestId(testId), { target: { files } });
}

describe("AssetsPage", () => {
  it("lists what will be sent, uploads it with progress, follows the job and retries the failed file alone", async () => {
    const user = userEvent.setup();
    await renderPage();
    expect(await screen.findByText("No assets yet: upload media above.")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "A Hugging Face dataset" })).toHaveAttribute("href", "/projects/7/import/huggingface");
    expect(screen.getByRole("link", { name: "A Label Studio export" })).toHaveAttribute("href", "/projects/7/import/label-studio");

    choose("files-input", [file("a.jpg", 300), file("b.jpg", 200), file("bad.jpg", 50)]);
    // a manifest chosen next applies to the files chosen before it
    const manifestFile = new File([MANIFEST], "prompts.jsonl");
    choose("manifest-input", [manifestFile]);
    const summary = await screen.findByRole("heading", { name: /Ready to upload: 3 files, 550 B, 3 with a prompt from prompts.jsonl/ });
    await waitFor(() => expect(summary).toHaveFocus());
    const list = screen.getByRole("table", { name: "Files of this upload" });
    expect(within(list).getByRole("row", { name: /a\.jpg/ })).toHaveTextContent("a red fox");

    answers.push({ status: 202, body: job(41, "queued") });
    jobStates[41] = [
      job(41, "running", { progress: 0.5, message: "1/3 imported, 0 failed" }),
      job(41, "succeeded", {
        message: "2 imported, 1 failed",
        result: { total: 3, imported: 2, failed: 1, failures: [{ file: "bad.jpg", reason: "not an image or a video (ffprobe: No JPEG data)" }] },
      }),
    ];
    const uploadButton = screen.getByRole("button", { name: "Upload 3 files" });
    await user.click(uploadButton);
    // halfway through the body: the first file (300 of 550 bytes) is partly sent, the last not yet
    await waitFor(() => expect((screen.getByRole("progressbar", { name: "Upload of a.jpg" }) as HTMLProgressElement).value).toBeGreaterThan(0));
    assets = [
      asset(1, "a.jpg", { prompt: "a red fox", import_job_id: 41 }),
      asset(2, "b.jpg", { prompt: "a lighthouse", import_job_id: 41 }),
      asset(3, "bad.jpg", { status: "failed", failure_reason: "not an image or a video (ffprobe: No JPEG data)", import_job_id: 41 }),
    ];
    expect(await screen.findByText("Finished: 2 imported, 1 failed.")).toBeInTheDocument();
    expect(sent[0].files.map((f) => f.name)).toEqual(["a.jpg", "b.jpg", "bad.jpg"]);
    expect(sent[0].paths).toEqual(["a.jpg", "b.jpg", "bad.jpg"]);
    expect(sent[0].manifest).toBe(MANIFEST + "\n");
    for (const name of ["a.jpg", "b.jpg", "bad.jpg"]) {
      const bar = screen.getByRole("progressbar", { name: `Upload of ${name}` }) as HTMLProgressElement;
      expect(bar.value).toBe(bar.max);
    }
    expect(screen.getByRole("progressbar", { name: "Imported, all files" })).toHaveAttribute("value", "3");
    expect(screen.getByRole("list", { name: "Failed files" })).toHaveTextContent("bad.jpg: not an image or a video (ffprobe: No JPEG data)");
    expect(screen.getByRole("list", { name: "Import jobs of this upload" })).toHaveTextContent("Import job #41 succeeded 2 imported, 1 failed");

    // the table was reloaded when the job ended: newest first, with prompts and the reason
    const table = await screen.findByRole("table", { name: "Assets 1 to 3 of 3" });
    expect(within(table).getByRole("row", { name: /a\.jpg/ })).toHaveTextContent("a red fox");
    expect(within(table).getByRole("row", { name: /bad\.jpg/ })).toHaveTextContent("failed");
    expect(within(table).getByRole("row", { name: /bad\.jpg/ })).toHaveTextContent("No JPEG data");
    expect(within(table).getAllByRole("link", { name: "Import job #41" })[0]).toHaveAttribute("href", "/projects/7/jobs");

    // Retry: only the failed file, with its own manifest row
    answers.push({ status: 202, body: job(42, "queued") });
    jobStates[42] = [job(42, "succeeded", { result: { imported: 1, failed: 0, failures: [] } })];
    await user.click(screen.getByRole("button", { name: "Retry 1 failed file" }));
    expect(await screen.findByText("Finished: 3 imported, 0 failed.")).toBeInTheDocument();
    expect(sent[1].files.map((f) => f.name)).toEqual(["bad.jpg"]);
    expect(sent[1].manifest).toBe('{"file": "bad.jpg", "prompt": "never"}\n');
    expect(screen.queryByRole("button", { name: /Retry/ })).not.toBeInTheDocument();
  });

  it("stops before sending when a manifest row names no chosen file", async () => {
    await renderPage();
    choose("files-input", [file("a.jpg"), new File(['{"file":"a.jpg"}\n{"file":"gone.jpg"}\n'], "m.jsonl")]);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("manifest line 2: `gone.jpg` is not among the chosen files");
    expect(screen.getByRole("button", { name: "Upload 1 file" })).toBeDisabled();
  });

  it("shows the server's refusal with the manifest's own line numbers, and a lost connection as retryable", async () => {
    const user = userEvent.setup();
    await renderPage();
    choose("files-input", [file("a.jpg"), file("b.jpg"), new File(['{"file":"a.jpg"}\n\n{"file":"b.jpg","prompt":"x"}\n'], "m.jsonl")]);
    await screen.findByRole("heading", { name: /Ready to upload: 2 files/ });
    answers.push({ status: 0, body: null });
    await user.click(screen.getByRole("button", { name: "Upload 2 files" }));
    expect(await screen.findByRole("button", { name: "Retry 2 failed files" })).toBeInTheDocument();
    expect(screen.getByRole("list", { name: "Failed files" })).toHaveTextContent("The server cannot be reached");

    // the batch's manifest has b.jpg on its line 2; the server's message names line 3 of the file
    answers.push({
      status: 400,
      body: { detail: "bad", errors: { manifest: ["manifest line 2, key `prompt`: contains a NUL character"] } },
    });
    await user.click(screen.getByRole("button", { name: "Retry 2 failed files" }));
    await waitFor(() =>
      expect(screen.getByRole("list", { name: "Failed files" })).toHaveTextContent(
        "manifest: manifest line 3, key `prompt`: contains a NUL character",
      ),
    );
  });

  it("reads a dropped folder, skipping what is not media, and names files from the folder", async () => {
    await renderPage();
    const entry = (path: string, f: File) => ({ isFile: true, isDirectory: false, name: f.name, fullPath: `/${path}`, file: (ok: (x: File) => void) => ok(f) });
    const children = [entry("shoot/a.jpg", file("a.jpg")), entry("shoot/notes.txt", file("notes.txt", 5, "text/plain")), entry("shoot/.DS_Store", file(".DS_Store"))];
    let read = false;
    const folder = {
      isFile: false,
      isDirectory: true,
      name: "shoot",
      fullPath: "/shoot",
      createReader: () => ({ readEntries: (ok: (e: unknown[]) => void) => ok(read ? [] : ((read = true), children)) }),
    };
    fireEvent.drop(screen.getByTestId("drop-zone"), {
      dataTransfer: { items: [{ kind: "file", webkitGetAsEntry: () => folder }], files: [] },
    });
    const summary = await screen.findByRole("heading", { name: /Ready to upload: 1 file, 100 B, no manifest/ });
    expect(summary).toBeInTheDocument();
    expect(screen.getByRole("table", { name: "Files of this upload" })).toHaveTextContent("shoot/a.jpg");
    expect(screen.getByText("2 files not sent")).toBeInTheDocument();
    expect(screen.getByText("shoot/notes.txt: not an image or video file (by its name)")).toBeInTheDocument();
  });

  it("cancels: the file being sent and the rest are cancelled and can be retried", async () => {
    const user = userEvent.setup();
    await renderPage();
    choose("files-input", [file("a.jpg")]);
    await screen.findByRole("heading", { name: /Ready to upload: 1 file/ });
    answers.push({ status: 202, body: job(50, "queued") });
    jobStates[50] = [job(50, "running", { progress: 0.1 })];
    await user.click(screen.getByRole("button", { name: "Upload 1 file" }));
    await screen.findByText(/Import job #50/);
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(await screen.findByText("Finished: 0 imported, 0 failed, 1 cancelled.")).toBeInTheDocument();
    expect(fetches).toContain("POST /api/jobs/50/cancel/");
    expect(screen.getByRole("button", { name: "Retry 1 failed file" })).toBeInTheDocument();
  });

  it("with direct uploads, a file larger than one part goes to the bucket, resumes on retry and is imported by its upload id", async () => {
    const user = userEvent.setup();
    retryTiming.baseMs = 1;
    storageInfo = { backend: "s3", direct_uploads: true, part_bytes: 100, max_upload_bytes: 10_000 };
    await renderPage();
    choose("files-input", [file("big.jpg", 250), file("small.jpg", 60)]);
    choose("manifest-input", [new File(['{"file": "big.jpg", "prompt": "a whale"}\n{"file": "small.jpg", "prompt": "a crab"}\n'], "m.jsonl")]);
    await screen.findByRole("heading", { name: /Ready to upload: 2 files/ });
    partFailures.set(2, 4); // part 2 fails its first send and its 3 retries
    answers.push({ status: 202, body: job(60, "queued") });
    jobStates[60] = [job(60, "succeeded", { result: { total: 1, imported: 1, failed: 0, failures: [] } })];
    await user.click(screen.getByRole("button", { name: "Upload 2 files" }));
    expect(await screen.findByText(/Finished: 1 imported, 1 failed/)).toBeInTheDocument();
    // the small file went the usual way; the big one never reached /imports/
    expect(sent).toHaveLength(1);
    expect(sent[0].files.map((f) => f.name)).toEqual(["small.jpg"]);
    expect(screen.getByRole("list", { name: "Failed files" })).toHaveTextContent(
      "big.jpg: part 2 of 3 could not be sent (the storage answered HTTP 500)",
    );
    expect(partPuts.filter((n) => n === 2)).toHaveLength(4);
    expect([...(directUploads.get("up1")?.stored.keys() ?? [])].sort()).toEqual([1, 3]);

    // Retry: the same upload, only the missing part, then one import naming the upload
    partPuts = [];
    answers.push({ status: 202, body: job(61, "queued") });
    jobStates[61] = [job(61, "succeeded", { result: { total: 1, imported: 1, failed: 0, failures: [] } })];
    await user.click(screen.getByRole("button", { name: "Retry 1 failed file" }));
    expect(await screen.findByText(/Finished: 2 imported, 0 failed/)).toBeInTheDocument();
    expect(partPuts).toEqual([2]);
    expect(directUploads.size).toBe(1);
    expect(fetches).toContain("GET /api/projects/7/uploads/up1/");
    expect(fetches).toContain("POST /api/projects/7/uploads/up1/complete/");
    expect(sent[1].uploads).toEqual(["up1"]);
    expect(sent[1].files).toEqual([]);
    expect(sent[1].manifest).toBe('{"file": "big.jpg", "prompt": "a whale"}\n');
    const bar = screen.getByRole("progressbar", { name: "Upload of big.jpg" }) as HTMLProgressElement;
    expect(bar.value).toBe(bar.max);
  });

  it("pages and filters the assets; others than managers see no upload", async () => {
    const user = userEvent.setup();
    project = { ...PROJECT, my_role: "researcher" };
    assets = Array.from({ length: 30 }, (_, k) =>
      asset(k + 1, `img${k + 1}.jpg`, k % 10 === 0 ? { status: "failed", failure_reason: "too large" } : {}),
    );
    await renderPage();
    expect(screen.getByText("Only the project's managers can import media; these are the project's assets.")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Choose files" })).not.toBeInTheDocument();
    expect(await screen.findByRole("table", { name: "Assets 1 to 25 of 30" })).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Next" }));
    expect(await screen.findByRole("table", { name: "Assets 26 to 30 of 30" })).toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText("Status"), "failed");
    const failed = await screen.findByRole("table", { name: "Assets 1 to 3 of 3" });
    expect(within(failed).getAllByText("too large")).toHaveLength(3);
  });

  it("has no serious accessibility problems once files are chosen", async () => {
    const { container } = await renderPage();
    choose("files-input", [file("a.jpg"), new File(['{"file":"a.jpg","prompt":"p"}\n'], "m.jsonl")]);
    await screen.findByRole("heading", { name: /Ready to upload/ });
    const result = await axe.run(container, { rules: { "color-contrast": { enabled: false } } });
    expect(result.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id)).toEqual([]);
  });
});
