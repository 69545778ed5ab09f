import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import AnnotatePage from "./AnnotatePage";
import { renderAt } from "../test/render";
import { SKIP_REASONS } from "../components/SkipDialog";
import { storeLocalDraft } from "../work";
import type { Asset, Assignment, ChecklistVersion, PredictionSummary, Project } from "../types";
import { SMALL } from "../test/fixtures";


const PROJECT: Project = {
  id: 1,
  name: "Street photos batch 1",
  description: "",
  instructions: "",
  media_type: "image",
  checklist_version: 5,
  overlap: 1,
  lease_seconds: 1800,
  archived: false,
  my_role: "annotator",
};

const CHECKLIST: ChecklistVersion = {
  id: 5,
  key: "street-photos",
  version: 1,
  title: "Street photos",
  media_type: "image",
  content_hash: "abc",
  question_count: 5,
  sub_dimension_count: 3,
  definition: SMALL,
  questions: [],
};

function imageAsset(id: number, prompt: string): Asset {
  return {
    id,
    project: 1,
    kind: "image",
    status: "ready",
    failure_reason: "",
    original_name: `${id}.png`,
    prompt,
    width: 512,
    height: 512,
    duration_seconds: null,
    fps: null,
    frame_count: null,
    import_job_id: 1,
    urls: { original: `/media/${id}/original.png`, frames: [] },
  };
}

function assignment(id: number, taskId: number, extra: Partial<Assignment> = {}): Assignment {
  return {
    id,
    project: 1,
    checklist_version: 5,
    task: {
      id: taskId,
      project: 1,
      kind: "single",
      asset: imageAsset(taskId + 1000, `street ${taskId}`),
      asset_b: null,
      required: 1,
      assigned_count: 1,
      submitted_count: 0,
      status: "open",
      priority: 0,
    },
    state: "active",
    leased_at: "2025-03-01T12:00:00Z",
    expires_at: "2025-03-01T12:30:00Z",
    finished_at: null,
    skip_reason: "",
    draft: {},
    draft_saved_at: null,
    annotation: null,
    prediction: null,
    ...extra,
  };
}

const PREDICTION: PredictionSummary = {
  id: 3,
  model_name: "vr-judge",
  model_version: "1.2",
  created_at: "2025-03-01T11:00:00Z",
  options: {
    clarity: { option: 1, confidence: 0.8 },
    lighting: { option: 0, confidence: 0.6 },
    lighting_beauty: { option: 1, confidence: 0.7 },
  },
};

// --- a fake server --------------------------------------------------------------------------------

interface Call {
  url: string;
  method: string;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
const noContent = () => new Response(null, { status: 204 });

type NextHandler = (call: Call) => Response | Promise<Response>;

/**
 * Answers the API by method and URL. `next` answers the successive POSTs to tasks/next/ (the last
 * one repeats): by default assignment 11 (task 101), then 12 (task 102), then 204.
 */
function serve({
  first = assignment(11, 101),
  next,
  project = PROJECT,
}: { first?: Assignment; next?: NextHandler[]; project?: Project } = {}) {
  const calls: Call[] = [];
  const byId = new Map<number, Assignment>([
    [first.id, first],
    [12, assignment(12, 102)],
  ]);
  const nextHandlers: NextHandler[] = next ?? [() => json(first), () => json(byId.get(12)), noContent];
  let nextCount = 0;
  let annotationId = 900;
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const call: Call = {
      url: String(input),
      method: init?.method ?? "GET",
      body: typeof init?.body === "string" ? JSON.parse(init.body) : undefined,
    };
    calls.push(call);
    const { url, method } = call;
    if (method === "GET" && url === "/api/projects/1/") return json(project);
    if (method === "GET" && url === "/api/checklists/5/") return json(CHECKLIST);
    if (method === "POST" && url === "/api/projects/1/tasks/next/") {
      const handler = nextHandlers[Math.min(nextCount, nextHandlers.length - 1)];
      nextCount += 1;
      return handler(call);
    }
    const m = url.match(/^\/api\/assignments\/(\d+)\/(draft|submit|skip|heartbeat)\/$/);
    const a = m ? byId.get(Number(m[1])) : undefined;
    if (m && a) {
      if (method === "PUT" && m[2] === "draft") return json({ ...a, draft: call.body, draft_saved_at: new Date().toISOString() });
      if (method === "POST" && m[2] === "submit") return json({ id: annotationId++ });
      if (method === "POST" && m[2] === "skip") return json({ ...a, state: "skipped", skip_reason: call.body.reason });
      if (method === "POST" && m[2] === "heartbeat") return json(a);
    }
    return json({ detail: `no route for ${method} ${url}` }, 404);
  });
  vi.stubGlobal("fetch", fetchMock);
  const find = (method: string, url: string | RegExp) =>
    calls.filter((c) => c.method === method && (typeof url === "string" ? c.url === url : url.test(c.url)));
  return {
    calls,
    find,
    nextCalls: () => find("POST", "/api/projects/1/tasks/next/"),
    submits: () => find("POST", /\/submit\/$/),
  };
}

