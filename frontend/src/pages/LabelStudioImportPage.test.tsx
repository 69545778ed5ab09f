import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import axe from "axe-core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import LabelStudioImportPage from "./LabelStudioImportPage";
import { renderAt } from "../test/render";
import type { JobDetail, LabelStudioPreview } from "../types";

const PROJECT = {
  id: 7,
  name: "Street photos",
  description: "",
  instructions: "",
  media_type: "image",
  checklist_version: 3,
  overlap: 3,
  lease_seconds: 600,
  archived: false,
  my_role: "manager",
};

function previewFor(mediaKey: string, promptKey: string): LabelStudioPreview {
  return {
    format: "json",
    task_count: 3,
    keys: [
      { key: "image", tasks: 3, media_like: 3, text: 3, example: "https://media.example.org/a.jpg" },
      { key: "prompt", tasks: 3, media_like: 0, text: 3, example: "a cat" },
      { key: "caption", tasks: 1, media_like: 0, text: 1, example: "short" },
    ],
    suggested: { media_key: "image", prompt_key: "prompt" },
    media_key: mediaKey,
    prompt_key: promptKey,
    importable: 2,
    to_download: 1,
    files_alongside: 1,
    tasks: [
      { index: 1, task_id: 11, media: "https://media.example.org/a.jpg", media_source: "url", matched_file: "", prompt: promptKey ? "a cat" : "", metadata: {} },
      { index: 2, task_id: 12, media: "/data/upload/4/x-dog.png", media_source: "file", matched_file: "upload/4/x-dog.png", prompt: promptKey ? "a dog" : "", metadata: {} },
      { index: 3, task_id: 13, problem: "`data.image` `/etc/passwd` is an absolute file path" },
    ],
    problem_count: 1,
    problems: [{ index: 3, task_id: 13, reason: "`data.image` `/etc/passwd` is an absolute file path" }],
  };
}

function jobAt(state: JobDetail["state"], progress: number, message: string, result: unknown = null): JobDetail {
  return {
    id: 40,
    kind: "import",
    state,
    progress,
    message,
    project: 7,
    created_by: "carol",
    queue: "media",
    attempts: 1,
    max_attempts: 3,
    cancel_requested: false,
    created_at: "2025-12-01T08:00:00Z",
    dispatched_at: null,
    started_at: null,
    heartbeat_at: null,
    finished_at: null,
    duration_seconds: null,
    params: {},
    result,
    error: "",
    log: "",
    celery_task_id: null,
  };
}

interface Call {
  method: string;
  url: string;
  form: Record<string, string>;
}
let calls: Call[];
let project: typeof PROJECT;
let previewError: { status: number; body: unknown } | null;
let jobStates: JobDetail[];

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

beforeEach(() => {
  calls = [];
  project = { ...PROJECT };
  previewError = null;
  jobStates = [
    jobAt("running", 0.5, "1/2 imported, 0 failed"),
    jobAt("succeeded", 1, "1 imported, 2 failed", {
      total: 3,
      imported: 1,
      failed: 2,
      ignored: 0,
      failures: [
        { file: "https://media.example.org/a.jpg", reason: "the server answered 404 Not Found" },
        { file: "Label Studio task 3 (id 13)", reason: "task 3 (id 13): `data.image` `/etc/passwd` is an absolute file path" },
      ],
    }),
  ];
  vi.stubGlobal("XMLHttpRequest", FetchBackedXHR);
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      const method = init?.method ?? "GET";
      const form: Record<string, string> = {};
      if (init?.body instanceof FormData)
        init.body.forEach((v, k) => {
          const text = typeof v === "string" ? v : `file:${(v as File).name}`;
          form[k] = k in form ? `${form[k]},${text}` : text; // a repeated field: its values in order
        });
      calls.push({ method, url, form });
      if (url === "/api/projects/7/") return json(project);
      if (url === "/api/projects/7/imports/label-studio/" && method === "POST") {
        if (form.preview === "true") {
          if (previewError) return json(previewError.body, previewError.status);
          return json(previewFor(form.media_key ?? "image", form.prompt_key ?? ""));
        }
        return json(jobAt("queued", 0, "queued: 3 file(s) to import"), 202);
      }
      if (url === "/api/projects/7/imports/" && method === "POST") return json(jobAt("queued", 0, "queued"), 202);
      if (url === "/api/jobs/40/") return json(jobStates.length > 1 ? jobStates.shift() : jobStates[0]);
      return json({ detail: `unexpected ${method} ${url}` }, 404);
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
});

/** XMLHttpRequest (the import API's upload path, for its progress) answered by the fetch stub above. */
class FetchBackedXHR {
  status = 0;
  responseText = "";
  upload: { onprogress: unknown } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  withCredentials = false;
  private method = "GET";
  private url = "";
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader() {}
  abort() {
    this.onabort?.();
  }
  async send(body: FormData) {
    const response = await fetch(this.url, { method: this.method, body });
    this.status = response.status;
    this.responseText = await response.text();
    this.onload?.();
  }
}

const renderPage = () =>
  renderAt("/projects/7/import/label-studio", "/projects/:projectId/import/label-studio", <LabelStudioImportPage pollMs={5} />);
const exportFile = () => new File(['[{"id": 11, "data": {"image": "https://media.example.org/a.jpg"}}]'], "project-4.json", { type: "application/json" });
const posts = () => calls.filter((c) => c.method === "POST");

