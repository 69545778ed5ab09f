import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import axe from "axe-core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import ReviewPage from "./ReviewPage";
import { renderAt } from "../test/render";
import type { Annotation, Asset, ReviewItem, Task } from "../types";
import { TWO_DIMENSIONS } from "../test/fixtures";

const DEF = TWO_DIMENSIONS;

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
  my_role: "reviewer",
};

function asset(id: number, prompt: string, kind: "image" | "video" = "image"): Asset {
  return {
    id,
    project: 7,
    kind,
    status: "ready",
    failure_reason: "",
    original_name: `${id}.${kind === "image" ? "png" : "mp4"}`,
    prompt,
    width: 512,
    height: 512,
    duration_seconds: null,
    fps: null,
    frame_count: null,
    import_job_id: 1,
    urls: {
      display: `/media/${id}/display`,
      thumbnail: `/media/${id}/thumb`,
      poster: `/media/${id}/poster`,
      original: `/media/${id}/original`,
      frames: [],
    },
  };
}

function task(id: number, a: Asset, b: Asset | null = null): Task {
  return {
    id,
    project: 7,
    kind: b ? "pair" : "single",
    asset: a,
    asset_b: b,
    required: 3,
    assigned_count: 3,
    submitted_count: 3,
    status: "full",
    priority: 0,
  };
}

function annotation(id: number, username: string, fields: Partial<Annotation>): Annotation {
  return {
    id,
    project: 7,
    task: 0,
    assignment: id,
    user: id,
    username,
    checklist_version: 3,
    client_id: `c${id}`,
    state: "submitted",
    options: {},
    answers: [],
    mask: [],
    question_keys: [],
    preference: null,
    dimension_preferences: {},
    comment: "",
    time_spent_ms: 12000,
    revision: 1,
    submitted_at: "2025-11-20T10:00:00Z",
    reviewed_by: null,
    reviewed_at: null,
    ...fields,
  };
}

const ITEM_1: ReviewItem = {
  task: task(101, asset(1, "A red tram at dusk")),
  annotations: [
    annotation(11, "alice", { options: { clarity: 2, lighting: 1, lighting_beauty: 1, subject: 1 }, comment: "nice" }),
    annotation(12, "bob", { options: { clarity: 1, lighting: 1, lighting_beauty: 0, subject: 1 } }),
    annotation(13, "carol", { options: { clarity: 1, lighting: 0, subject: 1 } }),
  ],
  disagreements: ["clarity", "lighting", "lighting_beauty"],
  gold: null,
};

const ITEM_2: ReviewItem = {
  task: task(102, asset(2, "A quiet street in the rain")),
  annotations: [
    annotation(21, "alice", { options: { clarity: 0, lighting: 0, subject: 0 } }),
    annotation(22, "bob", { options: { clarity: 0, lighting: 0, subject: 0 } }),
  ],
  disagreements: [],
  gold: {
    source: "corrected",
    source_annotation: null,
    options: { clarity: 0, lighting: 0, subject: 1 },
    answers: [],
    mask: [],
    preference: null,
    dimension_preferences: {},
    comment: "subject is the cyclist",
    reviewed_by: "rita",
    updated_at: "2025-11-21T09:00:00Z",
    history: [],
  },
};

const PAIR_ITEM: ReviewItem = {
  task: task(201, asset(5, "A lighthouse"), asset(6, "A lighthouse")),
  annotations: [
    annotation(31, "alice", { preference: 1, dimension_preferences: { quality: 2 } }),
    annotation(32, "bob", { preference: 4, dimension_preferences: { quality: 2 } }),
  ],
  disagreements: ["preference"],
  gold: null,
};

interface Call {
  method: string;
  url: string;
  body: unknown;
}

let calls: Call[];
let project: typeof PROJECT;
/** Task ids of the project's gold checks (what GET gold-checks/ lists). */
let goldCheckIds: number[];
let goldCheckResponse: (method: string, taskId: number, body: unknown) => Response;
let reviewResponse: (url: string, body: Record<string, unknown>) => Response;
let items: ReviewItem[];

