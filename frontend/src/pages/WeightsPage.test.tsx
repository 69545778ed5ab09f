import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import axe from "axe-core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import WeightsPage from "./WeightsPage";
import { renderAt } from "../test/render";
import type { AssetScore, Job, RefitPolicy, RefitReadiness, ScoreBreakdown, WeightSet } from "../types";

const PROJECT = {
  id: 7,
  name: "Street photos batch 1",
  description: "",
  instructions: "",
  media_type: "image",
  checklist_version: 3,
  overlap: 3,
  lease_seconds: 600,
  archived: false,
  my_role: "manager",
};

const QUESTIONS = {
  q1: { text: "Is the image very clear?", sub_dimension: "clarity" },
  q2: { text: "Is the image clear?", sub_dimension: "clarity" },
  q3: { text: "Is the lighting distinct?", sub_dimension: "lighting" },
  q6: { text: "Is there a clear subject?", sub_dimension: "subject" },
} as const;

function weightSet(
  id: number,
  status: WeightSet["status"],
  weights: Record<keyof typeof QUESTIONS, number>,
  extra: Partial<WeightSet> = {},
): WeightSet {
  const q = (key: keyof typeof QUESTIONS) => ({ key, ...QUESTIONS[key], weight: weights[key] });
  return {
    id,
    project: 7,
    version: id,
    label: "",
    status,
    source: "fitted",
    checklist_version: 3,
    encoding: "signed",
    normalization: "sum",
    intercept: 0,
    coefficients: weights,
    extra: {},
    dimensions: [
      { key: "quality", title: "Quality", total_weight: weights.q1 + weights.q2 + weights.q3, contribution: 0.7, questions: [q("q1"), q("q2"), q("q3")] },
      { key: "content", title: "Content", total_weight: weights.q6, contribution: 0.3, questions: [q("q6")] },
    ],
    fit_settings: { features: "human", solver: "newton", l2: 0.0001, l1: 0, test_fraction: 0.2, seed: 0 },
    data_counts: { pairs: 1200, train_pairs: 960, test_pairs: 240, ties: 30, pairs_without_answers: 4 },
    metrics: {},
    decision: "",
    created_by: "carol",
    created_at: "2025-11-20T08:00:00Z",
    promoted_at: null,
    promoted_by: null,
    job: null,
    ...extra,
  };
}

function initialSets(): WeightSet[] {
  return [
    weightSet(
      4,
      "candidate",
      { q1: 0.28, q2: 0.15, q3: 0.02, q6: 0.25 },
      {
        label: "more pairs",
        job: 30,
        metrics: {
          test: { accuracy_diff: 0.71, accuracy_tau: 0.64, tie_threshold: 0.01, pairs: 250, ties: 10, log_loss: 0.56 },
          compared_with: { weight_set: 3, version: 3, accuracy_diff: 0.7234, accuracy_tau: 0.6512 },
        },
        decision: "Not promoted: 71.0% is below the active version 3's 72.3%.",
      },
    ),
    weightSet(
      3,
      "active",
      { q1: 0.31, q2: 0.12, q3: -0.05, q6: 0.2 },
      {
        label: "first fit",
        extra: { alignment: 2.35 },
        metrics: {
          test: { accuracy_diff: 0.7234, accuracy_tau: 0.6512, tie_threshold: 0.01, pairs: 240, ties: 12, log_loss: 0.55 },
          train: { accuracy_diff: 0.75, accuracy_tau: 0.7, tie_threshold: 0.01, pairs: 960, ties: 40, log_loss: 0.5 },
          compared_with: { weight_set: 2, version: 2, accuracy_diff: 0.69, accuracy_tau: 0.6 },
          dimension_accuracy: { quality: 0.66, content: null },
        },
        decision: "Promoted: beats version 2 by 3.3 points on 240 held-out pairs.",
        promoted_at: "2025-11-21T08:00:00Z",
        promoted_by: "carol",
      },
    ),
    weightSet(2, "retired", { q1: 0.2, q2: 0.2, q3: 0.1, q6: 0.1 }, { source: "public", label: "VisionReward published", created_by: null }),
  ];
}

const score = (id: number, total: number, quality: number, content: number): AssetScore => ({
  asset: { id, prompt: `street scene ${id}`, kind: "image", thumbnail: `/media/${id}/thumb.jpg` },
  total,
  dimensions: { quality, content },
  source: "human",
  computed_at: "2025-11-21T09:00:00Z",
});
const SCORES = [score(101, 1.234, 0.9, 0.334), score(102, 0.5, 0.3, 0.2), score(103, -0.4, -0.5, 0.1)];

const BREAKDOWN: ScoreBreakdown = {
  asset: SCORES[0].asset,
  weight_set: { id: 3, version: 3, label: "first fit" },
  total: 1.234,
  source: "human",
  intercept: 0,
  dimensions: [
    {
      key: "quality",
      title: "Quality",
      score: 0.9,
      questions: [
        { key: "q1", text: "Is the image very clear?", value: 1, weight: 0.31, contribution: 0.31 },
        { key: "q3", text: "Is the lighting distinct?", value: -1, weight: -0.05, contribution: 0.05 },
      ],
    },
    { key: "content", title: "Content", score: 0.334, questions: [{ key: "q6", text: "Is there a clear subject?", value: 0.5, weight: 0.2, contribution: 0.1 }] },
  ],
  extra: [{ name: "alignment", value: 0.7, weight: 2.35, contribution: 1.645 }],
};

interface Call {
  method: string;
  url: string;
  body: unknown;
}