async function previewed(user: ReturnType<typeof userEvent.setup>) {
  const utils = renderPage();
  await user.upload(await screen.findByLabelText("Export file (.json or .jsonl)"), exportFile());
  await user.upload(screen.getByLabelText("Media files (.zip, optional)"), new File(["PK"], "upload.zip", { type: "application/zip" }));
  await user.click(screen.getByRole("button", { name: "Preview" }));
  await screen.findByText(/3 task\(s\) in JSON: 2 to import \(1 to download\), 1 will fail/);
  return utils;
}

describe("LabelStudioImportPage", () => {
  it("previews an export with the suggested keys, then imports it and follows the job to its failures", async () => {
    const user = userEvent.setup();
    await previewed(user);
    expect(screen.getByRole("heading", { name: "Preview" })).toHaveFocus();
    expect(screen.getByLabelText(/^Media key/)).toHaveValue("image");
    await waitFor(() => expect(screen.getByLabelText("Prompt key")).toHaveValue("prompt"));
    const [first, second] = posts();
    expect(first.form).toEqual({ export: "file:project-4.json", archive: "file:upload.zip", preview: "true" });
    expect(second.form).toMatchObject({ media_key: "image", prompt_key: "prompt", preview: "true" });
    const table = screen.getByRole("table", { name: "The first tasks as they will be imported" });
    expect(within(table).getByText("a cat")).toBeInTheDocument();
    expect(within(table).getByText(/→ upload\/4\/x-dog.png/)).toBeInTheDocument();
    expect(within(table).getByText("will be downloaded")).toBeInTheDocument();
    expect(within(table).getAllByText(/is an absolute file path/)).toHaveLength(1);

    await user.selectOptions(screen.getByLabelText("Prompt key"), "");
    await waitFor(() => expect(posts().at(-1)!.form).toEqual({ export: "file:project-4.json", archive: "file:upload.zip", media_key: "image", preview: "true" }));

    await user.click(screen.getByRole("button", { name: "Import 2 task(s)" }));
    const start = posts().at(-1)!;
    expect(start.url).toBe("/api/projects/7/imports/label-studio/");
    expect(start.form).toEqual({ export: "file:project-4.json", archive: "file:upload.zip", media_key: "image" });
    expect(await screen.findByRole("heading", { name: /Import job #40/ })).toHaveFocus();
    expect(await screen.findByText("Finished: 1 imported, 2 failed.")).toBeInTheDocument();
    const failures = screen.getByRole("table", { name: /Entries that failed \(2\)/ });
    expect(within(failures).getByText("the server answered 404 Not Found")).toBeInTheDocument();
    expect(within(failures).getByText(/task 3 \(id 13\)/, { selector: "td" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "All jobs of this project" })).toHaveAttribute("href", "/projects/7/jobs");
  });

  it("shows a 400 under the field it names", async () => {
    const user = userEvent.setup();
    previewError = {
      status: 400,
      body: { detail: "bad", errors: { export: ["`e.json`: a Label Studio export is a list of tasks, but this file holds an object"] } },
    };
    renderPage();
    const input = await screen.findByLabelText("Export file (.json or .jsonl)");
    await user.click(screen.getByRole("button", { name: "Preview" }));
    expect(screen.getByText("Choose the Label Studio export file first.")).toBeInTheDocument();
    await user.upload(input, exportFile());
    await user.click(screen.getByRole("button", { name: "Preview" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Please correct the fields marked below.");
    expect(input).toHaveAttribute("aria-invalid", "true");
    expect(input).toHaveAccessibleDescription(/this file holds an object/);
    expect(screen.queryByRole("heading", { name: "Preview" })).not.toBeInTheDocument();
  });

  it("starts a URL manifest import with the manifest alone", async () => {
    const user = userEvent.setup();
    renderPage();
    await user.upload(await screen.findByLabelText("Manifest (.jsonl or .csv)"), new File(['{"file": "https://x.org/a.jpg"}\n'], "urls.jsonl"));
    await user.click(screen.getByRole("button", { name: "Import the URLs" }));
    expect(posts().at(-1)).toEqual({ method: "POST", url: "/api/projects/7/imports/", form: { manifest: "file:urls.jsonl" } });
    expect(await screen.findByText("Finished: 1 imported, 2 failed.")).toBeInTheDocument();
  });

  it("sends a folder's files alongside, by name", async () => {
    const user = userEvent.setup();
    renderPage();
    await user.upload(await screen.findByLabelText("Export file (.json or .jsonl)"), exportFile());
    await user.upload(screen.getByLabelText("Or a folder of media files (optional)"), [
      new File(["a"], "x-dog.png", { type: "image/png" }),
      new File(["b"], "y-owl.jpg", { type: "image/jpeg" }),
    ]);
    await user.click(screen.getByRole("button", { name: "Preview" }));
    await screen.findByRole("heading", { name: "Preview" });
    const sent = calls.find((c) => c.method === "POST")!;
    expect(sent.form).toEqual({ export: "file:project-4.json", files: "file:x-dog.png,file:y-owl.jpg", preview: "true" });
  });

  it("tells a non-manager that only managers import", async () => {
    project = { ...PROJECT, my_role: "annotator" };
    renderPage();
    expect(await screen.findByRole("alert")).toHaveTextContent("Only the project's managers can import media.");
    expect(screen.queryByLabelText("Export file (.json or .jsonl)")).not.toBeInTheDocument();
  });

  it("has no axe violations", async () => {
    const user = userEvent.setup();
    const { container } = await previewed(user);
    for (const summary of container.querySelectorAll("summary")) await user.click(summary);
    await user.click(screen.getByRole("button", { name: "Import 2 task(s)" }));
    await screen.findByText("Finished: 1 imported, 2 failed.");
    const results = await axe.run(container, { rules: { "color-contrast": { enabled: false } } });
    expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
  });
});