function renderPage() {
  return renderAt("/projects/1/annotate", "/projects/:projectId/annotate", <AnnotatePage />);
}

const screenOf = () => screen.getByTestId("annotate");
const chosen = (key: string) => screen.getByTestId(`row-${key}`).getAttribute("data-chosen");

async function showing(assignmentId: number) {
  await waitFor(() => expect(screenOf()).toHaveAttribute("data-assignment-id", String(assignmentId)));
}

/** Wait until the task after `holding` was fetched ahead (and its answer handled). */
async function fetchedAhead(server: ReturnType<typeof serve>, holding: number) {
  await waitFor(() => expect(server.nextCalls().some((c) => c.body?.exclude?.[0] === holding)).toBe(true));
  await act(() => new Promise((r) => setTimeout(r, 0)));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// jsdom has no <dialog> methods.
const proto = HTMLDialogElement.prototype as Partial<HTMLDialogElement>;
const original = { showModal: proto.showModal, close: proto.close };
beforeAll(() => {
  proto.showModal = function (this: HTMLDialogElement) {
    this.setAttribute("open", "");
  };
  proto.close = function (this: HTMLDialogElement) {
    this.removeAttribute("open");
  };
});
afterAll(() => {
  proto.showModal = original.showModal;
  proto.close = original.close;
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

// --- tests ---------------------------------------------------------------------------------------------

describe("AnnotatePage", () => {
  it("loads the project's checklist and the first task, and fetches the next one ahead", async () => {
    const server = serve();
    renderPage();
    await showing(11);
    expect(screenOf()).toHaveAttribute("data-task-id", "101");
    expect(screen.getByTestId("prompt")).toHaveTextContent("street 101");
    expect(screen.getByRole("img", { name: "street 101" })).toHaveAttribute("src", "/media/1101/original.png");
    expect(screen.getAllByRole("radiogroup")).toHaveLength(3);
    expect(screen.getByTestId("answered-count")).toHaveTextContent("0/3 answered");
    expect(screen.getByTestId("submit")).toBeDisabled();
    // The first unanswered row has the keyboard.
    expect(screen.getByTestId("row-clarity")).toHaveClass("focused");

    await fetchedAhead(server, 11);
    expect(server.nextCalls().map((c) => c.body)).toEqual([{}, { exclude: [11] }]);
  });

  it("answers with number keys in order and submits with Enter, then shows the next task at once", async () => {
    const user = userEvent.setup();
    const server = serve();
    renderPage();
    await showing(11);
    await fetchedAhead(server, 11);

    await user.keyboard("1");
    expect(chosen("clarity")).toBe("2");
    expect(screen.getByTestId("row-lighting")).toHaveClass("focused");
    await user.keyboard("1");
    expect(chosen("lighting")).toBe("2");
    expect(screen.getByTestId("row-lighting_beauty")).toHaveClass("focused");
    await user.keyboard("1");
    expect(chosen("lighting_beauty")).toBe("1");
    expect(screen.getByTestId("answered-count")).toHaveTextContent("3/3 answered");
    expect(screen.getByTestId("submit")).toBeEnabled();
    expect(server.submits()).toHaveLength(0);

    await user.keyboard("{Enter}");
    // The task fetched ahead is on screen at once: no loading, no click.
    expect(screenOf()).toHaveAttribute("data-assignment-id", "12");
    expect(screenOf()).toHaveAttribute("data-task-id", "102");
    expect(screen.getByTestId("prompt")).toHaveTextContent("street 102");
    expect(chosen("clarity")).toBe("");
    expect(screen.getByTestId("row-clarity")).toHaveClass("focused");
    expect(screen.queryByTestId("draft-restored")).not.toBeInTheDocument();

    await waitFor(() => expect(server.submits()).toHaveLength(1));
    const [submit] = server.submits();
    expect(submit.url).toBe("/api/assignments/11/submit/");
    expect(submit.body.options).toEqual({ clarity: 2, lighting: 2, lighting_beauty: 1 });
    expect(submit.body.client_id).toMatch(UUID);
    expect(submit.body.comment).toBe("");
    expect(submit.body.time_spent_ms).toEqual(expect.any(Number));
    // Once it lands the session counter goes up.
    await waitFor(() => expect(screen.getByTestId("session-count")).toHaveTextContent("1 done"));
    // Autosave of the submitted task stopped: no draft PUT after the submit.
    expect(server.find("PUT", "/api/assignments/11/draft/").every((c) => server.calls.indexOf(c) < server.calls.indexOf(submit))).toBe(true);
  });

  it("does not submit an incomplete checklist and says what is missing", async () => {
    const user = userEvent.setup();
    const server = serve();
    renderPage();
    await showing(11);

    await user.keyboard("{Enter}");
    expect(screen.getByRole("alert")).toHaveTextContent("Answer 3 more before submitting: Clarity, Lighting, Lighting beauty");

    await user.keyboard("1");
    expect(screen.queryByRole("alert")).not.toBeInTheDocument(); // answering clears the message
    await user.keyboard("{Enter}");
    expect(screen.getByRole("alert")).toHaveTextContent("Answer 2 more before submitting: Lighting, Lighting beauty");
    expect(screen.getByTestId("row-lighting")).toHaveClass("focused");

    expect(server.submits()).toHaveLength(0);
    expect(screenOf()).toHaveAttribute("data-assignment-id", "11");
    expect(screen.getByTestId("submit")).toBeDisabled();
  });

  it("makes the gated sub-dimension not applicable when 'no lighting' is chosen: complete with 2 answers", async () => {
    const user = userEvent.setup();
    const server = serve();
    renderPage();
    await showing(11);

    await user.keyboard("1"); // clarity: very clear
    await user.keyboard("3"); // lighting: no lighting (not present)
    expect(chosen("lighting")).toBe("0");
    const beauty = screen.getByTestId("row-lighting_beauty");
    expect(beauty).toHaveTextContent("not applicable");
    expect(within(beauty).queryAllByRole("radio")).toHaveLength(0);
    expect(screen.getByTestId("submit")).toBeEnabled();

    await user.keyboard("{Enter}");
    await waitFor(() => expect(server.submits()).toHaveLength(1));
    expect(server.submits()[0].body.options).toEqual({ clarity: 2, lighting: 0 });
  });

  it("drops the gated answer when lighting is changed to 'no lighting' afterwards", async () => {
    const user = userEvent.setup();
    serve();
    renderPage();
    await showing(11);
    await user.keyboard("111");
    expect(chosen("lighting_beauty")).toBe("1");
    await user.keyboard("k"); // back to lighting
    expect(screen.getByTestId("row-lighting")).toHaveClass("focused");
    await user.keyboard("3");
    expect(chosen("lighting_beauty")).toBe("");
    expect(screen.getByTestId("row-lighting_beauty")).toHaveTextContent("not applicable");
  });

  it("moves with arrows and j/k, changes with left/right and clears with Backspace", async () => {
    const user = userEvent.setup();
    serve();
    renderPage();
    await showing(11);
    await user.keyboard("{ArrowDown}");
    expect(screen.getByTestId("row-lighting")).toHaveClass("focused");
    await user.keyboard("j");
    expect(screen.getByTestId("row-lighting_beauty")).toHaveClass("focused");
    await user.keyboard("j"); // stays on the last row
    expect(screen.getByTestId("row-lighting_beauty")).toHaveClass("focused");
    await user.keyboard("{ArrowUp}{ArrowUp}");
    expect(screen.getByTestId("row-clarity")).toHaveClass("focused");

    await user.keyboard("{ArrowRight}"); // first option when none is chosen
    expect(chosen("clarity")).toBe("2");
    await user.keyboard("{ArrowRight}{ArrowRight}");
    expect(chosen("clarity")).toBe("0");
    await user.keyboard("{ArrowLeft}");
    expect(chosen("clarity")).toBe("1");
    expect(screen.getByTestId("row-clarity")).toHaveClass("focused"); // arrows do not advance

    await user.keyboard("{Backspace}");
    expect(chosen("clarity")).toBe("");
  });

  it("accepts the model's pre-fill with `a` and submits it with Enter", async () => {
    const user = userEvent.setup();
    const server = serve({ first: assignment(11, 101, { prediction: PREDICTION }) });
    renderPage();
    await showing(11);
    expect(screen.getByText(/Pre-filled by vr-judge/)).toBeInTheDocument();
    expect(within(screen.getByTestId("row-clarity")).getByText(/model:/)).toHaveTextContent("model: clear 80%");

    await user.keyboard("a");
    expect(chosen("clarity")).toBe("1");
    expect(chosen("lighting")).toBe("0");
    expect(screen.getByTestId("row-lighting_beauty")).toHaveTextContent("not applicable");
    expect(screen.getByTestId("announce")).toHaveTextContent("Pre-fill accepted; press Enter to submit.");

    await user.keyboard("{Enter}");
    await waitFor(() => expect(server.submits()).toHaveLength(1));
    expect(server.submits()[0].body.options).toEqual({ clarity: 1, lighting: 0 });
    await showing(12);
  });

  it("accepts only the guesses at or above the project's threshold and marks the uncertain rows", async () => {
    const user = userEvent.setup();
    // clarity 80% is confident at 0.75; lighting 60% is not (and its gated row waits on it)
    serve({ first: assignment(11, 101, { prediction: PREDICTION }), project: { ...PROJECT, accept_threshold: 0.75 } });
    renderPage();
    await showing(11);
    await waitFor(() =>
      expect(screen.getByTestId("prefill-note")).toHaveTextContent(
        'press a to accept the 1 guess at or above 75% confidence; 2 uncertain, marked "uncertain — check", stay for you.',
      ),
    );
    expect(screen.getByTestId("uncertain-lighting")).toHaveTextContent("uncertain — check");
    expect(screen.queryByTestId("uncertain-clarity")).not.toBeInTheDocument();
    // the mark is words, and it describes the row for screen readers
    expect(screen.getByRole("radiogroup", { name: "Lighting" })).toHaveAccessibleDescription(/uncertain — check/);
    expect(screen.getByTestId("row-lighting")).toHaveClass("uncertain");

    await user.keyboard("a");
    expect(chosen("clarity")).toBe("1");
    expect(chosen("lighting")).toBe("");
    expect(screen.getByTestId("accept-note")).toHaveTextContent("Accepted 1 guess; 2 left for you (2 uncertain — check).");
    expect(screen.getByTestId("announce")).toHaveTextContent("Accepted 1 guess; 2 left for you (2 uncertain — check).");
    expect(screen.getByTestId("row-lighting")).toHaveFocus(); // the first one to check
    expect(screen.getByTestId("prefill-note")).toHaveTextContent(
      'no guess at or above 75% confidence is left to accept; 2 uncertain, marked "uncertain — check", for you to check.',
    );
    expect(screen.getByTestId("submit")).toBeDisabled();
    await user.keyboard("?");
    expect(screen.getByTestId("help")).toHaveTextContent("a accept pre-fill at ≥ 75%");
  });

  it("keeps the annotator's own choices when the pre-fill is accepted", async () => {
    const user = userEvent.setup();
    serve({ first: assignment(11, 101, { prediction: PREDICTION }) });
    renderPage();
    await showing(11);
    await user.keyboard("3"); // clarity: blurry
    await user.keyboard("2"); // lighting: ordinary
    await user.keyboard("a");
    expect(chosen("clarity")).toBe("0");
    expect(chosen("lighting")).toBe("1");
    expect(chosen("lighting_beauty")).toBe("1"); // the model's guess for the still-open row
  });

  it("restores a draft saved on the server and says so", async () => {
    const user = userEvent.setup();
    const server = serve({
      first: assignment(11, 101, { draft: { options: { clarity: 0 }, comment: "" }, draft_saved_at: "2025-03-01T12:05:00Z" }),
    });
    renderPage();
    await showing(11);
    expect(screen.getByTestId("draft-restored")).toHaveTextContent("Your draft was restored (from the server).");
    expect(chosen("clarity")).toBe("0");
    // The keyboard starts at the first unanswered row.
    expect(screen.getByTestId("row-lighting")).toHaveClass("focused");
    expect(screen.getByTestId("announce")).toHaveTextContent("Task 101 loaded with your saved draft.");

    await user.keyboard("2"); // lighting: ordinary
    expect(chosen("lighting")).toBe("1");
    // The change is saved (debounced) to the server, with the restored answer.
    await waitFor(() => expect(server.find("PUT", "/api/assignments/11/draft/")).toHaveLength(1), { timeout: 3000 });
    expect(server.find("PUT", "/api/assignments/11/draft/")[0].body).toEqual({ options: { clarity: 0, lighting: 1 }, comment: "" });
    await waitFor(() => expect(screen.getByTestId("save-state")).toHaveTextContent("Saved"), { timeout: 3000 });
  });

  it("restores a newer draft from this device and pushes it to the server", async () => {
    storeLocalDraft(11, {
      answer: { options: { clarity: 1, lighting: 2 }, preference: null, dimension_preferences: {}, comment: "" },
      savedAt: Date.parse("2025-03-01T12:10:00Z"),
      synced: false,
    });
    const server = serve({
      first: assignment(11, 101, { draft: { options: { clarity: 0 } }, draft_saved_at: "2025-03-01T12:05:00Z" }),
    });
    renderPage();
    await showing(11);
    expect(screen.getByTestId("draft-restored")).toHaveTextContent("from this device");
    expect(chosen("clarity")).toBe("1");
    expect(chosen("lighting")).toBe("2");
    expect(screen.getByTestId("row-lighting_beauty")).toHaveClass("focused");
    await waitFor(() => expect(server.find("PUT", "/api/assignments/11/draft/")).toHaveLength(1), { timeout: 3000 });
    expect(server.find("PUT", "/api/assignments/11/draft/")[0].body.options).toEqual({ clarity: 1, lighting: 2 });
  });

  it("opens the skip dialog with `s` and skips with the chosen reason", async () => {
    const user = userEvent.setup();
    const server = serve();
    renderPage();
    await showing(11);
    await fetchedAhead(server, 11);

    await user.keyboard("s");
    const dialog = screen.getByRole("dialog", { name: "Skip this task" });
    // Number keys in the dialog pick a reason, not a checklist option.
    await user.keyboard("2");
    expect(within(dialog).getByRole("radio", { name: new RegExp(SKIP_REASONS[1]) })).toBeChecked();
    expect(chosen("clarity")).toBe("");

    await user.click(within(dialog).getByRole("button", { name: /Skip task/ }));
    await waitFor(() => expect(server.find("POST", "/api/assignments/11/skip/")).toHaveLength(1));
    expect(server.find("POST", "/api/assignments/11/skip/")[0].body).toEqual({ reason: SKIP_REASONS[1] });
    await showing(12);
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(server.submits()).toHaveLength(0);
  });

  it("closes the skip dialog on Cancel without skipping", async () => {
    const user = userEvent.setup();
    const server = serve();
    renderPage();
    await showing(11);
    await user.keyboard("s");
    await user.click(within(screen.getByRole("dialog")).getByRole("button", { name: /Cancel/ }));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(server.find("POST", /\/skip\/$/)).toHaveLength(0);
    // The keys work again.
    await user.keyboard("1");
    expect(chosen("clarity")).toBe("2");
  });

  it("says so when no task is left", async () => {
    serve({ next: [noContent] });
    renderPage();
    expect(await screen.findByTestId("no-more-tasks")).toHaveTextContent("Nothing left for you here");
  });

  it("shows the last task's submit through and then that nothing is left", async () => {
    const user = userEvent.setup();
    const server = serve({ next: [() => json(assignment(11, 101)), noContent] });
    renderPage();
    await showing(11);
    await user.keyboard("111{Enter}");
    expect(await screen.findByTestId("no-more-tasks")).toBeInTheDocument();
    await waitFor(() => expect(server.submits()).toHaveLength(1));
  });

  // Enter pressed while the fetch-ahead request is still on its way: the page waits for that
  // answer instead of racing it with a claim of its own (the server would hand back the same
  // live lease, and the task would be shown twice).
  it("never shows a task again after it was submitted, even when Enter beats the fetch-ahead", async () => {
    const user = userEvent.setup();
    let releaseAhead!: () => void;
    const server = serve({
      next: [
        () => json(assignment(11, 101)),
        () => new Promise<Response>((resolve) => (releaseAhead = () => resolve(json(assignment(12, 102))))),
        noContent,
        noContent,
      ],
    });
    renderPage();
    await showing(11);
    await waitFor(() => expect(server.nextCalls()).toHaveLength(2)); // the fetch-ahead is in flight

    await user.keyboard("111{Enter}");
    await act(async () => {
      releaseAhead();
      await new Promise((r) => setTimeout(r, 0));
    });
    await showing(12);
    // No claim raced the fetch-ahead: every call after the first excludes the task on screen.
    expect(server.nextCalls().map((c) => c.body)).toEqual([{}, { exclude: [11] }, { exclude: [12] }]);

    await user.keyboard("111{Enter}");
    await waitFor(() => expect(server.submits()).toHaveLength(2));
    expect(await screen.findByTestId("no-more-tasks")).toBeInTheDocument();
    expect(screen.queryByTestId("annotate")).toBeNull();
  });

  // The heartbeat timer must not restart on every answer change, or a busy annotator would never
  // send one and the lease of the task fetched ahead (renewed by nothing else) would run out.
  it("keeps the lease of the task fetched ahead alive while the annotator keeps working", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true, toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    // lease 60 s: heartbeat every 20 s.
    const server = serve();
    const project = { ...PROJECT, lease_seconds: 60 };
    const inner = globalThis.fetch;
    vi.stubGlobal(
      "fetch",
      vi.fn((input: RequestInfo | URL, init?: RequestInit) =>
        String(input) === "/api/projects/1/" ? Promise.resolve(json(project)) : inner(input, init),
      ),
    );
    renderPage();
    await showing(11);
    await fetchedAhead(server, 11);

    // Change an answer every 10 s for 90 s (longer than the lease).
    for (let i = 0; i < 9; i++) {
      await user.keyboard(i % 2 ? "{ArrowLeft}" : "{ArrowRight}");
      await act(async () => {
        vi.advanceTimersByTime(10_000);
      });
    }
    expect(server.find("POST", "/api/assignments/12/heartbeat/").length).toBeGreaterThan(0);
  });
});
