import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import axe from "axe-core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import DatasetImportPage from "./DatasetImportPage";
import { renderAt } from "../test/render";
import type { DatasetPreview, JobDetail } from "../types";

const PNG = "data:image/png;base64,iVBORw0KGgo=";

const PREVIEW: DatasetPreview = {
  source: "lab/gens",
  kind: "hub",
  layout: "files",
  configs: ["default"],
  config: "default",
  splits: ["train", "test"],
  split: "train",
  num_rows: 10000,
  media_type: "image",
  columns: [
    { name: "image", type: "image", detail: "Image()" },
    { name: "caption", type: "string", detail: "Value(string)" },
    { name: "seed", type: "int", detail: "Value(int64)" },
    { name: "model", type: "string", detail: "Value(string)" },
  ],
  rows: [0, 1].map((row) => ({
    row,
    cells: {
      image: { kind: "media", size: 75, path: `img${row}.png`, data_url: PNG },
      caption: { kind: "text", value: `a cat ${row}`, truncated: false },
      seed: { kind: "value", value: row },
      model: { kind: "text", value: "sdxl", truncated: false },
    },
  })),
  suggestion: { media: "image", prompt: "caption", prompt_required: false, metadata: ["seed", "model"] },
};

const PAIR_PREVIEW: DatasetPreview = {
  ...PREVIEW,
  columns: [
    { name: "caption", type: "string", detail: "" },
    { name: "jpg_0", type: "image", detail: "" },
    { name: "jpg_1", type: "image", detail: "" },
    { name: "label_0", type: "float", detail: "" },
    { name: "label_1", type: "float", detail: "" },
  ],
  rows: [],
  suggestion: {
    prompt: "caption",
    prompt_required: false,
    metadata: [],
    media_a: "jpg_0",
    media_b: "jpg_1",
    preference_format: "labels",
    preference: ["label_0", "label_1"],
  },
};

function job(state: JobDetail["state"], extra: Partial<JobDetail> = {}): JobDetail {
  return {
    id: 41,
    kind: "dataset_import",
    state,
    progress: state === "succeeded" ? 1 : 0.25,
    message: state === "succeeded" ? "10,000 rows: 9,999 assets, 1 failed" : "2,500/10,000 rows: 2,500 assets, 0 failed",
    project: 7,
    created_at: "2026-12-07T01:00:00Z",
    created_by: "carol",
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
    result:
      state === "succeeded"
        ? { rows: 10000, imported: 9999, failed: 1, duplicates: 0, failures: [{ row: 17, file: "train[17] x.png", reason: "row 17: not an image" }] }
        : { checkpoint: { next_row: 2500 } },
    error: "",
    log: "",
    celery_task_id: null,
    ...extra,
  };
}

let calls: { method: string; url: string; body: unknown }[];
let polls: number;
let startAnswer: { status: number; body: unknown };
let previewAnswer: { status: number; body: unknown };

const json = (data: unknown, status = 200) => new Response(JSON.stringify(data), { status, headers: { "Content-Type": "application/json" } });

beforeEach(() => {
  calls = [];
  polls = 0;
  startAnswer = { status: 202, body: job("queued") };
  previewAnswer = { status: 200, body: PREVIEW };
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      const method = init?.method ?? "GET";
      const body = init?.body ? JSON.parse(String(init.body)) : undefined;
      calls.push({ method, url, body });
      if (url.endsWith("/preview/") && method === "POST") return json(previewAnswer.body, previewAnswer.status);
      if (/\/imports\/(huggingface|pairs)\/$/.test(url) && method === "POST") return json(startAnswer.body, startAnswer.status);
      if (url === "/api/jobs/41/") {
        polls += 1;
        return json(polls < 2 ? job("running") : job("succeeded"));
      }
      return json({ detail: `unexpected ${method} ${url}` }, 404);
    }),
  );
});

afterEach(() => vi.unstubAllGlobals());

const renderPage = (mode: "assets" | "pairs" = "assets") =>
  renderAt(
    `/projects/7/import/${mode === "pairs" ? "pairs" : "huggingface"}`,
    "/projects/:projectId/import/:what",
    <DatasetImportPage mode={mode} pollMs={5} />,
  );

