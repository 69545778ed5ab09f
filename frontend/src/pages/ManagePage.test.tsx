import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import axe from "axe-core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import ManagePage from "./ManagePage";
import { renderAt } from "../test/render";
import type { Job, ProjectStats, QualityStats } from "../types";

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

function stats(days: number): ProjectStats {
  const dates = Array.from({ length: days }, (_, i) => {
    const d = new Date(Date.UTC(2025, 10, 25 - (days - 1) + i));
    return d.toISOString().slice(0, 10);
  });
  return {
    days,
    progress: { tasks_total: 120, tasks_done: 30, annotations: 95, late_annotations: 3, assets_ready: 118, assets_failed: 2, gold: 12 },
    daily: dates.map((date, i) => ({ date, submitted: i % 3 })),
    annotators: [
      {
        username: "alice",
        submitted: 60,
        late: 3,
        skipped: 2,
        active: 1,
        median_time_ms: 12500,
        last_submitted_at: "2025-11-25T10:00:00Z",
        daily: dates.map((_, i) => i % 2),
      },
      {
        username: "bob",
        submitted: 35,
        late: 0,
        skipped: 0,
        active: 0,
        median_time_ms: null,
        last_submitted_at: null,
        daily: dates.map(() => 0),
      },
    ],
    questions: [
      { key: "q1", text: "Is the image very clear?", dimension: "quality", sub_dimension: "clarity", n_items: 20, percent_agreement: 0.9, kappa: 0.7 },
      { key: "q2", text: "Is the image clear?", dimension: "quality", sub_dimension: "clarity", n_items: 20, percent_agreement: 0.55, kappa: 0.123 },
      { key: "q3", text: "Is the lighting distinct?", dimension: "quality", sub_dimension: "lighting", n_items: 18, percent_agreement: 0.75, kappa: -0.05 },
      { key: "q4", text: "Is there lighting?", dimension: "quality", sub_dimension: "lighting", n_items: 0, percent_agreement: null, kappa: null },
    ],
    sub_dimensions: [
      { key: "clarity", title: "Clarity", dimension: "quality", n_items: 20, percent_agreement: 0.8 },
      { key: "lighting", title: "Lighting", dimension: "quality", n_items: 18, percent_agreement: 0.625 },
    ],
    model_agreement: {
      model_name: "llava-tiny",
      questions: [
        { key: "q1", text: "Is the image very clear?", n: 20, accuracy: 0.9, brier: 0.081, mean_p_human: 0.82 },
        { key: "q2", text: "Is the image clear?", n: 20, accuracy: 0.55, brier: 0.312, mean_p_human: 0.51 },
        { key: "q3", text: "Is the lighting distinct?", n: 18, accuracy: 0.75, brier: 0.2, mean_p_human: 0.6 },
        { key: "q4", text: "Is there lighting?", n: 0, accuracy: null, brier: null, mean_p_human: null },
      ],
    },
    ...(quality ? { quality } : {}),
    imports: [{ import_job_id: 4, assets: 120, ready: 118, failed: 2 }],
    failed_assets: [
      { id: 51, original_name: "broken.png", failure_reason: "The file is not an image (cannot identify image file)." },
      { id: 52, original_name: "huge.tiff", failure_reason: "The image is larger than 100 megapixels." },
    ],
  };
}

const QUALITY: QualityStats = {
  gold_check_rate: 0.1,
  disagreement_threshold: 0.25,
  max_extra_annotators: 1,
  gold_checks: 5,
  pair_gold_checks: 2,
  routed_tasks: 2,
  annotators: [
    {
      username: "alice",
      gold_checks: 4,
      gold_answers: 40,
      gold_accuracy: 0.9,
      gold_options: 20,
      gold_option_accuracy: 0.85,
      gold_sub_dimensions: [
        { key: "clarity", title: "Clarity", n: 4, accuracy: 1 },
        { key: "lighting", title: "Lighting", n: 4, accuracy: 0.5 },
      ],
      pair_gold_checks: 2,
      pair_gold_preferences: 2,
      pair_gold_agreement: 0.5,
      pair_gold_dimensions: 0,
      pair_gold_dimension_agreement: null,
      peer_answers: 120,
      peer_agreement: 0.8,
    },
    {
      username: "bob",
      gold_checks: 3,
      gold_answers: 30,
      gold_accuracy: 0.6,
      gold_options: 15,
      gold_option_accuracy: 0.533,
      gold_sub_dimensions: [
        { key: "clarity", title: "Clarity", n: 3, accuracy: 0.333 },
        { key: "lighting", title: "Lighting", n: 3, accuracy: 1 },
      ],
      peer_answers: 90,
      peer_agreement: 0.7,
    },
    {
      username: "carol",
      gold_checks: 0,
      gold_answers: 0,
      gold_accuracy: null,
      gold_options: 0,
      gold_option_accuracy: null,
      gold_sub_dimensions: [],
      peer_answers: 10,
      peer_agreement: 0.95,
    },
  ],
};

