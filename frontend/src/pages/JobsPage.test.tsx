import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import axe from "axe-core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import JobsPage from "./JobsPage";
import { renderAt } from "../test/render";
import type { DatasetVersion, JobDetail, JobSummary } from "../types";

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
  my_role: "researcher",
};

function summary(id: number, kind: string, state: JobSummary["state"], extra: Partial<JobSummary> = {}): JobSummary {
  const finished = state !== "queued" && state !== "running";
  return {
    id,
    kind,
    state,
    progress: finished ? 1 : 0,
    message: "",
    project: 7,
    created_by: "carol",
    queue: "default",
    attempts: 1,
    max_attempts: 3,
    cancel_requested: false,
    created_at: `2025-12-0${Math.min(9, id % 10)}T08:00:00Z`,
    dispatched_at: null,
    started_at: null,
    heartbeat_at: null,
    finished_at: finished ? "2025-12-01T08:05:00Z" : null,
    duration_seconds: finished ? 65 : null,
    ...extra,
  };
}

function detailOf(job: JobSummary, extra: Partial<JobDetail> = {}): JobDetail {
  return { ...job, params: {}, result: null, error: "", log: "", celery_task_id: null, ...extra };
}

// As worker/evaluating.py writes it: the model's per-question metrics and the weight set's
// preference accuracy, nested.
const EVAL_RESULT = {
  dataset_version: 5,
  dataset: "street-photos v4",
  split: "test",
  rows: 900,
  model: {
    name: "visionreward-qwen",
    answers: 1750,
    accuracy: 0.78,
    brier: 0.17,
    per_question: {
      q1: { answers: 900, accuracy: 0.8123, brier: 0.1312 },
      q2: { answers: 850, accuracy: 0.75, brier: null },
    },
  },
  weight_set: { id: 30, version: 1, human: { accuracy_tau: 0.64, accuracy_diff: 0.71, pairs: 250 } },
  seconds: 12.5,
};

function initialJobs(): JobSummary[] {
  return [
    summary(14, "finetune", "running", { progress: 0.42, message: "step 84 of 200", started_at: "2025-12-04T08:01:00Z" }),
    summary(13, "evaluate", "succeeded", { message: "Evaluated on 900 items." }),
    summary(12, "refit", "failed", { message: "Too few pairs.", created_by: null, attempts: 3 }),
    summary(11, "import", "cancelled"),
  ];
}

const version = (id: number, label: string) => ({ id, label, state: "ready" }) as unknown as DatasetVersion;
const VERSIONS = [version(5, "street-photos v4"), version(1, "street-photos v1")];
const MODELS = [
  { name: "visionreward-qwen", title: "VisionReward Qwen2-VL", source: "hf", queue: "gpu", device: "cuda", dtype: "bf16", enabled: true },
  { name: "tiny-test", title: "tiny-test", source: "local", queue: "cpu", device: "cpu", dtype: "fp32", enabled: true },
  { name: "old-model", title: "Old model", source: "hf", queue: "gpu", device: "cuda", dtype: "bf16", enabled: false },
];
const WEIGHT_SETS = [
  { id: 31, project: 7, version: 2, label: "more pairs", status: "candidate" },
  { id: 30, project: 7, version: 1, label: "first fit", status: "active" },
];

interface Call {
  method: string;
  url: string;
  body: unknown;
}

let calls: Call[];
let jobs: JobSummary[];
let details: Record<number, JobDetail>;
let cancelAnswer: { status: number; body: unknown } | null;
let retryAnswer: { status: number; body: unknown } | null;
let finetuneAnswer: { status: number; body: unknown };
let evaluateAnswer: { status: number; body: unknown };
let listStatus: number;

const json = (data: unknown, status = 200) =>
  new Response(JSON.stringify(data), { status, headers: { "Content-Type": "application/json" } });