let calls: Call[];
let sets: WeightSet[];
let policy: RefitPolicy;
let job: Job;
/** Answers to POST /refit/: the job, or an error body with its status. */
let refitAnswer: { status: number; body: unknown };
let publicAnswer: { status: number; body: unknown };
let jobList: Job[];
let setsStatus: number;
let readiness: RefitReadiness;

const READY: RefitReadiness = {
  rated_pairs: 1200,
  usable_pairs: 1196,
  decisive_pairs: 1150,
  prompts: 60,
  train_pairs: 956,
  train_decisive: 920,
  held_out_pairs: 240,
  held_out_decisive: 230,
  held_out_prompts: 12,
  min_pairs: 10,
  test_fraction: 0.2,
  can_start: true,
  can_measure: true,
  reasons: [],
  warnings: [],
};

const json = (data: unknown, status = 200) =>
  new Response(JSON.stringify(data), { status, headers: { "Content-Type": "application/json" } });

const activeRef = () => {
  const a = sets.find((s) => s.status === "active");
  return a ? { id: a.id, version: a.version, label: a.label } : null;
};

beforeEach(() => {
  calls = [];
  sets = initialSets();
  policy = {
    enabled: false,
    min_new_pairs: 200,
    settings: { features: "human", l2: 0.01 },
    new_pairs: 14,
    last_fit_at: "2025-11-20T08:00:00Z",
  };
  job = { id: 31, kind: "refit", state: "queued", progress: 0, message: "", created_at: "2025-11-25T08:00:00Z", project: 7 };
  refitAnswer = { status: 202, body: job };
  publicAnswer = { status: 201, body: null };
  jobList = [];
  setsStatus = 200;
  readiness = READY;
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      const method = init?.method ?? "GET";
      const body = init?.body ? JSON.parse(String(init.body)) : undefined;
      calls.push({ method, url, body });
      if (url === "/api/projects/7/") return json(PROJECT);
      if (url === "/api/projects/7/weight-sets/?limit=50" && method === "GET") {
        if (setsStatus !== 200) return json({ detail: "You may not see the weights of this project." }, setsStatus);
        return json({ count: sets.length, next: null, previous: null, results: sets });
      }
      if (url === "/api/projects/7/weight-sets/" && method === "POST") {
        if (publicAnswer.status === 200) return json({ ...sets[0], message: "These weights are already version 4 (candidate); no new version was made." });
        if (publicAnswer.status !== 201) return json(publicAnswer.body, publicAnswer.status);
        const created = weightSet(5, "candidate", { q1: 0.2, q2: 0.2, q3: 0.1, q6: 0.1 }, { source: "public", label: "VisionReward published" });
        sets = [created, ...sets];
        return json(created, 201);
      }
      const action = url.match(/^\/api\/projects\/7\/weight-sets\/(\d+)\/(promote|retire)\/$/);
      if (action && method === "POST") {
        const id = Number(action[1]);
        sets = sets.map((s) => {
          if (s.id === id) return { ...s, status: action[2] === "promote" ? "active" : "retired" };
          if (action[2] === "promote" && s.status === "active") return { ...s, status: "retired" };
          return s;
        });
        return json(sets.find((s) => s.id === id));
      }
      if (url === "/api/projects/7/refit/" && method === "POST") return json(refitAnswer.body, refitAnswer.status);
      if (url.startsWith("/api/projects/7/refit/readiness/?")) return json(readiness);
      if (url === "/api/jobs/31/") return json(job);
      if (url === "/api/jobs/?project=7&limit=50") return json({ count: jobList.length, next: null, previous: null, results: jobList });
      if (url === "/api/projects/7/refit-policy/") {
        if (method === "PUT") {
          policy = { ...policy, ...(body as RefitPolicy) };
          return json(policy);
        }
        return json(policy);
      }
      const scores = url.match(/^\/api\/projects\/7\/scores\/\?limit=25&offset=(\d+)&ordering=(-?total)$/);
      if (scores) {
        const ref = activeRef();
        if (!ref) return json({ count: 0, next: null, previous: null, results: [], weight_set: null });
        const rows = scores[2] === "total" ? [...SCORES].reverse() : SCORES;
        return json({ count: 60, next: "/next", previous: Number(scores[1]) ? "/prev" : null, results: rows, weight_set: ref });
      }
      if (url === "/api/projects/7/assets/101/score/") return json(BREAKDOWN);
      if (url === "/api/projects/7/assets/102/score/") return json({ detail: "Not found." }, 404);
      return json({ detail: `unexpected ${method} ${url}` }, 404);
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
});

function renderPage() {
  return renderAt("/projects/7/weights", "/projects/:projectId/weights", <WeightsPage pollMs={5} />);
}

async function ready() {
  const utils = renderPage();
  await screen.findByRole("heading", { level: 2, name: "Active weights" });
  await screen.findByText("Ready to refit");
  await screen.findByText(/new labelled pairs since the last fit/);
  return utils;
}

/** Show one of the page's tabs (by click, as a user). */
async function openTab(user: ReturnType<typeof userEvent.setup>, name: string) {
  await user.click(screen.getByRole("tab", { name }));
  return screen.getByRole("tabpanel", { name });
}

const gets = (url: string) => calls.filter((c) => c.method === "GET" && c.url === url).length;
const posts = () => calls.filter((c) => c.method !== "GET");
const historyTable = () => screen.getByRole("table", { name: /Weight sets of this project/ });
const historyRow = (version: number) => historyTable().querySelector<HTMLElement>(`tr[data-version="${version}"]`)!;
const scoreOrder = () =>
  within(screen.getByRole("table", { name: /Assets by total score/ }))
    .getAllByRole("row")
    .slice(1)
    .map((r) => r.getAttribute("data-asset"));