const JOBS: Job[] = [
  { id: 4, kind: "import", state: "succeeded", progress: 1, message: "120 assets, 2 failed", created_at: "2025-11-20T08:00:00Z" },
  { id: 5, kind: "prefill", state: "running", progress: 0.426, message: "", created_at: "2025-11-25T08:00:00Z" },
];

let urls: string[];
let project: Record<string, unknown>;
let patches: unknown[];
let patchResponse: (body: Record<string, unknown>) => Response;
let statsStatus: number;
let quality: QualityStats | undefined;

const json = (data: unknown, status = 200) =>
  new Response(JSON.stringify(data), { status, headers: { "Content-Type": "application/json" } });

beforeEach(() => {
  urls = [];
  project = PROJECT;
  patches = [];
  patchResponse = (body) => {
    project = { ...project, ...body };
    return json(project);
  };
  statsStatus = 200;
  quality = QUALITY;
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      urls.push(url);
      if (url === "/api/projects/7/" && init?.method === "PATCH") {
        const body = JSON.parse(String(init.body));
        patches.push(body);
        return patchResponse(body);
      }
      if (url === "/api/projects/7/") return json(project);
      if (url === "/api/jobs/?project=7&limit=50") return json({ count: 2, next: null, previous: null, results: JOBS });
      if (url === "/api/projects/7/webhooks/?limit=100") return json({ count: 0, next: null, previous: null, results: [] });
      const m = url.match(/^\/api\/projects\/7\/stats\/\?days=(\d+)$/);
      if (m) {
        return statsStatus === 200
          ? json(stats(Number(m[1])))
          : json({ detail: "You may not see the statistics of this project." }, statsStatus);
      }
      return json({ detail: `unexpected ${url}` }, 404);
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
});

function renderPage() {
  return renderAt("/projects/7/manage", "/projects/:projectId/manage", <ManagePage />);
}

const ready = async () => {
  renderPage();
  await screen.findByRole("heading", { name: "Progress" });
};

const questionOrder = () =>
  within(screen.getByRole("table", { name: /Agreement per question/ }))
    .getAllByRole("row")
    .slice(1)
    .map((r) => r.getAttribute("data-question"));