const json = (data: unknown, status = 200) =>
  new Response(JSON.stringify(data), { status, headers: { "Content-Type": "application/json" } });

let more: boolean;

function page(results: ReviewItem[], offset: number) {
  return {
    count: more ? 45 : results.length,
    next: more ? `/api/projects/7/review-items/?offset=${offset + 20}` : null,
    previous: offset > 0 ? `/api/projects/7/review-items/?offset=${Math.max(0, offset - 20)}` : null,
    results,
  };
}

beforeEach(() => {
  calls = [];
  project = PROJECT;
  goldCheckIds = [];
  goldCheckResponse = (method, taskId) => {
    if (method === "DELETE") {
      goldCheckIds = goldCheckIds.filter((id) => id !== taskId);
      return new Response(null, { status: 204 });
    }
    goldCheckIds = [...goldCheckIds, taskId];
    return json({ task: taskId, asset: 2, checklist_version: 3, options: {}, answers: [], mask: [], comment: "", created_by: "mia", created_at: "", updated_at: "", annotations: 2 }, 201);
  };
  items = [ITEM_1, ITEM_2];
  more = false;
  reviewResponse = (url, body) => {
    const id = Number(url.match(/tasks\/(\d+)\/review/)![1]);
    const item = items.find((i) => i.task.id === id)!;
    const source = typeof body.accept === "number" ? item.annotations.find((a) => a.id === body.accept)! : null;
    return json({
      ...item,
      gold: {
        source: source ? "accepted" : "corrected",
        source_annotation: source?.id ?? null,
        options: source ? source.options : body.options,
        answers: [],
        mask: [],
        preference: null,
        dimension_preferences: {},
        comment: (body.comment as string) ?? "",
        reviewed_by: "rita",
        updated_at: "2025-11-22T09:00:00Z",
        history: [],
      },
    });
  };
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      const method = init?.method ?? "GET";
      const body = init?.body ? JSON.parse(String(init.body)) : undefined;
      calls.push({ method, url, body });
      if (url === "/api/projects/7/") return json(project);
      if (url.startsWith("/api/projects/7/gold-checks/")) {
        const results = goldCheckIds.map((task) => ({ task, asset: task, checklist_version: 3, options: {}, answers: [], mask: [], comment: "", created_by: "mia", created_at: "", updated_at: "", annotations: 2 }));
        return json({ count: results.length, next: null, previous: null, results });
      }
      const gc = url.match(/^\/api\/projects\/7\/tasks\/(\d+)\/gold-check\/$/);
      if (gc && (method === "POST" || method === "DELETE")) return goldCheckResponse(method, Number(gc[1]), body);
      if (url === "/api/checklists/3/") return json({ id: 3, key: DEF.key, version: 1, definition: DEF, questions: [] });
      if (url.startsWith("/api/projects/7/review-items/")) return json(page(items, Number(new URL(url, "http://x").searchParams.get("offset"))));
      if (method === "POST" && /\/api\/projects\/7\/tasks\/\d+\/review\/$/.test(url)) return reviewResponse(url, body);
      return json({ detail: `unexpected ${method} ${url}` }, 404);
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
});

function renderPage() {
  return renderAt("/projects/7/review", "/projects/:projectId/review", <ReviewPage />);
}

/** Wait until the comparison table of the first item is there. */
async function ready() {
  renderPage();
  return await screen.findByRole("table", { name: /Answers of 3 annotators for task 101/ });
}

const row = (table: HTMLElement, title: string) => within(table).getByRole("rowheader", { name: new RegExp(title) }).closest("tr")!;
const posts = () => calls.filter((c) => c.method === "POST");