describe("DatasetImportPage", () => {
  it("previews, pre-fills the mapping, starts the job and shows its progress and failed rows", async () => {
    const user = userEvent.setup();
    renderPage();
    await user.type(screen.getByLabelText("Dataset id or local path"), "lab/gens");
    await user.click(screen.getByRole("button", { name: "Preview" }));
    const heading = await screen.findByRole("heading", { name: "Map the columns" });
    expect(heading).toHaveFocus();
    expect(calls[0]).toMatchObject({ method: "POST", url: "/api/projects/7/imports/huggingface/preview/", body: { source: "lab/gens" } });
    expect(screen.getByText("10,000 rows", { exact: false })).toBeInTheDocument();
    const table = screen.getByRole("table", { name: "The first 2 rows" });
    expect(within(table).getByText("a cat 1")).toBeInTheDocument();
    expect(within(table).getAllByRole("img", { name: "image preview" })).toHaveLength(2);
    expect(screen.getByLabelText("Media")).toHaveValue("image");
    expect(screen.getByLabelText("Prompt")).toHaveValue("caption");
    expect(screen.getByRole("checkbox", { name: "seed" })).toBeChecked();
    expect(screen.getByLabelText("Split (optional)")).toHaveValue("train");

    await user.click(screen.getByRole("checkbox", { name: "model" }));
    await user.type(screen.getByLabelText("Row limit (optional)"), "500");
    await user.click(screen.getByRole("button", { name: "Start import" }));
    const start = calls.find((c) => c.url === "/api/projects/7/imports/huggingface/");
    expect(start?.body).toEqual({
      source: "lab/gens",
      config: "",
      split: "train",
      revision: "",
      limit: 500,
      mapping: { media: "image", prompt: "caption", prompt_required: false, metadata: ["seed"] },
    });
    expect(await screen.findByRole("heading", { name: "Import job 41: succeeded" })).toBeInTheDocument();
    expect(screen.getByRole("status")).toHaveTextContent("10,000 rows: 9,999 assets, 1 failed");
    const failures = screen.getByRole("table", { name: /Each failed row/ });
    expect(within(failures).getByText("row 17: not an image")).toBeInTheDocument();
  });

  it("shows the field the server refused", async () => {
    const user = userEvent.setup();
    previewAnswer = {
      status: 400,
      body: { detail: "outside", errors: { source: ["`/etc` is outside the folders imports may read (VR_IMPORT_ROOTS: /data)"] } },
    };
    renderPage();
    await user.type(screen.getByLabelText("Dataset id or local path"), "/etc");
    await user.click(screen.getByRole("button", { name: "Preview" }));
    const input = screen.getByLabelText("Dataset id or local path");
    await waitFor(() => expect(input).toHaveAttribute("aria-invalid", "true"));
    expect(input).toHaveAccessibleDescription(/outside the folders imports may read/);
    expect(screen.getByRole("alert")).toHaveTextContent("Some fields need attention.");
    expect(screen.queryByRole("heading", { name: "Map the columns" })).toBeNull();
  });

  it("maps a pair dataset's two media and its preference", async () => {
    const user = userEvent.setup();
    previewAnswer = { status: 200, body: PAIR_PREVIEW };
    startAnswer = { status: 400, body: { detail: "bad", errors: { "mapping.media_b": ["media A and media B must be two different columns"] } } };
    renderPage("pairs");
    expect(screen.getByRole("heading", { name: "Import rated pairs" })).toBeInTheDocument();
    await user.type(screen.getByLabelText("Dataset id or local path"), "yuvalkirstain/pickapic_v2");
    await user.click(screen.getByRole("button", { name: "Preview" }));
    await screen.findByRole("heading", { name: "Map the columns" });
    expect(screen.getByLabelText("Media A")).toHaveValue("jpg_0");
    expect(screen.getByLabelText("Preference")).toHaveValue("labels");
    expect(screen.getByLabelText("Preference column for B")).toHaveValue("label_1");
    await user.selectOptions(screen.getByLabelText("Media B"), "jpg_0");
    await user.click(screen.getByRole("checkbox", { name: /rate these pairs/ }));
    await user.click(screen.getByRole("button", { name: "Import rated pairs" }));
    const start = calls.find((c) => c.url === "/api/projects/7/imports/pairs/");
    expect(start?.body).toMatchObject({ rate_again: true, mapping: { media_a: "jpg_0", media_b: "jpg_0", preference: ["label_0", "label_1"] } });
    expect(await screen.findByLabelText("Media B")).toHaveAccessibleDescription("media A and media B must be two different columns");
  });

  it("has no axe violations with a preview shown", async () => {
    const user = userEvent.setup();
    const { container } = renderPage();
    await user.type(screen.getByLabelText("Dataset id or local path"), "lab/gens");
    await user.click(screen.getByRole("button", { name: "Preview" }));
    await screen.findByRole("heading", { name: "Map the columns" });
    const results = await axe.run(container, { rules: { "color-contrast": { enabled: false } } });
    expect(results.violations.filter((v) => v.impact === "serious" || v.impact === "critical")).toEqual([]);
  });
});