describe("WeightsPage", () => {
  it("shows the active weights by dimension with the held-out accuracy", async () => {
    const user = userEvent.setup();
    await ready();
    expect(await screen.findByRole("heading", { level: 1, name: "Weights: Street photos batch 1" })).toBeInTheDocument();
    const activeSection = screen.getByRole("region", { name: "Active weights" });
    expect(within(activeSection).getByTestId("active-summary")).toHaveTextContent("Version 3 (first fit), fitted");
    expect(within(activeSection).getByTestId("accuracy-diff")).toHaveTextContent("72.3%");
    expect(within(activeSection).getByTestId("accuracy-tau")).toHaveTextContent("65.1%");
    expect(within(activeSection).getAllByText(/on 240 pairs, 12 tied/)).toHaveLength(2);
    expect(within(activeSection).getByTestId("compared-diff")).toHaveTextContent("69.0%");

    // One chart per dimension; the SVG summarises, each bar's title has the question's text.
    const quality = within(activeSection).getByRole("img", { name: /^Quality weights, Version 3 \(first fit\), active: 3 questions/ });
    expect(quality).toHaveAccessibleName(/from −0\.050 \(Is the lighting distinct\?\) to 0\.310 \(Is the image very clear\?\)/);
    expect(within(activeSection).getByRole("img", { name: /^Content weights.*: 1 question,/ })).toBeInTheDocument();
    expect([...quality.querySelectorAll("rect title")].map((t) => t.textContent)).toEqual([
      "Is the image very clear? (Version 3 (first fit), active): 0.310",
      "Is the image clear? (Version 3 (first fit), active): 0.120",
      "Is the lighting distinct? (Version 3 (first fit), active): −0.050",
    ]);
    expect(within(activeSection).getByText(/total weight 0\.380, 70\.0% of the score/)).toBeInTheDocument();

    // The same numbers as a table.
    await user.click(within(activeSection).getByRole("button", { name: "Show data for Quality weights, Version 3 (first fit), active" }));
    const table = within(activeSection).getByRole("table", { name: /Quality weights/ });
    const row = within(table).getByRole("rowheader", { name: "Is the lighting distinct?" }).closest("tr")!;
    expect(within(row).getAllByRole("cell").map((c) => c.textContent)).toEqual(["Lighting", "−0.050"]);

    // How it was made: fit settings, data counts and the extra feature's weight.
    const facts = within(activeSection).getByText("How version 3 was made").closest("details")!;
    expect(facts).toHaveTextContent("Pairs without answers4");
    expect(facts).toHaveTextContent("Alignment weight2.350");
    expect(facts).toHaveTextContent("Test fraction0.2");
  });

  it("lists every weight set with its status, accuracy, decision and the actions it allows", async () => {
    const user = userEvent.setup();
    await ready();
    await openTab(user, "History");
    const rows = within(historyTable()).getAllByRole("row").slice(1);
    expect(rows.map((r) => r.getAttribute("data-version"))).toEqual(["4", "3", "2"]);
    const v4 = historyRow(4);
    expect(within(v4).getByRole("rowheader")).toHaveTextContent("Version 4");
    expect(v4).toHaveTextContent("more pairs");
    expect(within(v4).getByText("candidate")).toHaveClass("badge", "status-candidate");
    expect(within(v4).getByTestId("held-out")).toHaveTextContent("71.0% / 64.0%");
    expect(v4).toHaveTextContent("v3: 72.3%");
    expect(v4).toHaveTextContent("1,200 (240 held out)");
    expect(v4).toHaveTextContent("by carol");
    expect(v4).toHaveTextContent("Not promoted: 71.0% is below the active version 3's 72.3%.");
    const buttons = (version: number) =>
      within(historyRow(version))
        .getAllByRole("button")
        .map((b) => b.textContent);
    expect(buttons(4)).toEqual(["Version 4", "Promote version 4", "Retire version 4"]);
    expect(buttons(3)).toEqual(["Version 3", "Retire version 3"]);
    expect(buttons(2)).toEqual(["Version 2", "Promote version 2"]);
    expect(within(historyRow(2)).getByTestId("held-out")).toHaveTextContent("—");
    expect(historyRow(2)).toHaveTextContent("public");
  });

  it("shows a selected set's weights against the active ones", async () => {
    const user = userEvent.setup();
    await ready();
    await openTab(user, "History");
    expect(screen.queryByTestId("selected-set")).toBeNull();
    await user.click(within(historyRow(4)).getByText("more pairs"));
    const selected = screen.getByTestId("selected-set");
    expect(within(historyRow(4)).getByRole("button", { name: "Version 4" })).toHaveAttribute("aria-pressed", "true");
    expect(selected).toHaveTextContent("Version 4 (more pairs)");
    expect(selected).toHaveTextContent("against Version 3 (first fit), active");
    const chart = within(selected).getByRole("img", { name: /^Quality weights, Version 4 \(more pairs\) against Version 3/ });
    // Two bars per question: the active set's, then the selected one's.
    expect(chart.querySelectorAll("rect.series-0")).toHaveLength(3);
    expect(chart.querySelectorAll("rect.series-1")).toHaveLength(3);
    await user.click(within(selected).getByRole("button", { name: /Show data for Quality weights, Version 4/ }));
    const table = within(selected).getByRole("table", { name: /Quality weights, Version 4/ });
    expect(within(table).getAllByRole("columnheader").map((c) => c.textContent)).toEqual([
      "Question",
      "Sub-dimension",
      "Version 3 (first fit), active",
      "Version 4 (more pairs)",
      "Change",
    ]);
    const q3 = within(table).getByRole("rowheader", { name: "Is the lighting distinct?" }).closest("tr")!;
    expect(within(q3).getAllByRole("cell").map((c) => c.textContent)).toEqual(["Lighting", "−0.050", "0.020", "+0.070"]);

    // Selecting it again hides it.
    await user.click(within(historyRow(4)).getByRole("button", { name: "Version 4" }));
    expect(screen.queryByTestId("selected-set")).toBeNull();
  });

  it("asks before promoting, then promotes and reloads the sets and the scores", async () => {
    const user = userEvent.setup();
    await ready();
    await openTab(user, "History");

    const promote = within(historyRow(4)).getByRole("button", { name: "Promote version 4" });
    await user.click(promote);
    let dialog = screen.getByRole("dialog", { name: "Promote version 4?" });
    expect(dialog).toHaveTextContent("Scores of all assets will be recomputed.");
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus();
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(promote).toHaveFocus();
    expect(posts()).toEqual([]);

    await user.click(promote);
    dialog = screen.getByRole("dialog", { name: "Promote version 4?" });
    await user.click(within(dialog).getByRole("button", { name: "Promote" }));
    expect(screen.queryByRole("dialog")).toBeNull();
    await waitFor(() => expect(posts().map((c) => c.url)).toEqual(["/api/projects/7/weight-sets/4/promote/"]));
    expect(await screen.findByText("Version 4 is now active; the scores of all assets are being recomputed.")).toBeInTheDocument();
    // the summary strip names the new active set at once
    await waitFor(() => expect(screen.getByTestId("glance-active")).toHaveTextContent("Version 4 (more pairs)"));
    expect(gets("/api/projects/7/weight-sets/?limit=50")).toBe(2);
    expect(within(historyRow(3)).getByText("retired")).toBeInTheDocument();
    expect(within(historyRow(4)).queryByRole("button", { name: /Promote/ })).toBeNull();
    await openTab(user, "Active weights");
    expect(screen.getByTestId("active-summary")).toHaveTextContent("Version 4 (more pairs)");
    // the scores are read again, under the new set
    const before = calls.length;
    await openTab(user, "Scores");
    await waitFor(() =>
      expect(calls.slice(before).map((c) => c.url)).toContain("/api/projects/7/scores/?limit=25&offset=0&ordering=-total"),
    );
  });

  it("retires a candidate at once and asks before retiring the active set", async () => {
    const user = userEvent.setup();
    await ready();
    await openTab(user, "History");
    await user.click(within(historyRow(4)).getByRole("button", { name: "Retire version 4" }));
    await waitFor(() => expect(posts().map((c) => c.url)).toEqual(["/api/projects/7/weight-sets/4/retire/"]));
    expect(await screen.findByText("Version 4 is retired.")).toBeInTheDocument();

    await user.click(within(historyRow(3)).getByRole("button", { name: "Retire version 3" }));
    const dialog = screen.getByRole("dialog", { name: "Retire version 3?" });
    await user.keyboard("{Escape}");
    expect(dialog).not.toBeInTheDocument();
    expect(posts()).toHaveLength(1);
  });

  it("starts a refit with the settings, follows its job and reloads the weight sets", async () => {
    const user = userEvent.setup();
    await ready();
    const section = screen.getByRole("region", { name: "Refit" });
    const fit = await openTab(user, "Fit settings");
    // The saved policy's settings fill the form; the rest are the defaults.
    expect(within(fit).getByLabelText("L2 penalty")).toHaveValue(0.01);
    expect(within(fit).getByLabelText("L1 penalty")).toHaveValue(0);
    expect(within(fit).getByLabelText("Held-out fraction")).toHaveValue(0.2);
    expect(within(fit).getByLabelText("Seed")).toHaveValue(0);
    expect(within(fit).getByLabelText("Solver")).toHaveValue("newton");
    expect(within(fit).getByLabelText("Encoding")).toHaveValue("signed");
    expect(within(fit).getByLabelText("Promote the result")).toHaveValue("if_better");

    await user.selectOptions(within(fit).getByLabelText("Answers"), "model");
    await user.clear(within(fit).getByLabelText("L2 penalty"));
    await user.type(within(fit).getByLabelText("L2 penalty"), "0.001");
    await user.selectOptions(within(fit).getByLabelText("Promote the result"), "never");
    // the one Start refit of the page, in the summary strip
    expect(screen.getAllByRole("button", { name: "Start refit" })).toHaveLength(1);
    await user.click(within(section).getByRole("button", { name: "Start refit" }));

    await waitFor(() => expect(posts()).toHaveLength(1));
    expect(posts()[0]).toEqual({
      method: "POST",
      url: "/api/projects/7/refit/",
      body: { features: "model", solver: "newton", l2: 0.001, l1: 0, test_fraction: 0.2, seed: 0, encoding: "signed", promote: "never" },
    });
    // Queued, then running: the progress bar follows the job.
    const bar = await within(section).findByRole("progressbar", { name: "Refit progress" });
    expect(bar).toHaveAttribute("aria-valuenow", "0");
    expect(within(section).getByRole("button", { name: "Refitting…" })).toBeDisabled();
    job = { ...job, state: "running", progress: 0.5, message: "Fitting on 960 pairs" };
    await waitFor(() => expect(within(section).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "50"));
    expect(within(section).getByText(/Fitting on 960 pairs/)).toBeInTheDocument();
    expect(gets("/api/jobs/31/")).toBeGreaterThan(0);

    // Done: the new set is in the history, selected, and the outcome says what became of it.
    sets = [
      weightSet(5, "candidate", { q1: 0.3, q2: 0.1, q3: 0.0, q6: 0.3 }, {
        job: 31,
        metrics: { test: { accuracy_diff: 0.705, accuracy_tau: 0.63, pairs: 240, ties: 9 } },
        decision: "Not promoted: promote was never.",
      }),
      ...sets,
    ];
    const setLoads = gets("/api/projects/7/weight-sets/?limit=50");
    job = { ...job, state: "succeeded", progress: 1, message: "Fitted on 960 pairs, tested on 240" };
    const outcome = await within(section).findByTestId("refit-outcome");
    expect(outcome).toHaveTextContent("Refit finished: Fitted on 960 pairs, tested on 240");
    await waitFor(() => expect(outcome).toHaveTextContent("Version 5 is candidate, held-out accuracy 70.5%. Not promoted: promote was never."));
    expect(within(section).queryByRole("progressbar")).toBeNull();
    expect(gets("/api/projects/7/weight-sets/?limit=50")).toBe(setLoads + 1);
    await openTab(user, "History");
    expect(historyRow(5)).toBeInTheDocument();
    expect(screen.getByTestId("selected-set")).toHaveTextContent("Version 5");
    // No more polling once it has finished.
    const polls = gets("/api/jobs/31/");
    await act(() => new Promise((r) => setTimeout(r, 30)));
    expect(gets("/api/jobs/31/")).toBe(polls);
    expect(within(section).getByRole("button", { name: "Start refit" })).toBeEnabled();
  });

  it("follows a refit that is already running", async () => {
    job = { ...job, state: "running", progress: 0.3, message: "Fitting" };
    jobList = [{ ...job, id: 29, kind: "import", state: "running" }, job];
    renderPage();
    const section = await screen.findByRole("region", { name: "Refit" });
    expect(await within(section).findByRole("progressbar", { name: "Refit progress" })).toHaveAttribute("aria-valuenow", "30");
    expect(within(section).getByRole("button", { name: "Refitting…" })).toBeDisabled();
    job = { ...job, state: "cancelled" };
    expect(await within(section).findByTestId("refit-outcome")).toHaveTextContent("The refit (job #31) was cancelled.");
    expect(posts()).toEqual([]);
  });

  it("shows why a refit failed", async () => {
    const user = userEvent.setup();
    await ready();
    const section = screen.getByRole("region", { name: "Refit" });
    await user.click(within(section).getByRole("button", { name: "Start refit" }));
    await within(section).findByRole("progressbar");
    job = { ...job, state: "failed", progress: 0.2, message: "", error: "Only 3 labelled pairs: at least 20 are needed" };
    expect(await within(section).findByRole("alert")).toHaveTextContent(
      "The refit failed: Only 3 labelled pairs: at least 20 are needed.",
    );
  });

  it("shows the server's field message when it refuses the settings", async () => {
    const user = userEvent.setup();
    refitAnswer = { status: 400, body: { test_fraction: ["Ensure this value is less than or equal to 0.5."] } };
    await ready();
    const section = screen.getByRole("region", { name: "Refit" });
    const fit = await openTab(user, "Fit settings");
    const fraction = within(fit).getByLabelText("Held-out fraction");
    await user.clear(fraction);
    await user.type(fraction, "0.8");
    await user.click(within(section).getByRole("button", { name: "Start refit" }));
    expect(await within(section).findByRole("alert")).toHaveTextContent("test_fraction: Ensure this value is less than or equal to 0.5.");
    expect(fraction).toHaveAttribute("aria-invalid", "true");
    expect(fraction).toHaveAccessibleDescription(/Ensure this value is less than or equal to 0\.5\./);
    expect(within(section).queryByRole("progressbar")).toBeNull();
    expect(gets("/api/jobs/31/")).toBe(0);

    // The API's usual shape ({detail, errors}) works the same.
    refitAnswer = { status: 400, body: { detail: "seed: A valid integer is required.", errors: { seed: ["A valid integer is required."] } } };
    await user.click(within(section).getByRole("button", { name: "Start refit" }));
    expect(await within(section).findByText("seed: A valid integer is required.")).toHaveAttribute("role", "alert");
    expect(within(fit).getByLabelText("Seed")).toHaveAccessibleDescription(/A valid integer is required\./);
    expect(fraction).not.toHaveAttribute("aria-invalid");
  });

  it("checks the numbers before sending them", async () => {
    const user = userEvent.setup();
    await ready();
    const section = screen.getByRole("region", { name: "Refit" });
    let fit = await openTab(user, "Fit settings");
    await user.clear(within(fit).getByLabelText("L1 penalty"));
    await openTab(user, "Scores");
    await user.click(within(section).getByRole("button", { name: "Start refit" }));
    // the settings tab comes back to show what to correct
    fit = screen.getByRole("tabpanel", { name: "Fit settings" });
    expect(within(fit).getByLabelText("L1 penalty")).toHaveAccessibleDescription("Enter a number.");
    expect(screen.getByRole("alert")).toHaveTextContent("Correct the fit settings first.");
    expect(posts()).toEqual([]);
  });

  it("saves the refit policy with the fit settings", async () => {
    const user = userEvent.setup();
    await ready();
    await openTab(user, "Fit settings");
    const form = screen.getByRole("form", { name: "Automatic refits" });
    expect(within(form).getByTestId("new-pairs")).toHaveTextContent("14 new labelled pairs since the last fit");
    expect(within(form).getByLabelText("Refit automatically")).not.toBeChecked();
    expect(within(form).getByLabelText("Minimum new labelled pairs")).toHaveValue(200);
    await user.click(within(form).getByLabelText("Refit automatically"));
    await user.clear(within(form).getByLabelText("Minimum new labelled pairs"));
    await user.type(within(form).getByLabelText("Minimum new labelled pairs"), "50");
    await user.click(within(form).getByRole("button", { name: "Save policy" }));
    await waitFor(() => expect(posts()).toHaveLength(1));
    expect(posts()[0]).toEqual({
      method: "PUT",
      url: "/api/projects/7/refit-policy/",
      body: {
        enabled: true,
        min_new_pairs: 50,
        settings: { features: "human", solver: "newton", l2: 0.01, l1: 0, test_fraction: 0.2, seed: 0, encoding: "signed", promote: "if_better" },
      },
    });
    expect(await within(form).findByText("Saved: refit after 50 new labelled pairs.")).toBeInTheDocument();
  });

  it("without an active set explains it and offers the published weights", async () => {
    const user = userEvent.setup();
    sets = [];
    renderPage();
    const none = await screen.findByTestId("no-active");
    expect(none).toHaveTextContent("No weight set is active, so the assets have no scores.");
    // one refit button on the page, in the summary strip, not a second one here
    expect(within(none).queryByRole("button", { name: /refit/i })).toBeNull();
    expect(screen.getAllByRole("button", { name: /refit/i })).toHaveLength(1);
    expect(screen.getByTestId("glance-active")).toHaveTextContent("None: the assets have no scores.");
    await openTab(user, "Scores");
    expect(await screen.findByTestId("no-scores")).toHaveTextContent("No weight set is active");
    expect(screen.queryByRole("table", { name: /Assets by total score/ })).toBeNull();
    await openTab(user, "History");
    expect(screen.getByText("No weight sets yet.")).toBeInTheDocument();
    await openTab(user, "Active weights");
    const again = screen.getByTestId("no-active");

    await user.click(within(again).getByRole("button", { name: "Load the published VisionReward weights" }));
    await waitFor(() => expect(posts()).toEqual([{ method: "POST", url: "/api/projects/7/weight-sets/", body: { source: "public" } }]));
    expect(
      await screen.findByText("The published VisionReward weights were added as version 5 (candidate). Promote it to score the assets."),
    ).toBeInTheDocument();
    // the new candidate is shown under History, selected
    await waitFor(() => expect(screen.getByRole("tab", { name: "History" })).toHaveAttribute("aria-selected", "true"));
    expect(historyRow(5)).toHaveTextContent("public");
    expect(screen.getByTestId("selected-set")).toHaveTextContent("Version 5 (VisionReward published)");
  });

  it("loading the same published weights again names the existing version instead of adding one", async () => {
    const user = userEvent.setup();
    sets = [];
    publicAnswer = { status: 200, body: null };
    sets = initialSets();
    sets = sets.filter((s) => s.status !== "active");
    renderPage();
    await user.click(await screen.findByRole("button", { name: "Load the published VisionReward weights" }));
    expect(
      await screen.findByText("These weights are already version 4 (candidate); no new version was made. It is selected under History."),
    ).toBeInTheDocument();
    expect(await screen.findByTestId("selected-set")).toHaveTextContent("Version 4");
  });

  it("says why the published weights cannot be loaded", async () => {
    const user = userEvent.setup();
    sets = [];
    publicAnswer = { status: 400, body: { source: ["This project's checklist is not a VisionReward built-in."] } };
    renderPage();
    await user.click(await screen.findByRole("button", { name: "Load the published VisionReward weights" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("source: This project's checklist is not a VisionReward built-in.");
  });

  it("starts a refit from the summary strip when no set is active", async () => {
    const user = userEvent.setup();
    sets = [];
    renderPage();
    await screen.findByText(/new labelled pairs since the last fit/);
    await screen.findByText("Ready to refit");
    await user.click(await screen.findByRole("button", { name: "Start refit" }));
    await waitFor(() => expect(posts().map((c) => c.url)).toEqual(["/api/projects/7/refit/"]));
    expect(screen.getByRole("heading", { name: "Refit" })).toHaveFocus();
    expect(await screen.findByRole("progressbar", { name: "Refit progress" })).toBeInTheDocument();
  });

  it("sorts the scores and pages through them", async () => {
    const user = userEvent.setup();
    await ready();
    await openTab(user, "Scores");
    await screen.findByRole("table", { name: /Assets by total score/ });
    const table = screen.getByRole("table", { name: /Assets by total score, highest first/ });
    expect(scoreOrder()).toEqual(["101", "102", "103"]);
    const header = within(table).getByRole("columnheader", { name: /Total/ });
    expect(header).toHaveAttribute("aria-sort", "descending");
    expect(within(table).getAllByRole("columnheader").map((c) => c.textContent)).toEqual([
      "Asset",
      "Prompt",
      "Total ▼",
      "Quality",
      "Content",
      "From",
    ]);
    const first = within(table).getAllByRole("row")[1];
    expect(within(first).getAllByRole("cell").map((c) => c.textContent)).toEqual([
      "Score breakdown of asset #101",
      "street scene 101",
      "1.234",
      "0.900 ",
      "0.334 ",
      "people",
    ]);
    expect(first.querySelector("img")).toHaveAttribute("src", "/media/101/thumb.jpg");

    await user.click(within(table).getByRole("button", { name: /Total/ }));
    await waitFor(() => expect(scoreOrder()).toEqual(["103", "102", "101"]));
    expect(calls.map((c) => c.url)).toContain("/api/projects/7/scores/?limit=25&offset=0&ordering=total");
    expect(screen.getByRole("columnheader", { name: /Total/ })).toHaveAttribute("aria-sort", "ascending");
    expect(screen.getByRole("table", { name: /lowest first/ })).toBeInTheDocument();

    const scores = screen.getByRole("region", { name: "Scores" });
    expect(within(scores).getByText("1–3 of 60")).toBeInTheDocument();
    expect(within(scores).getByRole("button", { name: "Previous" })).toBeDisabled();
    await user.click(within(scores).getByRole("button", { name: "Next" }));
    await waitFor(() => expect(calls.map((c) => c.url)).toContain("/api/projects/7/scores/?limit=25&offset=25&ordering=total"));
    expect(await within(scores).findByText("26–28 of 60")).toBeInTheDocument();
  });

  it("opens a score's breakdown from a row and closes it with Escape", async () => {
    const user = userEvent.setup();
    await ready();
    await openTab(user, "Scores");
    await screen.findByRole("table", { name: /Assets by total score/ });
    const table = screen.getByRole("table", { name: /Assets by total score/ });
    await user.click(within(table).getByText("street scene 101"));
    const dialog = screen.getByRole("dialog", { name: "Score of asset #101" });
    expect(within(dialog).getByRole("heading", { name: "Score of asset #101" })).toHaveFocus();
    expect(await within(dialog).findByTestId("breakdown-total")).toHaveTextContent(
      "Total 1.234 with version 3 (first fit), from people's answers; intercept 0.000.",
    );
    const quality = within(dialog).getByRole("table", { name: "Quality: 0.900" });
    const q3 = within(quality).getByRole("rowheader", { name: "Is the lighting distinct?" }).closest("tr")!;
    expect(within(q3).getAllByRole("cell").map((c) => c.textContent)).toEqual(["−1.00", "× −0.050", "= 0.050"]);
    const extra = within(dialog).getByRole("table", { name: "Extra features" });
    expect(within(extra).getByRole("rowheader", { name: "alignment" }).closest("tr")).toHaveTextContent("0.70× 2.350= 1.645");

    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).toBeNull();
    // The focus goes back to the row.
    expect(within(table).getByRole("button", { name: "Score breakdown of asset #101" })).toHaveFocus();

    // By keyboard: Enter on the row's button; an asset without a score says so.
    within(table).getByRole("button", { name: "Score breakdown of asset #102" }).focus();
    await user.keyboard("{Enter}");
    const second = screen.getByRole("dialog", { name: "Score of asset #102" });
    expect(await within(second).findByRole("alert")).toHaveTextContent("This asset has no score yet.");
    await user.click(within(second).getByRole("button", { name: /Close/ }));
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(within(table).getByRole("button", { name: "Score breakdown of asset #102" })).toHaveFocus();
  });

  it("says before starting why a refit cannot run, and disables its one button with the reason", async () => {
    readiness = {
      ...READY,
      rated_pairs: 5,
      usable_pairs: 3,
      decisive_pairs: 3,
      prompts: 1,
      held_out_pairs: 0,
      held_out_prompts: 0,
      can_start: false,
      can_measure: false,
      reasons: ["Only 3 pairs can be fitted (2 of the 5 rated ones lack answers for both assets); a refit needs at least 10 (min_pairs)."],
    };
    renderPage();
    const section = await screen.findByRole("region", { name: "Refit" });
    expect(await within(section).findByText("A refit cannot run yet")).toBeInTheDocument();
    expect(within(section).getByTestId("refit-readiness")).toHaveTextContent(
      "5 rated pairs (3 usable ones), 3 with a preference, on 1 prompt; 0 pairs would be held out; at least 10 needed.",
    );
    const button = within(section).getByRole("button", { name: "Start refit" });
    expect(button).toBeDisabled();
    expect(button).toHaveAccessibleDescription(/Only 3 pairs can be fitted .* at least 10 \(min_pairs\)\./);
    expect(screen.getByTestId("glance-pairs")).toHaveTextContent("Rated pairs5");
    expect(calls.some((c) => c.url === "/api/projects/7/refit/readiness/?features=human&test_fraction=0.2&seed=0")).toBe(true);
    expect(posts()).toEqual([]);
  });

  it("offers to promote without a held-out measurement, with its consequence, only when nothing is held out", async () => {
    const user = userEvent.setup();
    readiness = {
      ...READY,
      prompts: 1,
      held_out_pairs: 0,
      held_out_decisive: 0,
      held_out_prompts: 0,
      can_measure: false,
      warnings: ["Nothing can be held out to measure the new weights: all pairs are on one prompt, and pairs are held out by prompt."],
    };
    renderPage();
    const section = await screen.findByRole("region", { name: "Refit" });
    expect(await within(section).findByText("A refit can run, but nothing would measure it")).toBeInTheDocument();
    expect(within(section).getByTestId("refit-reason")).toHaveTextContent("all pairs are on one prompt");
    const box = within(section).getByRole("checkbox", { name: /Promote it without a held-out measurement/ });
    expect(box).toHaveAccessibleDescription(/nobody knows how well it predicts new pairs; unchecked, it is kept as a candidate/);
    expect(box).not.toBeChecked();
    await user.click(within(section).getByRole("button", { name: "Start refit" }));
    await waitFor(() => expect(posts()).toHaveLength(1));
    expect((posts()[0].body as Record<string, unknown>).promote_without_holdout).toBeUndefined();

    job = { ...job, state: "succeeded", progress: 1 };
    await within(section).findByTestId("refit-outcome");
    await user.click(box);
    await user.click(within(section).getByRole("button", { name: "Start refit" }));
    await waitFor(() => expect(posts()).toHaveLength(2));
    expect((posts()[1].body as Record<string, unknown>).promote_without_holdout).toBe(true);
  });

  it("asks the readiness again when the split settings change", async () => {
    const user = userEvent.setup();
    await ready();
    const fit = await openTab(user, "Fit settings");
    await user.clear(within(fit).getByLabelText("Seed"));
    await user.type(within(fit).getByLabelText("Seed"), "7");
    await waitFor(() =>
      expect(calls.map((c) => c.url)).toContain("/api/projects/7/refit/readiness/?features=human&test_fraction=0.2&seed=7"),
    );
  });

  it("has tabs with the ARIA tabs pattern, moved by arrow keys, and keeps the tab in the URL", async () => {
    const user = userEvent.setup();
    renderAt("/projects/7/weights?tab=scores", "/projects/:projectId/weights", <WeightsPage pollMs={5} />);
    const tablist = await screen.findByRole("tablist", { name: "Weights" });
    const tabs = within(tablist).getAllByRole("tab");
    expect(tabs.map((t) => t.textContent)).toEqual(["Active weights", "History", "Fit settings", "Scores"]);
    const scores = screen.getByRole("tab", { name: "Scores" });
    expect(scores).toHaveAttribute("aria-selected", "true");
    expect(scores).toHaveAttribute("tabindex", "0");
    expect(screen.getByRole("tab", { name: "History" })).toHaveAttribute("tabindex", "-1");
    expect(screen.getByRole("tabpanel", { name: "Scores" })).toHaveAttribute("id", scores.getAttribute("aria-controls"));
    expect(await screen.findByRole("table", { name: /Assets by total score/ })).toBeInTheDocument();
    expect(screen.queryByRole("region", { name: "Active weights" })).toBeNull();

    scores.focus();
    await user.keyboard("{ArrowRight}"); // wraps to the first
    expect(screen.getByRole("tab", { name: "Active weights" })).toHaveFocus();
    expect(screen.getByRole("tab", { name: "Active weights" })).toHaveAttribute("aria-selected", "true");
    await user.keyboard("{ArrowRight}");
    expect(screen.getByRole("tab", { name: "History" })).toHaveFocus();
    expect(screen.getByRole("tabpanel", { name: "History" })).toBeInTheDocument();
    await user.keyboard("{End}");
    expect(screen.getByRole("tab", { name: "Scores" })).toHaveFocus();
    await user.keyboard("{Home}{ArrowLeft}");
    expect(screen.getByRole("tab", { name: "Scores" })).toHaveFocus();
  });

  it("draws each set's charts once: the active set's under Active weights, not again when it is selected", async () => {
    const user = userEvent.setup();
    await ready();
    // two dimensions, one chart each, for the one set shown
    expect(screen.getAllByRole("img", { name: / weights, / })).toHaveLength(2);
    await openTab(user, "History");
    expect(screen.queryAllByRole("img", { name: / weights, / })).toHaveLength(0);
    await user.click(within(historyRow(3)).getByRole("button", { name: "Version 3" }));
    expect(screen.getByTestId("selected-set")).toHaveTextContent("This is the active set: its weights are under Active weights.");
    expect(screen.queryAllByRole("img", { name: / weights, / })).toHaveLength(0);
    await user.click(within(historyRow(4)).getByRole("button", { name: "Version 4" }));
    expect(screen.getAllByRole("img", { name: / weights, / })).toHaveLength(2); // version 4 against version 3
  });

  it("shows only the server's refusal to a user who may not see the weights", async () => {
    setsStatus = 403;
    renderPage();
    expect(await screen.findByRole("alert")).toHaveTextContent("You may not see the weights of this project.");
    expect(screen.queryByRole("region", { name: "Refit" })).toBeNull();
    expect(screen.queryByRole("region", { name: "Scores" })).toBeNull();
  });

  it("has no axe violations", async () => {
    const user = userEvent.setup();
    const { container } = await ready();
    const check = async () => {
      const results = await axe.run(container, { rules: { "color-contrast": { enabled: false } } });
      return results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    };
    for (const button of screen.getAllByRole("button", { name: /^Show data/ })) await user.click(button);
    expect(await check()).toEqual([]);
    await openTab(user, "History");
    await user.click(within(historyRow(4)).getByText("more pairs"));
    for (const button of screen.getAllByRole("button", { name: /^Show data/ })) await user.click(button);
    expect(await check()).toEqual([]);
    await openTab(user, "Fit settings");
    expect(await check()).toEqual([]);

    await openTab(user, "Scores");
    await user.click(await screen.findByRole("button", { name: "Score breakdown of asset #101" }));
    await screen.findByTestId("breakdown-total");
    expect(await check()).toEqual([]);
    await user.keyboard("{Escape}");

    await openTab(user, "History");
    await user.click(within(historyRow(4)).getByRole("button", { name: "Promote version 4" }));
    expect(await check()).toEqual([]);
  });

  it("has no axe violations without an active set", async () => {
    sets = [];
    readiness = { ...READY, rated_pairs: 3, usable_pairs: 3, can_start: false, can_measure: false, reasons: ["Only 3 pairs can be fitted."] };
    const user = userEvent.setup();
    const { container } = renderPage();
    await screen.findByTestId("no-active");
    await screen.findByText("A refit cannot run yet");
    await openTab(user, "Scores");
    await screen.findByTestId("no-scores");
    const results = await axe.run(container, { rules: { "color-contrast": { enabled: false } } });
    expect(results.violations.map((v) => v.id)).toEqual([]);
  });
});