beforeEach(() => {
  calls = [];
  jobs = initialJobs();
  details = {
    14: detailOf(jobs[0], {
      params: { dataset_version: 5, model: "visionreward-qwen", settings: { epochs: 1, learning_rate: 0.0002 } },
      log: "loading model\nstep 80 loss 0.41",
      celery_task_id: "abc-123",
    }),
    13: detailOf(jobs[1], {
      params: { dataset_version: 5, model: "visionreward-qwen" },
      result: EVAL_RESULT,
      log: "done",
      links: { dataset_version: "/api/dataset-versions/5/", weight_set: "/api/projects/7/weight-sets/30/" },
    }),
    12: detailOf(jobs[2], { error: "ValueError: fewer than 20 labelled pairs", log: "Traceback…" }),
    11: detailOf(jobs[3]),
  };
  cancelAnswer = null;
  retryAnswer = null;
  finetuneAnswer = { status: 202, body: summary(20, "finetune", "queued") };
  evaluateAnswer = { status: 202, body: summary(21, "evaluate", "queued") };
  listStatus = 200;
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      const method = init?.method ?? "GET";
      const body = init?.body ? JSON.parse(String(init.body)) : undefined;
      calls.push({ method, url, body });
      if (url === "/api/projects/7/") return json(PROJECT);
      if (url.startsWith("/api/jobs/?") && method === "GET") {
        if (listStatus !== 200) return json({ detail: "You may not see the jobs of this project." }, listStatus);
        const q = new URLSearchParams(url.split("?")[1]);
        const results = jobs.filter((j) => (!q.get("kind") || j.kind === q.get("kind")) && (!q.get("state") || j.state === q.get("state")));
        return json({ count: results.length, next: null, previous: null, results });
      }
      const one = url.match(/^\/api\/jobs\/(\d+)\/$/);
      if (one && method === "GET") {
        const id = Number(one[1]);
        const found = details[id] ?? (jobs.find((j) => j.id === id) && detailOf(jobs.find((j) => j.id === id)!));
        return found ? json(found) : json({ detail: "Not found." }, 404);
      }
      const action = url.match(/^\/api\/jobs\/(\d+)\/(cancel|retry)\/$/);
      if (action && method === "POST") {
        const answer = action[2] === "cancel" ? cancelAnswer : retryAnswer;
        if (answer) return json(answer.body, answer.status);
        const id = Number(action[1]);
        const next: JobSummary["state"] = action[2] === "cancel" ? "cancelled" : "queued";
        jobs = jobs.map((j) => (j.id === id ? { ...j, state: next, progress: 0, cancel_requested: action[2] === "cancel" } : j));
        details[id] = { ...details[id], ...jobs.find((j) => j.id === id)! };
        return json(details[id]);
      }
      if (url === "/api/dataset-versions/?state=ready&limit=100") return json({ count: 2, next: null, previous: null, results: VERSIONS });
      if (url === "/api/models/?limit=100") return json({ count: 3, next: null, previous: null, results: MODELS });
      if (url === "/api/projects/7/weight-sets/?limit=50") return json({ count: 2, next: null, previous: null, results: WEIGHT_SETS });
      if (url === "/api/finetune/" && method === "POST") {
        if (finetuneAnswer.status === 202) jobs = [finetuneAnswer.body as JobSummary, ...jobs];
        return json(finetuneAnswer.body, finetuneAnswer.status);
      }
      if (url === "/api/evaluate/" && method === "POST") {
        if (evaluateAnswer.status === 202) jobs = [evaluateAnswer.body as JobSummary, ...jobs];
        return json(evaluateAnswer.body, evaluateAnswer.status);
      }
      return json({ detail: `unexpected ${method} ${url}` }, 404);
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
});

const renderPage = (pollMs = 5) => renderAt("/projects/7/jobs", "/projects/:projectId/jobs", <JobsPage pollMs={pollMs} />);

async function ready(pollMs = 5) {
  const utils = renderPage(pollMs);
  await screen.findByRole("table", { name: /Jobs of this project/ });
  return utils;
}

const listGets = () => calls.filter((c) => c.method === "GET" && c.url.startsWith("/api/jobs/?"));
const posts = () => calls.filter((c) => c.method !== "GET");
const table = () => screen.getByRole("table", { name: /Jobs of this project/ });
const row = (id: number) => table().querySelector<HTMLElement>(`tr[data-job="${id}"]`)!;
const rowIds = () =>
  within(table())
    .getAllByRole("row")
    .slice(1)
    .map((r) => Number(r.getAttribute("data-job")));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const finishAll = () => {
  jobs = jobs.map((j) => (j.state === "running" || j.state === "queued" ? { ...j, state: "succeeded", progress: 1 } : j));
  for (const j of jobs) if (details[j.id]) details[j.id] = { ...details[j.id], state: j.state, progress: j.progress };
};