describe("ReviewPage", () => {
  it("lists the items and shows the project, media and prompt", async () => {
    await ready();
    expect(screen.getByRole("heading", { level: 1, name: "Review: Street photos batch 1" })).toBeInTheDocument();
    expect(calls.some((c) => c.url === "/api/projects/7/review-items/?state=pending&limit=20&offset=0")).toBe(true);
    const nav = screen.getByRole("navigation", { name: "Review items" });
    expect(within(nav).getAllByRole("button", { name: /Task 10[12]/ })).toHaveLength(2);
    expect(within(nav).getByRole("button", { name: /Task 101/ })).toHaveAttribute("aria-current", "true");
    expect(screen.getByRole("img", { name: "A red tram at dusk" })).toHaveAttribute("src", "/media/1/display");
    expect(screen.getByText(/j/, { selector: "kbd" })).toBeInTheDocument();
  });

  it("highlights disagreeing rows and cells with a ≠ marker", async () => {
    const table = await ready();
    const headers = within(within(table).getAllByRole("row")[0]).getAllByRole("columnheader").map((h) => h.textContent?.trim());
    expect(headers).toEqual(["Sub-dimension", "1. alice", "2. bob", "3. carol", "Gold / correction"]);
    // Group rows per dimension.
    expect(within(table).getByRole("columnheader", { name: "Quality" })).toBeInTheDocument();
    expect(within(table).getByRole("columnheader", { name: "Content" })).toBeInTheDocument();

    const clarity = row(table, "Clarity");
    expect(clarity).toHaveClass("disagree");
    expect(within(clarity).getByText("≠")).toBeInTheDocument();
    const cells = within(clarity).getAllByRole("cell");
    expect(cells.map((c) => c.textContent)).toEqual(["very clear (2)", "clear (1)", "clear (1)", "—"]);
    // alice is off the majority; bob and carol agree.
    expect(cells.map((c) => c.classList.contains("cell-disagree"))).toEqual([true, false, false, false]);

    const subject = row(table, "Subject");
    expect(subject).not.toHaveClass("disagree");
    expect(within(subject).queryByText("≠")).toBeNull();
    expect(subject.querySelectorAll(".cell-disagree")).toHaveLength(0);
    expect(within(table).getAllByText("≠")).toHaveLength(3);
    // carol's lighting is "no lighting": the gated sub-dimension does not apply to her.
    expect(within(row(table, "Lighting beauty")).getAllByRole("cell")[2]).toHaveTextContent("n/a");
  });

  it("accepts an annotator's answer and moves to the next item", async () => {
    const user = userEvent.setup();
    await ready();
    await user.click(screen.getByRole("button", { name: "Accept bob" }));
    await waitFor(() => expect(posts()).toHaveLength(1));
    expect(posts()[0]).toEqual({ method: "POST", url: "/api/projects/7/tasks/101/review/", body: { accept: 12 } });
    expect(await screen.findByText(/Task 101: accepted bob's answer as gold/)).toHaveAttribute("role", "status");
    expect(await screen.findByRole("heading", { level: 2, name: /Task 102/ })).toBeInTheDocument();
    // The reviewed item now carries its gold badge in the list.
    const nav = screen.getByRole("navigation", { name: "Review items" });
    expect(within(within(nav).getByRole("button", { name: /Task 101/ })).getByText("gold")).toBeInTheDocument();
  });

  it("shows an existing gold answer with its source and reviewer", async () => {
    const user = userEvent.setup();
    await ready();
    await user.click(screen.getByRole("button", { name: /Task 102/ }));
    expect(await screen.findByTestId("gold-info")).toHaveTextContent(/Corrected by rita/);
    const table = screen.getByRole("table", { name: /task 102/ });
    expect(within(row(table, "Subject")).getAllByRole("cell")[2]).toHaveTextContent("clear subject (1)");
  });

  it("corrects from the majority, disables sub-dimensions that do not apply and posts the options", async () => {
    const user = userEvent.setup();
    await ready();
    await user.click(screen.getByRole("button", { name: "Correct" }));
    const clarity = screen.getByRole("combobox", { name: "Clarity" }) as HTMLSelectElement;
    const lighting = screen.getByRole("combobox", { name: "Lighting" }) as HTMLSelectElement;
    const beauty = screen.getByRole("combobox", { name: "Lighting beauty" }) as HTMLSelectElement;
    // Majority: clarity 1 (bob, carol), lighting 1; beauty ties 1/0 → the first annotator (alice).
    expect(clarity.value).toBe("1");
    expect(lighting.value).toBe("1");
    expect(beauty.value).toBe("1");
    expect(beauty).toBeEnabled();

    await user.selectOptions(clarity, "0");
    await user.selectOptions(lighting, "0");
    expect(beauty).toBeDisabled();
    expect(beauty.value).toBe("");
    await user.type(screen.getByLabelText("Comment (optional)"), "dark scene");
    await user.click(screen.getByRole("button", { name: "Save correction" }));

    await waitFor(() => expect(posts()).toHaveLength(1));
    expect(posts()[0].url).toBe("/api/projects/7/tasks/101/review/");
    expect(posts()[0].body).toEqual({ options: { clarity: 0, lighting: 0, subject: 1 }, comment: "dark scene" });
    expect(await screen.findByText(/Task 101: correction saved as gold/)).toBeInTheDocument();
  });

  it("shows the server's detail when a correction is refused", async () => {
    const user = userEvent.setup();
    reviewResponse = () =>
      json({ detail: "options.clarity: 5 is not an option of this sub-dimension.", errors: { clarity: ["bad"] } }, 400);
    await ready();
    await user.click(screen.getByRole("button", { name: "Correct" }));
    await user.click(screen.getByRole("button", { name: "Save correction" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("options.clarity: 5 is not an option of this sub-dimension.");
    // Still on the same item, still correcting.
    expect(screen.getByRole("heading", { level: 2, name: /Task 101/ })).toBeInTheDocument();
    expect(screen.getByRole("combobox", { name: "Clarity" })).toBeInTheDocument();
  });

  it("does not post an incomplete correction", async () => {
    const user = userEvent.setup();
    await ready();
    await user.click(screen.getByRole("button", { name: "Correct" }));
    await user.selectOptions(screen.getByRole("combobox", { name: "Subject" }), "");
    await user.click(screen.getByRole("button", { name: "Save correction" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Choose an option for: Subject.");
    expect(posts()).toHaveLength(0);
  });

  it("works from the keyboard: j/k move, digits accept, c corrects, typing is ignored", async () => {
    const user = userEvent.setup();
    await ready();
    await user.keyboard("j");
    expect(await screen.findByRole("heading", { level: 2, name: /Task 102/ })).toBeInTheDocument();
    await user.keyboard("k");
    expect(await screen.findByRole("heading", { level: 2, name: /Task 101/ })).toBeInTheDocument();

    await user.keyboard("c");
    const comment = screen.getByLabelText("Comment (optional)");
    await user.click(comment);
    await user.keyboard("jk2c");
    expect(comment).toHaveValue("jk2c");
    expect(screen.getByRole("heading", { level: 2, name: /Task 101/ })).toBeInTheDocument();
    expect(posts()).toHaveLength(0);

    comment.blur();
    await user.keyboard("c");
    expect(screen.queryByRole("combobox", { name: "Clarity" })).toBeNull();
    await user.keyboard("3");
    await waitFor(() => expect(posts()).toHaveLength(1));
    expect(posts()[0].body).toEqual({ accept: 13 });
  });

  it("filters by state and disagreement", async () => {
    const user = userEvent.setup();
    await ready();
    await user.click(screen.getByRole("tab", { name: "Reviewed" }));
    await waitFor(() =>
      expect(calls.some((c) => c.url === "/api/projects/7/review-items/?state=reviewed&limit=20&offset=0")).toBe(true),
    );
    expect(screen.getByRole("tab", { name: "Reviewed" })).toHaveAttribute("aria-selected", "true");
    await user.click(screen.getByRole("checkbox", { name: "Only disagreements" }));
    await waitFor(() =>
      expect(
        calls.some((c) => c.url === "/api/projects/7/review-items/?state=reviewed&limit=20&offset=0&disagreement=1"),
      ).toBe(true),
    );
  });

  it("pages through the list; a review at the end of a pending page continues on the next page", async () => {
    items = [ITEM_1, { ...ITEM_2, gold: null }];
    more = true;
    const user = userEvent.setup();
    await ready();
    expect(screen.getByText("Items 1–2 of 45")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Prev" })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: /Task 102/ }));
    await user.click(screen.getByRole("button", { name: "Accept alice" }));
    // Task 102 left the pending list, so the item after it is now at offset 1.
    await waitFor(() =>
      expect(calls.map((c) => c.url)).toContain("/api/projects/7/review-items/?state=pending&limit=20&offset=1"),
    );
    expect(await screen.findByText("Items 2–3 of 45")).toBeInTheDocument();

    await user.click(screen.getByRole("tab", { name: "All" }));
    await screen.findByText("Items 1–2 of 45");
    await user.click(screen.getByRole("button", { name: "Next" }));
    await waitFor(() =>
      expect(calls.map((c) => c.url)).toContain("/api/projects/7/review-items/?state=all&limit=20&offset=2"),
    );
    // k on the first item of a page goes back to the last item of the previous page.
    await screen.findByText("Items 3–4 of 45");
    await user.keyboard("k");
    await waitFor(() =>
      expect(calls.filter((c) => c.url === "/api/projects/7/review-items/?state=all&limit=20&offset=0")).toHaveLength(2),
    );
    expect(await screen.findByRole("heading", { level: 2, name: /Task 102/ })).toBeInTheDocument();
  });

  it("compares pairs by preference with A and B side by side", async () => {
    items = [PAIR_ITEM];
    const user = userEvent.setup();
    renderPage();
    const table = await screen.findByRole("table", { name: /task 201/ });
    expect(screen.getByText("Asset A")).toBeInTheDocument();
    expect(screen.getByText("Asset B")).toBeInTheDocument();
    expect(screen.getAllByRole("img", { name: "A lighthouse" })).toHaveLength(2);
    const overall = row(table, "Overall");
    expect(overall).toHaveClass("disagree");
    expect(within(overall).getAllByRole("cell").map((c) => c.textContent)).toEqual([
      "A much better (1)",
      "B better (4)",
      "—",
    ]);
    expect(row(table, "Quality")).not.toHaveClass("disagree");

    await user.click(screen.getByRole("button", { name: "Correct" }));
    const pref = screen.getByRole("combobox", { name: /Overall/ }) as HTMLSelectElement;
    expect(pref.value).toBe("1"); // a tie → the first annotator
    await user.selectOptions(pref, "3");
    await user.click(screen.getByRole("button", { name: "Save correction" }));
    await waitFor(() => expect(posts()).toHaveLength(1));
    expect(posts()[0]).toEqual({
      method: "POST",
      url: "/api/projects/7/tasks/201/review/",
      body: { preference: 3, dimension_preferences: { quality: 2 } },
    });
  });

  describe("gold checks (managers)", () => {
    const manager = () => {
      project = { ...PROJECT, my_role: "manager" };
    };
    const goldCalls = () => calls.filter((c) => c.url.includes("/gold-check/"));
    const status = () => document.querySelector(".review-status")!;

    it("reviewers get no gold-check controls and the page does not ask for them", async () => {
      const user = userEvent.setup();
      await ready();
      await user.click(screen.getByRole("button", { name: /Task 102/ }));
      await screen.findByTestId("gold-info");
      expect(screen.queryByRole("button", { name: /gold check/ })).toBeNull();
      expect(calls.some((c) => c.url.includes("gold-checks"))).toBe(false);
    });

    it("loads the gold checks once; a reviewed single task can become one", async () => {
      manager();
      const user = userEvent.setup();
      await ready();
      await waitFor(() =>
        expect(calls.filter((c) => c.url.startsWith("/api/projects/7/gold-checks/")).map((c) => c.url)).toEqual([
          "/api/projects/7/gold-checks/?limit=1000&offset=0",
        ]),
      );
      // Task 101 has no gold answer yet: nothing to copy.
      expect(screen.queryByRole("button", { name: /gold check/ })).toBeNull();

      await user.click(screen.getByRole("button", { name: /Task 102/ }));
      const use = await screen.findByRole("button", { name: "Use as gold check" });
      expect(screen.queryByText("Gold check")).toBeNull();
      await user.click(use);
      await waitFor(() => expect(goldCalls()).toHaveLength(1));
      expect(goldCalls()[0]).toEqual({
        method: "POST",
        url: "/api/projects/7/tasks/102/gold-check/",
        body: { from_gold_answer: true },
      });
      await waitFor(() => expect(status()).toHaveTextContent("Task 102 is now a gold check"));
      expect(status()).toHaveAttribute("role", "status");
      const stop = screen.getByRole("button", { name: "Stop using as gold check" });
      // The same button, so focus stays where it was.
      expect(stop).toHaveFocus();
      expect(within(screen.getByTestId("gold-check")).getByText("Gold check")).toBeInTheDocument();
      const nav = screen.getByRole("navigation", { name: "Review items" });
      expect(within(within(nav).getByRole("button", { name: /Task 102/ })).getByText("gold check")).toBeInTheDocument();
      // Still on the same item, still one list request for the gold checks.
      expect(screen.getByRole("heading", { level: 2, name: /Task 102/ })).toBeInTheDocument();
      expect(calls.filter((c) => c.url.includes("gold-checks"))).toHaveLength(1);
    });

    it("shows a gold check with its badge and stops using it", async () => {
      manager();
      goldCheckIds = [102];
      const user = userEvent.setup();
      await ready();
      const nav = screen.getByRole("navigation", { name: "Review items" });
      await within(within(nav).getByRole("button", { name: /Task 102/ })).findByText("gold check");
      await user.click(within(nav).getByRole("button", { name: /Task 102/ }));
      const controls = await screen.findByTestId("gold-check");
      expect(within(controls).getByText("Gold check")).toBeInTheDocument();
      await user.click(within(controls).getByRole("button", { name: "Stop using as gold check" }));
      await waitFor(() => expect(goldCalls()).toHaveLength(1));
      expect(goldCalls()[0]).toMatchObject({ method: "DELETE", url: "/api/projects/7/tasks/102/gold-check/" });
      await waitFor(() => expect(status()).toHaveTextContent("Task 102 is a normal task again; its annotations stay."));
      expect(within(controls).queryByText("Gold check")).toBeNull();
      expect(within(controls).getByRole("button", { name: "Use as gold check" })).toBeInTheDocument();
      expect(within(within(nav).getByRole("button", { name: /Task 102/ })).queryByText("gold check")).toBeNull();
    });

    it("a gold check set without a gold answer can still be stopped", async () => {
      manager();
      goldCheckIds = [101];
      await ready();
      const controls = await screen.findByTestId("gold-check");
      expect(within(controls).getByText("Gold check")).toBeInTheDocument();
      expect(within(controls).getByRole("button", { name: "Stop using as gold check" })).toBeInTheDocument();
    });

    it("a pair with a gold preference can become a pair gold check; one without cannot", async () => {
      manager();
      const gold = { ...ITEM_2.gold!, options: {}, answers: [], mask: [], preference: 2, dimension_preferences: {} };
      items = [{ ...PAIR_ITEM, gold }];
      const user = userEvent.setup();
      renderPage();
      await screen.findByRole("table", { name: /task 201/ });
      const use = await screen.findByRole("button", { name: "Use as gold check" });
      expect(screen.getByText(/The gold preference becomes the expected one/)).toBeInTheDocument();
      await user.click(use);
      await waitFor(() => expect(goldCalls()).toHaveLength(1));
      expect(goldCalls()[0]).toEqual({
        method: "POST",
        url: "/api/projects/7/tasks/201/gold-check/",
        body: { from_gold_answer: true },
      });
      await screen.findByRole("button", { name: "Stop using as gold check" });
    });

    it("a pair whose gold answer has no preference cannot be a gold check", async () => {
      manager();
      items = [{ ...PAIR_ITEM, gold: ITEM_2.gold }];
      renderPage();
      await screen.findByRole("table", { name: /task 201/ });
      await waitFor(() => expect(calls.some((c) => c.url.includes("gold-checks"))).toBe(true));
      expect(screen.queryByRole("button", { name: /gold check/ })).toBeNull();
    });

    it("shows a refusal as an alert and changes nothing", async () => {
      manager();
      goldCheckResponse = () =>
        json(
          {
            detail: "the gold answer of task 102 was made with another checklist version.",
            errors: { from_gold_answer: ["the gold answer uses another checklist version; send `options` instead"] },
          },
          400,
        );
      const user = userEvent.setup();
      await ready();
      await user.click(screen.getByRole("button", { name: /Task 102/ }));
      await user.click(await screen.findByRole("button", { name: "Use as gold check" }));
      expect(await screen.findByRole("alert")).toHaveTextContent(
        "the gold answer of task 102 was made with another checklist version.",
      );
      expect(screen.getByRole("button", { name: "Use as gold check" })).toBeEnabled();
      expect(screen.queryByText("Gold check")).toBeNull();
      expect(status().textContent).toBe("");
      // Another item starts without the previous item's error.
      await user.keyboard("k");
      expect(await screen.findByRole("heading", { level: 2, name: /Task 101/ })).toBeInTheDocument();
      expect(screen.queryByRole("alert")).toBeNull();
    });

    it("a gold check someone else stopped shows as a normal task", async () => {
      manager();
      goldCheckIds = [102];
      goldCheckResponse = () => json({ detail: "task 102 is not a gold check" }, 404);
      const user = userEvent.setup();
      await ready();
      await user.click(screen.getByRole("button", { name: /Task 102/ }));
      await user.click(await screen.findByRole("button", { name: "Stop using as gold check" }));
      await waitFor(() => expect(status()).toHaveTextContent("Task 102 was no longer a gold check."));
      expect(screen.getByRole("button", { name: "Use as gold check" })).toBeInTheDocument();
      expect(screen.queryByRole("alert")).toBeNull();
    });

    it("says when the gold checks cannot be loaded", async () => {
      manager();
      const fetchMock = vi.mocked(fetch);
      const inner = fetchMock.getMockImplementation()!;
      fetchMock.mockImplementation(async (input, init) =>
        String(input).includes("gold-checks") ? json({ detail: "Server error." }, 500) : inner(input, init),
      );
      await ready();
      expect(await screen.findByRole("alert")).toHaveTextContent("The gold checks could not be loaded: Server error.");
    });

    it("has no axe violations", async () => {
      manager();
      goldCheckIds = [102];
      const user = userEvent.setup();
      const { container } = renderPage();
      await screen.findByRole("table", { name: /task 101/ });
      const check = async () => {
        const results = await axe.run(container, { rules: { "color-contrast": { enabled: false } } });
        return results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
      };
      await user.click(screen.getByRole("button", { name: /Task 102/ }));
      await screen.findByRole("button", { name: "Stop using as gold check" });
      expect(await check()).toEqual([]);
      await user.click(screen.getByRole("button", { name: "Stop using as gold check" }));
      await screen.findByRole("button", { name: "Use as gold check" });
      expect(await check()).toEqual([]);
    });
  });
});