describe("ManagePage", () => {
  it("shows progress, throughput and charts from the stats", async () => {
    await ready();
    expect(await screen.findByRole("heading", { level: 1, name: "Statistics: Street photos batch 1" })).toBeInTheDocument();
    expect(urls).toContain("/api/projects/7/stats/?days=14");
    expect(screen.getByTestId("tasks-done")).toHaveTextContent("30 / 120");
    expect(screen.getByRole("progressbar", { name: "Tasks done" })).toHaveAttribute("aria-valuenow", "30");
    expect(screen.getByText("25% complete")).toBeInTheDocument();
    expect(screen.getByTestId("annotations")).toHaveTextContent("95");
    expect(screen.getByTestId("gold")).toHaveTextContent("12");
    expect(screen.getByTestId("assets")).toHaveTextContent("118 ready");
    expect(screen.getByText("2 failed")).toBeInTheDocument();

    // Charts: daily, per annotator, per sub-dimension (plus one sparkline per annotator).
    expect(screen.getByRole("img", { name: /Annotations submitted per day, last 14 days: 14 bars/ })).toBeInTheDocument();
    expect(screen.getByRole("img", { name: /Annotations submitted per annotator: 2 bars, highest 60 \(alice\)/ })).toBeInTheDocument();
    expect(screen.getByRole("img", { name: /Percent agreement per sub-dimension: 2 bars, highest 80% \(Clarity\)/ })).toBeInTheDocument();

    const throughput = screen.getByRole("table", { name: /Throughput per annotator/ });
    const alice = within(throughput).getByRole("rowheader", { name: "alice" }).closest("tr")!;
    expect(within(alice).getAllByRole("cell").slice(0, 5).map((c) => c.textContent)).toEqual(["60", "3", "2", "1", "12.5"]);
    expect(within(alice).getByRole("img", { name: /alice, submitted per day: 0, 1, 0/ })).toBeInTheDocument();
    const bob = within(throughput).getByRole("rowheader", { name: "bob" }).closest("tr")!;
    expect(within(bob).getAllByRole("cell")[4]).toHaveTextContent("—");
    // late extras: among the annotations, beyond the tasks' k
    expect(screen.getByTestId("late-annotations")).toHaveTextContent("3 late (beyond k, kept)");
  });

  it("lists agreement per question, lowest first, with % and κ formatted", async () => {
    await ready();
    const table = screen.getByRole("table", { name: /Agreement per question/ });
    expect(questionOrder()).toEqual(["q2", "q3", "q1", "q4"]);
    const q2 = within(table).getByText("Is the image clear?").closest("tr")!;
    expect(within(q2).getAllByRole("cell").map((c) => c.textContent)).toEqual([
      "Is the image clear?",
      "Clarity",
      "20",
      "55%",
      "0.12",
    ]);
    const q3 = within(table).getByText("Is the lighting distinct?").closest("tr")!;
    expect(within(q3).getAllByRole("cell")[4]).toHaveTextContent("-0.05");
    const q4 = within(table).getByText("Is there lighting?").closest("tr")!;
    expect(within(q4).getAllByRole("cell")[3]).toHaveTextContent("—");
    expect(within(table).getByRole("columnheader", { name: /% agreement/ })).toHaveAttribute("aria-sort", "ascending");
  });

  it("sorts the agreement table by clicking the column headers", async () => {
    const user = userEvent.setup();
    await ready();
    const table = screen.getByRole("table", { name: /Agreement per question/ });
    await user.click(within(table).getByRole("button", { name: /% agreement/ }));
    expect(questionOrder()).toEqual(["q1", "q3", "q2", "q4"]);
    expect(within(table).getByRole("columnheader", { name: /% agreement/ })).toHaveAttribute("aria-sort", "descending");

    await user.click(within(table).getByRole("button", { name: /Fleiss κ/ }));
    expect(questionOrder()).toEqual(["q3", "q2", "q1", "q4"]);
    expect(within(table).getByRole("columnheader", { name: /Fleiss κ/ })).toHaveAttribute("aria-sort", "ascending");
    expect(within(table).getByRole("columnheader", { name: /% agreement/ })).toHaveAttribute("aria-sort", "none");

    await user.click(within(table).getByRole("button", { name: /Question/ }));
    expect(questionOrder()).toEqual(["q2", "q1", "q3", "q4"]);
  });

  it("compares the model with people, least accurate first", async () => {
    await ready();
    const section = screen.getByRole("region", { name: "Model vs human" });
    expect(section).toHaveTextContent("llava-tiny");
    const table = within(section).getByRole("table", { name: /Model llava-tiny against people/ });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((r) => r.getAttribute("data-question"))).toEqual(["q2", "q3", "q1"]); // q4: no answers
    expect(within(rows[0]).getAllByRole("cell").map((c) => c.textContent)).toEqual([
      "Is the image clear?",
      "20",
      "55%",
      "0.31",
      "51%",
    ]);
  });

  it("shows each annotator's accuracy on gold checks and agreement with peers, least accurate first", async () => {
    await ready();
    const section = screen.getByRole("region", { name: "Annotator quality" });
    expect(within(section).getByTestId("quality-summary")).toHaveTextContent(
      "5 gold checks (tasks with known answers) and 2 pair gold checks (pairs with a gold preference), served " +
        "unseen in 10% of the claims. Tasks whose annotations " +
        "disagree on more than 25% of the compared answers get up to 1 more annotator (2 so far).",
    );
    const table = within(section).getByRole("table", { name: /accuracy on gold checks and agreement with peers/ });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((r) => r.getAttribute("data-annotator"))).toEqual(["bob", "alice", "carol"]);
    const cells = (row: HTMLElement) => within(row).getAllByRole("cell").map((c) => c.textContent);
    expect(cells(rows[0])).toEqual(["3", "60%", "53%", "Clarity 33% (3)", "0", "—", "70%", "90"]);
    expect(cells(rows[1])).toEqual(["4", "90%", "85%", "Lighting 50% (4)", "2", "50%", "80%", "120"]);
    expect(cells(rows[2])).toEqual(["0", "—", "—", "—", "0", "—", "95%", "10"]); // no gold check answered yet
    expect(within(rows[1]).getByTestId("pair-gold-agreement")).toHaveAttribute("title", "2 preferences compared");
    expect(within(rows[0]).getAllByRole("cell")[1]).toHaveAttribute("title", "30 answers compared");

    // Charts: carol has no gold accuracy, so two bars there and three for peers.
    expect(
      within(section).getByRole("img", { name: /Answer accuracy on gold checks per annotator: 2 bars, highest 90% \(alice\), lowest 60%/ }),
    ).toBeInTheDocument();
    expect(
      within(section).getByRole("img", {
        name: /Agreement with the gold preference of pair gold checks per annotator: 1 bar, highest 50% \(alice\)/,
      }),
    ).toBeInTheDocument();
    expect(
      within(section).getByRole("img", { name: /Agreement with peers per annotator: 3 bars, highest 95% \(carol\), lowest 70%/ }),
    ).toBeInTheDocument();
  });

  it("shows the chart's numbers as a table on request", async () => {
    const user = userEvent.setup();
    await ready();
    const section = screen.getByRole("region", { name: "Annotator quality" });
    await user.click(within(section).getByRole("button", { name: /Show data\s*for Answer accuracy on gold checks/ }));
    const data = within(section).getByRole("table", { name: "Answer accuracy on gold checks per annotator" });
    expect(within(data).getAllByRole("row").slice(1).map((r) => r.textContent)).toEqual(["bob60%", "alice90%"]);
  });

  it("says when routing is off and nobody has submitted", async () => {
    quality = {
      ...QUALITY,
      disagreement_threshold: null,
      gold_checks: 1,
      pair_gold_checks: 1,
      gold_check_rate: 0.25,
      annotators: [],
    };
    await ready();
    const section = screen.getByRole("region", { name: "Annotator quality" });
    expect(within(section).getByTestId("quality-summary")).toHaveTextContent(
      "1 gold check (tasks with known answers) and 1 pair gold check (pairs with a gold preference), served " +
        "unseen in 25% of the claims. Routing disagreements is off.",
    );
    expect(within(section).getByText("No annotator has submitted yet.")).toBeInTheDocument();
    expect(within(section).queryByRole("table")).toBeNull();
  });

  it("leaves the quality section out for a server without it", async () => {
    quality = undefined;
    await ready();
    expect(screen.queryByRole("region", { name: "Annotator quality" })).toBeNull();
    expect(screen.getByRole("region", { name: "Model vs human" })).toBeInTheDocument();
  });

  it("shows jobs and failed assets with their reasons", async () => {
    await ready();
    const section = screen.getByRole("region", { name: "Imports and jobs" });
    const jobs = await within(section).findByRole("table", { name: "Jobs of this project" });
    const running = within(jobs).getByRole("rowheader", { name: "#5" }).closest("tr")!;
    expect(within(running).getAllByRole("cell").map((c) => c.textContent)).toEqual(
      expect.arrayContaining(["prefill", "running", "43%"]),
    );
    expect(within(jobs).getByText("120 assets, 2 failed")).toBeInTheDocument();

    const failed = within(section).getByRole("table", { name: /failed to import/ });
    const broken = within(failed).getByRole("rowheader", { name: "broken.png" }).closest("tr")!;
    expect(broken).toHaveTextContent("The file is not an image (cannot identify image file).");
    expect(within(failed).getByText("The image is larger than 100 megapixels.")).toBeInTheDocument();
  });

  it("refetches the stats when the period changes", async () => {
    const user = userEvent.setup();
    await ready();
    await user.selectOptions(screen.getByLabelText("Period"), "30");
    await waitFor(() => expect(urls).toContain("/api/projects/7/stats/?days=30"));
    expect(await screen.findByRole("img", { name: /last 30 days: 30 bars/ })).toBeInTheDocument();
  });

  it("links to the weights and the jobs for managers", async () => {
    await ready();
    expect(await screen.findByRole("link", { name: "Weights" })).toHaveAttribute("href", "/projects/7/weights");
    expect(screen.getByRole("link", { name: "Jobs" })).toHaveAttribute("href", "/projects/7/jobs");
  });

  it("shows the server's error", async () => {
    statsStatus = 403;
    renderPage();
    expect(await screen.findByRole("alert")).toHaveTextContent("You may not see the statistics of this project.");
    expect(screen.queryByRole("heading", { name: "Progress" })).toBeNull();
  });

  describe("quality control settings", () => {
    const WITH_SETTINGS = { ...PROJECT, gold_check_rate: 0.1, disagreement_threshold: 0.25, max_extra_annotators: 1 };
    const form = () => screen.findByRole("form", { name: "Quality control settings" });

    it("is for managers only", async () => {
      project = { ...WITH_SETTINGS, my_role: "reviewer" };
      await ready();
      await screen.findByRole("heading", { level: 1, name: "Statistics: Street photos batch 1" });
      expect(screen.queryByRole("form", { name: "Quality control settings" })).toBeNull();
    });

    it("is left out for a server without the settings", async () => {
      await ready();
      await screen.findByRole("heading", { level: 1, name: "Statistics: Street photos batch 1" });
      expect(screen.queryByRole("form", { name: "Quality control settings" })).toBeNull();
    });

    it("shows the settings as percentages and saves them as shares", async () => {
      project = WITH_SETTINGS;
      const user = userEvent.setup();
      await ready();
      const f = await form();
      const rate = within(f).getByLabelText("Gold check rate (%)");
      const routing = within(f).getByRole("checkbox", { name: "Route disagreements" });
      const threshold = within(f).getByLabelText("Disagreement threshold (%)");
      const extra = within(f).getByLabelText("Max extra annotators");
      expect(rate).toHaveValue(10);
      expect(routing).toBeChecked();
      expect(threshold).toHaveValue(25);
      expect(extra).toHaveValue(1);

      await user.clear(rate);
      await user.type(rate, "7");
      await user.clear(threshold);
      await user.type(threshold, "30");
      await user.clear(extra);
      await user.type(extra, "2");
      await user.click(within(f).getByRole("button", { name: "Save settings" }));
      await waitFor(() => expect(patches).toHaveLength(1));
      expect(patches[0]).toEqual({ gold_check_rate: 0.07, disagreement_threshold: 0.3, max_extra_annotators: 2 });
      expect(await within(f).findByRole("status")).toHaveTextContent(
        "Saved: gold checks in 7% of the claims, up to 2 more annotators above 30% disagreement.",
      );
      // The quality section shows the new settings.
      expect(screen.getByTestId("quality-summary")).toHaveTextContent(
        "served unseen in 7% of the claims. Tasks whose annotations disagree on more than 30% of the compared " +
          "answers get up to 2 more annotators",
      );
    });

    it("sets from which confidence `a` accepts the model's guesses, from 50 to 100%", async () => {
      project = { ...WITH_SETTINGS, accept_threshold: 0.8 };
      const user = userEvent.setup();
      await ready();
      const f = await form();
      const accept = within(f).getByLabelText("Accept pre-fill from (% confidence)");
      expect(accept).toHaveValue(80);
      expect(accept).toHaveAccessibleDescription(/uncertain — check/);
      await user.clear(accept);
      await user.type(accept, "40");
      await user.click(within(f).getByRole("button", { name: "Save settings" }));
      expect(accept).toHaveAttribute("aria-invalid", "true");
      expect(accept).toHaveAccessibleDescription(/Enter a percentage from 50 to 100\./);
      expect(patches).toHaveLength(0);
      await user.clear(accept);
      await user.type(accept, "92.5");
      await user.click(within(f).getByRole("button", { name: "Save settings" }));
      await waitFor(() => expect(patches).toHaveLength(1));
      expect(patches[0]).toEqual({
        gold_check_rate: 0.1,
        disagreement_threshold: 0.25,
        max_extra_annotators: 1,
        accept_threshold: 0.925,
      });
      expect(await within(f).findByRole("status")).toHaveTextContent("`a` accepts guesses at ≥ 92.5% confidence.");
    });

    it("turns routing off with null", async () => {
      project = WITH_SETTINGS;
      const user = userEvent.setup();
      await ready();
      const f = await form();
      await user.click(within(f).getByRole("checkbox", { name: "Route disagreements" }));
      expect(within(f).getByLabelText("Disagreement threshold (%)")).toBeDisabled();
      await user.click(within(f).getByRole("button", { name: "Save settings" }));
      await waitFor(() => expect(patches).toHaveLength(1));
      expect(patches[0]).toEqual({ gold_check_rate: 0.1, disagreement_threshold: null, max_extra_annotators: 1 });
      expect(await within(f).findByRole("status")).toHaveTextContent(
        "Saved: gold checks in 10% of the claims, routing disagreements off.",
      );
      expect(screen.getByTestId("quality-summary")).toHaveTextContent("Routing disagreements is off.");
    });

    it("checks the values before sending", async () => {
      project = { ...WITH_SETTINGS, disagreement_threshold: null };
      const user = userEvent.setup();
      await ready();
      const f = await form();
      const rate = within(f).getByLabelText("Gold check rate (%)");
      const extra = within(f).getByLabelText("Max extra annotators");
      expect(within(f).getByLabelText("Disagreement threshold (%)")).toBeDisabled();
      await user.clear(rate);
      await user.type(rate, "150");
      await user.click(within(f).getByRole("checkbox", { name: "Route disagreements" }));
      await user.clear(extra);
      await user.type(extra, "11");
      await user.click(within(f).getByRole("button", { name: "Save settings" }));
      expect(rate).toHaveAttribute("aria-invalid", "true");
      expect(rate).toHaveAccessibleDescription(/Enter a percentage from 0 to 100\./);
      const threshold = within(f).getByLabelText("Disagreement threshold (%)");
      expect(threshold).toHaveAttribute("aria-invalid", "true");
      expect(threshold).toHaveAccessibleDescription(/or turn routing off/);
      expect(extra).toHaveAttribute("aria-invalid", "true");
      expect(extra).toHaveAccessibleDescription(/Enter a whole number from 0 to 10\./);
      expect(patches).toHaveLength(0);
    });

    it("shows the server's messages beside their fields", async () => {
      project = WITH_SETTINGS;
      patchResponse = () =>
        json(
          {
            detail: "max_extra_annotators: Ensure this value is less than or equal to 10.",
            errors: { max_extra_annotators: ["Ensure this value is less than or equal to 10."] },
          },
          400,
        );
      const user = userEvent.setup();
      await ready();
      const f = await form();
      await user.click(within(f).getByRole("button", { name: "Save settings" }));
      expect(await within(f).findByRole("alert")).toHaveTextContent(
        "Not saved: max_extra_annotators: Ensure this value is less than or equal to 10.",
      );
      const extra = within(f).getByLabelText("Max extra annotators");
      expect(extra).toHaveAttribute("aria-invalid", "true");
      expect(extra).toHaveAccessibleDescription(/Ensure this value is less than or equal to 10\./);
      expect(within(f).getByLabelText("Gold check rate (%)")).not.toHaveAttribute("aria-invalid");
      expect(within(f).getByRole("status")).toBeEmptyDOMElement();
    });

    it("has no axe violations", async () => {
      project = WITH_SETTINGS;
      patchResponse = () =>
        json({ detail: "gold_check_rate: bad", errors: { gold_check_rate: ["bad"] } }, 400);
      const user = userEvent.setup();
      const { container } = renderPage();
      await screen.findByRole("heading", { name: "Progress" });
      const f = await form();
      const check = async () => {
        const results = await axe.run(container, { rules: { "color-contrast": { enabled: false } } });
        return results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
      };
      expect(await check()).toEqual([]);
      await user.click(within(f).getByRole("button", { name: "Save settings" }));
      await within(f).findByRole("alert");
      expect(await check()).toEqual([]);
    });
  });
});