async function openForms(user: ReturnType<typeof userEvent.setup>) {
  await user.click(screen.getByRole("button", { name: "Start a research job" }));
  const finetune = await screen.findByTestId("finetune-form");
  await waitFor(() => expect(within(finetune).getByRole("option", { name: "street-photos v4" })).toBeInTheDocument());
  await waitFor(() => expect(within(finetune).getByRole("option", { name: /VisionReward Qwen2-VL/ })).toBeInTheDocument());
  const evaluate = screen.getByTestId("evaluate-form");
  await waitFor(() => expect(within(evaluate).getByRole("option", { name: /Version 1 \(first fit\), active/ })).toBeInTheDocument());
  return { finetune, evaluate };
}

describe("JobsPage", () => {
  it("lists the project's jobs newest first with state, progress, message, who, when and duration", async () => {
    await ready();
    expect(await screen.findByRole("heading", { level: 1, name: "Jobs: Street photos" })).toBeInTheDocument();
    expect(listGets()[0].url).toBe("/api/jobs/?project=7&limit=50&offset=0");
    expect(rowIds()).toEqual([14, 13, 12, 11]);
    const running = row(14);
    expect(within(running).getByRole("rowheader")).toHaveTextContent("#14");
    expect(running).toHaveTextContent("fine-tune");
    expect(within(running).getByText("running")).toHaveClass("badge", "job-running");
    expect(within(running).getByRole("progressbar", { name: "Progress of job #14" })).toHaveAttribute("aria-valuenow", "42");
    expect(running).toHaveTextContent("step 84 of 200");
    expect(running).toHaveTextContent("carol");
    expect(within(row(13)).queryByRole("progressbar")).toBeNull();
    expect(within(row(13)).getByText("succeeded")).toHaveClass("job-succeeded");
    expect(row(13)).toHaveTextContent("1 min 5 s");
    expect(row(12)).toHaveTextContent("system");
    expect(row(12)).toHaveTextContent("attempt 3 of 3");
    expect(within(row(11)).getByText("cancelled")).toHaveClass("job-cancelled");
  });

  it("filters by kind and by state", async () => {
    const user = userEvent.setup();
    await ready();
    await user.selectOptions(screen.getByLabelText("Kind"), "evaluate");
    await waitFor(() => expect(rowIds()).toEqual([13]));
    expect(listGets().at(-1)!.url).toBe("/api/jobs/?project=7&limit=50&offset=0&kind=evaluate");
    await user.selectOptions(screen.getByLabelText("State"), "failed");
    expect(await screen.findByTestId("no-jobs")).toHaveTextContent("No job matches.");
    expect(listGets().at(-1)!.url).toBe("/api/jobs/?project=7&limit=50&offset=0&kind=evaluate&state=failed");
    await user.selectOptions(screen.getByLabelText("Kind"), "");
    await waitFor(() => expect(rowIds()).toEqual([12]));
    expect(listGets().at(-1)!.url).toBe("/api/jobs/?project=7&limit=50&offset=0&state=failed");
  });

  it("polls while a job is unfinished and stops when none is", async () => {
    await ready();
    await waitFor(() => expect(listGets().length).toBeGreaterThan(3));
    expect(screen.getByTestId("polling")).toHaveTextContent("Live");
    jobs = jobs.map((j) => (j.id === 14 ? { ...j, progress: 0.9, message: "step 180 of 200" } : j));
    await waitFor(() => expect(within(row(14)).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "90"));
    finishAll();
    await waitFor(() => expect(within(row(14)).getByText("succeeded")).toBeInTheDocument());
    expect(within(row(14)).queryByRole("progressbar")).toBeNull();
    await sleep(20); // the last round's effects
    const seen = listGets().length;
    await sleep(60);
    expect(listGets().length).toBe(seen);
    expect(screen.getByTestId("polling")).toHaveTextContent("");
  });

  it("does not poll when every job has finished", async () => {
    finishAll();
    await ready();
    await sleep(60);
    expect(listGets()).toHaveLength(1);
    expect(calls.filter((c) => /^\/api\/jobs\/\d+\/$/.test(c.url))).toHaveLength(0);
  });

  it("shows a finished job's parameters, result, log and links", async () => {
    const user = userEvent.setup();
    finishAll();
    await ready();
    await user.click(within(row(13)).getByRole("button", { name: "#13" }));
    const detail = await screen.findByTestId("job-detail");
    expect(within(row(13)).getByRole("button", { name: "#13" })).toHaveAttribute("aria-pressed", "true");
    expect(within(detail).getByRole("heading", { level: 2, name: "Job #13: evaluate" })).toBeInTheDocument();
    // The result: scalars as a list, per-question accuracy as a table, the preference accuracy nested.
    const perQuestion = within(detail).getByRole("table", { name: "Per question" });
    expect(within(perQuestion).getAllByRole("columnheader").map((c) => c.textContent)).toEqual(["Key", "Answers", "Accuracy", "Brier"]);
    const q1 = within(perQuestion).getByRole("rowheader", { name: "q1" }).closest("tr")!;
    expect(within(q1).getAllByRole("cell").map((c) => c.textContent)).toEqual(["900", "0.8123", "0.1312"]);
    const q2 = within(perQuestion).getByRole("rowheader", { name: "q2" }).closest("tr")!;
    expect(within(q2).getAllByRole("cell").map((c) => c.textContent)).toEqual(["850", "0.75", "—"]);
    expect(detail).toHaveTextContent("Accuracy tau0.64");
    expect(detail).toHaveTextContent("Pairs250");
    expect(detail).toHaveTextContent("Namevisionreward-qwen");
    expect(detail).toHaveTextContent("Seconds12.5");
    await user.click(within(detail).getByText("Raw JSON of the result"));
    expect(within(detail).getByRole("region", { name: "Result, raw JSON" })).toHaveTextContent('"accuracy_tau": 0.64');
    // The log tail, scrollable and focusable.
    expect(within(detail).getByTestId("job-log")).toHaveTextContent("done");
    expect(within(detail).getByTestId("job-log")).toHaveAttribute("tabindex", "0");
    // Links: the API URLs, and where this app shows them.
    expect(within(detail).getByRole("link", { name: "Dataset version" })).toHaveAttribute("href", "/api/dataset-versions/5/");
    expect(within(detail).getByRole("link", { name: "Dataset version in Datasets" })).toHaveAttribute("href", "/datasets");
    expect(within(detail).getByRole("link", { name: "Weight set in Weights" })).toHaveAttribute("href", "/projects/7/weights");
    // No actions on a succeeded job.
    expect(within(detail).queryByRole("button", { name: /Cancel|Retry/ })).toBeNull();
    // Deselect.
    await user.click(within(row(13)).getByRole("button", { name: "#13" }));
    expect(screen.queryByTestId("job-detail")).toBeNull();
  });

  it("opens the job a link names (?job=13)", async () => {
    renderAt("/projects/7/jobs?job=13", "/projects/:projectId/jobs", <JobsPage pollMs={5} />);
    const detail = await screen.findByTestId("job-detail");
    expect(within(detail).getByRole("heading", { level: 2, name: "Job #13: evaluate" })).toBeInTheDocument();
  });

  it("refreshes a running job's log until it finishes", async () => {
    const user = userEvent.setup();
    await ready();
    await user.click(within(row(14)).getByRole("button", { name: "#14" }));
    const detail = await screen.findByTestId("job-detail");
    expect(within(detail).getByTestId("job-log")).toHaveTextContent("step 80 loss 0.41");
    expect(within(detail).getByText("None yet.")).toBeInTheDocument();
    expect(detail).toHaveTextContent("abc-123");
    details[14] = { ...details[14], log: `${details[14].log}\nstep 120 loss 0.33` };
    await waitFor(() => expect(within(detail).getByTestId("job-log")).toHaveTextContent("step 120 loss 0.33"));
    finishAll();
    details[14] = { ...details[14], result: { adapter: "models/ft-14", final_loss: 0.3 } };
    await waitFor(() => expect(within(screen.getByTestId("job-detail")).getByText("succeeded")).toBeInTheDocument());
    expect(screen.getByTestId("job-detail")).toHaveTextContent("Final loss0.3");
    await sleep(20); // the last round's effects (the list learns the job finished)
    const seen = calls.length;
    await sleep(60);
    expect(calls.length).toBe(seen);
  });

  it("cancels a running job after confirmation and announces it", async () => {
    const user = userEvent.setup();
    await ready();
    await user.click(within(row(14)).getByRole("button", { name: "#14" }));
    const detail = await screen.findByTestId("job-detail");
    // Dismissing the confirmation cancels nothing.
    await user.click(within(detail).getByRole("button", { name: "Cancel job #14" }));
    const dialog = screen.getByTestId("confirm-dialog");
    expect(within(dialog).getByRole("heading", { name: "Cancel job #14?" })).toBeInTheDocument();
    expect(within(dialog).getByRole("button", { name: "Keep it running" })).toHaveFocus();
    await user.click(within(dialog).getByRole("button", { name: "Keep it running" }));
    expect(screen.queryByTestId("confirm-dialog")).toBeNull();
    expect(posts()).toEqual([]);

    await user.click(within(screen.getByTestId("job-detail")).getByRole("button", { name: "Cancel job #14" }));
    await user.click(within(screen.getByTestId("confirm-dialog")).getByRole("button", { name: "Cancel the job" }));
    await waitFor(() => expect(screen.getByTestId("jobs-status")).toHaveTextContent("Job #14 is cancelled."));
    expect(posts().map((c) => `${c.method} ${c.url}`)).toEqual(["POST /api/jobs/14/cancel/"]);
    await waitFor(() => expect(within(row(14)).getByText("cancelled")).toBeInTheDocument());
    expect(within(screen.getByTestId("job-detail")).getByRole("button", { name: "Retry job #14" })).toBeInTheDocument();
  });

  it("says why a cancel was refused", async () => {
    const user = userEvent.setup();
    cancelAnswer = { status: 400, body: { detail: "The job has already finished." } };
    await ready();
    await user.click(within(row(14)).getByRole("button", { name: "#14" }));
    await user.click(within(await screen.findByTestId("job-detail")).getByRole("button", { name: "Cancel job #14" }));
    await user.click(within(screen.getByTestId("confirm-dialog")).getByRole("button", { name: "Cancel the job" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Job #14 cannot be cancelled: The job has already finished.");
  });

  it("retries a failed job, shows its error, and says when a retry is refused", async () => {
    const user = userEvent.setup();
    finishAll();
    await ready();
    await user.click(within(row(12)).getByRole("button", { name: "#12" }));
    const detail = await screen.findByTestId("job-detail");
    expect(within(detail).getByRole("region", { name: "Error" })).toHaveTextContent("ValueError: fewer than 20 labelled pairs");
    expect(within(detail).getByTestId("job-log")).toHaveTextContent("Traceback…");
    await user.click(within(detail).getByRole("button", { name: "Retry job #12" }));
    await waitFor(() => expect(screen.getByTestId("jobs-status")).toHaveTextContent("Job #12 is queued again."));
    expect(posts().map((c) => `${c.method} ${c.url}`)).toEqual(["POST /api/jobs/12/retry/"]);
    await waitFor(() => expect(within(row(12)).getByText("queued")).toBeInTheDocument());
    // Queued again: it can be cancelled now, and the page polls.
    expect(within(screen.getByTestId("job-detail")).getByRole("button", { name: "Cancel job #12" })).toBeInTheDocument();

    retryAnswer = { status: 400, body: { detail: "Only failed or cancelled jobs can be retried." } };
    await user.click(within(row(11)).getByRole("button", { name: "#11" }));
    await user.click(within(await screen.findByTestId("job-detail")).getByRole("button", { name: "Retry job #11" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Job #11 cannot be retried: Only failed or cancelled jobs can be retried.");
  });

  it("starts a fine-tune with exactly the chosen settings, then selects and follows its job", async () => {
    const user = userEvent.setup();
    finishAll();
    await ready();
    const { finetune } = await openForms(user);
    // Disabled models are not offered.
    expect(within(finetune).queryByRole("option", { name: /Old model/ })).toBeNull();
    expect(within(finetune).getByLabelText("Epochs")).toHaveValue(1);
    expect(within(finetune).getByLabelText("Learning rate")).toHaveValue(0.0002);
    await user.selectOptions(within(finetune).getByLabelText("Dataset version"), "5");
    await user.selectOptions(within(finetune).getByLabelText("Base model"), "visionreward-qwen");
    await user.type(within(finetune).getByLabelText("New model name"), "  street-ft-1 ");
    await user.clear(within(finetune).getByLabelText("Maximum steps"));
    await user.type(within(finetune).getByLabelText("Maximum steps"), "500");
    await user.click(within(finetune).getByRole("button", { name: "Start fine-tune" }));
    await waitFor(() => expect(posts()).toHaveLength(1));
    expect(posts()[0]).toEqual({
      method: "POST",
      url: "/api/finetune/",
      body: {
        dataset_version: 5,
        model: "visionreward-qwen",
        name: "street-ft-1",
        settings: { epochs: 1, max_steps: 500, learning_rate: 0.0002, batch_size: 8, lora_r: 8, lora_alpha: 16, lora_dropout: 0.05, seed: 0 },
      },
    });
    await waitFor(() => expect(screen.getByTestId("jobs-status")).toHaveTextContent("Fine-tune started as job #20"));
    const detail = await screen.findByTestId("job-detail");
    expect(within(detail).getByRole("heading", { name: "Job #20: fine-tune" })).toBeInTheDocument();
    await waitFor(() => expect(within(row(20)).getByRole("button", { name: "#20" })).toHaveAttribute("aria-pressed", "true"));
    // Followed: polled until it finishes.
    const polls = () => calls.filter((c) => c.url === "/api/jobs/20/").length;
    await waitFor(() => expect(polls()).toBeGreaterThan(2));
    finishAll();
    await waitFor(() => expect(within(screen.getByTestId("job-detail")).getByText("succeeded")).toBeInTheDocument());
  });

  it("shows the server's messages beside the fine-tune fields and checks its own", async () => {
    const user = userEvent.setup();
    finishAll();
    await ready();
    const { finetune } = await openForms(user);
    // Nothing chosen: said here, nothing sent.
    await user.clear(within(finetune).getByLabelText("LoRA dropout"));
    await user.type(within(finetune).getByLabelText("LoRA dropout"), "1.5");
    await user.click(within(finetune).getByRole("button", { name: "Start fine-tune" }));
    expect(within(finetune).getByRole("alert")).toHaveTextContent("Correct the marked fields.");
    expect(within(finetune).getByLabelText("Dataset version")).toHaveAccessibleDescription("Choose a dataset version.");
    expect(within(finetune).getByLabelText("LoRA dropout")).toHaveAccessibleDescription(/from 0 to less than 1/);
    expect(posts()).toEqual([]);

    await user.clear(within(finetune).getByLabelText("LoRA dropout"));
    await user.type(within(finetune).getByLabelText("LoRA dropout"), "0.1");
    await user.selectOptions(within(finetune).getByLabelText("Dataset version"), "1");
    await user.selectOptions(within(finetune).getByLabelText("Base model"), "tiny-test");
    finetuneAnswer = {
      status: 400,
      body: {
        detail: "The fine-tune cannot start.",
        errors: { model: ["tiny-test cannot be fine-tuned."], "settings.batch_size": ["Too large for the GPU."] },
      },
    };
    await user.click(within(finetune).getByRole("button", { name: "Start fine-tune" }));
    expect(await within(finetune).findByRole("alert")).toHaveTextContent("The fine-tune cannot start.");
    expect(within(finetune).getByLabelText("Base model")).toHaveAccessibleDescription("tiny-test cannot be fine-tuned.");
    expect(within(finetune).getByLabelText("Base model")).toHaveAttribute("aria-invalid", "true");
    expect(within(finetune).getByLabelText("Batch size")).toHaveAccessibleDescription("Too large for the GPU.");
    expect(within(finetune).getByLabelText("Dataset version")).not.toHaveAttribute("aria-invalid");
    expect(posts()[0].body).toEqual({
      dataset_version: 1,
      model: "tiny-test",
      settings: { epochs: 1, max_steps: 200, learning_rate: 0.0002, batch_size: 8, lora_r: 8, lora_alpha: 16, lora_dropout: 0.1, seed: 0 },
    });
  });

  it("evaluates a model and/or a weight set, at least one of them", async () => {
    const user = userEvent.setup();
    finishAll();
    await ready();
    const { evaluate } = await openForms(user);
    await user.selectOptions(within(evaluate).getByLabelText("Dataset version"), "5");
    await user.click(within(evaluate).getByRole("button", { name: "Start evaluation" }));
    expect(within(evaluate).getByRole("alert")).toHaveTextContent("Choose what to evaluate: a model, a weight set or both.");
    expect(within(evaluate).getByLabelText("Model")).toHaveAttribute("aria-invalid", "true");
    expect(within(evaluate).getByLabelText("Weight set")).toHaveAccessibleDescription(/Choose a weight set, a model or both/);
    expect(posts()).toEqual([]);

    // The server's messages beside their fields.
    await user.selectOptions(within(evaluate).getByLabelText("Weight set"), "30");
    evaluateAnswer = { status: 400, body: { detail: "Cannot evaluate.", errors: { weight_set: ["Weight set 30 has another checklist."] } } };
    await user.click(within(evaluate).getByRole("button", { name: "Start evaluation" }));
    expect(await within(evaluate).findByRole("alert")).toHaveTextContent("Cannot evaluate.");
    expect(within(evaluate).getByLabelText("Weight set")).toHaveAccessibleDescription(/Weight set 30 has another checklist\./);
    expect(within(evaluate).getByLabelText("Model")).not.toHaveAttribute("aria-invalid");
    expect(posts()[0]).toEqual({ method: "POST", url: "/api/evaluate/", body: { dataset_version: 5, weight_set: 30 } });

    // Both: sent as chosen; the job is selected.
    evaluateAnswer = { status: 202, body: summary(21, "evaluate", "queued") };
    await user.selectOptions(within(evaluate).getByLabelText("Model"), "visionreward-qwen");
    await user.click(within(evaluate).getByRole("button", { name: "Start evaluation" }));
    await waitFor(() => expect(posts()).toHaveLength(2));
    expect(posts()[1].body).toEqual({ dataset_version: 5, model: "visionreward-qwen", weight_set: 30 });
    await waitFor(() => expect(screen.getByTestId("jobs-status")).toHaveTextContent("Evaluation started as job #21"));
    expect(await within(await screen.findByTestId("job-detail")).findByRole("heading", { name: "Job #21: evaluate" })).toBeInTheDocument();

    // A model alone.
    await user.selectOptions(within(evaluate).getByLabelText("Weight set"), "");
    evaluateAnswer = { status: 202, body: summary(22, "evaluate", "queued") };
    await user.click(within(evaluate).getByRole("button", { name: "Start evaluation" }));
    await waitFor(() => expect(posts()).toHaveLength(3));
    expect(posts()[2].body).toEqual({ dataset_version: 5, model: "visionreward-qwen" });
  });

  it("shows the server's refusal instead of the page", async () => {
    listStatus = 403;
    renderPage();
    expect(await screen.findByRole("alert")).toHaveTextContent("You may not see the jobs of this project.");
    expect(screen.queryByRole("button", { name: "Start a research job" })).toBeNull();
  });

  it("has no axe violations", async () => {
    const user = userEvent.setup();
    finishAll();
    const { container } = await ready();
    const check = async () => {
      const results = await axe.run(container, { rules: { "color-contrast": { enabled: false } } });
      return results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    };
    expect(await check()).toEqual([]);
    await openForms(user);
    await user.click(within(row(13)).getByRole("button", { name: "#13" }));
    await screen.findByTestId("job-detail");
    await user.click(screen.getByText("Raw JSON of the result"));
    expect(await check()).toEqual([]);
    // With field errors and a running job's detail.
    await user.click(within(screen.getByTestId("evaluate-form")).getByRole("button", { name: "Start evaluation" }));
    await user.click(within(row(12)).getByRole("button", { name: "#12" }));
    await screen.findByRole("heading", { name: "Job #12: refit" });
    expect(await check()).toEqual([]);
  });
});
