import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import axe from "axe-core";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SessionContext } from "../session";
import ModelsPage from "./ModelsPage";

const PROJECT = { id: 7, name: "Street photos", media_type: "image", checklist_version: 3, my_role: "manager", archived: false };
const LLAVA = {
  name: "tiny-llava",
  title: "",
  source: "/models/tiny-llava",
  revision: "",
  dtype: "float32",
  device: "cpu",
  queue: "default",
  batch_size: 8,
  max_frames: 8,
  trust_remote_code: false,
  enabled: true,
  notes: "",
  updated_at: "2025-12-09T08:00:00Z",
  last_check_at: "2025-12-09T09:00:00Z",
  last_check_ok: true,
  last_check_message: "model tiny-llava loads in 0.4 s and answers (P(yes) 0.512 on a generated image)",
};
const BROKEN = { ...LLAVA, name: "broken", source: "/models/none", last_check_ok: null, last_check_at: null, last_check_message: "" };

interface Call {
  method: string;
  url: string;
  body: unknown;
}
let calls: Call[];
let active: { model: string | null; auto_prefill: boolean | null };
let jobs: Record<number, unknown[]>;
let createAnswer: { status: number; body: unknown };

const json = (data: unknown, status = 200) =>
  new Response(JSON.stringify(data), { status, headers: { "Content-Type": "application/json" } });
const page = (results: unknown[]) => ({ count: results.length, next: null, previous: null, results });

beforeEach(() => {
  calls = [];
  active = { model: null, auto_prefill: null };
  jobs = {};
  createAnswer = { status: 400, body: { name: ["model with this name already exists."] } };
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      const method = init?.method ?? "GET";
      const body = init?.body ? JSON.parse(String(init.body)) : undefined;
      calls.push({ method, url, body });
      if (url === "/api/projects/7/") return json(PROJECT);
      if (url === "/api/checklists/3/") return json({ id: 3, question_count: 59 });
      if (url === "/api/models/?limit=100") return json(page([BROKEN, LLAVA]));
      if (url === "/api/models/" && method === "POST") return json(createAnswer.body, createAnswer.status);
      if (url === "/api/projects/7/model/" && method === "GET") return json({ project: 7, spec: null, updated_by: null, updated_at: null, ...active });
      if (url === "/api/projects/7/model/" && method === "PUT") {
        active = { model: body.model, auto_prefill: body.auto_prefill };
        return json({ project: 7, spec: null, updated_by: "mona", updated_at: "2025-12-09T10:00:00Z", ...active });
      }
      if (url.startsWith("/api/projects/7/predictions/?model_name=tiny-llava")) return json({ count: 12, next: null, previous: null, results: [] });
      if (url.startsWith("/api/jobs/?project=7")) return json(page([]));
      if (url === "/api/models/broken/test-load/") {
        jobs[80] = [
          { id: 80, kind: "model_check", state: "succeeded", progress: 1, message: "model broken does not load: no config.json in /models/none", params: { model: "broken" }, result: { ok: false, error: "no config.json in /models/none" } },
        ];
        return json({ id: 80, kind: "model_check", state: "queued", progress: 0, message: "queued", created_at: "" }, 202);
      }
      if (url === "/api/projects/7/prefill/") {
        jobs[90] = [
          { id: 90, kind: "prefill", state: "running", progress: 0.5, message: "5/10: 5 predicted, 0 skipped, 0 failed", params: { asset_count: 10 }, started_at: new Date(Date.now() - 60000).toISOString(), cancel_requested: false },
        ];
        return json({ id: 90, kind: "prefill", state: "queued", progress: 0, message: "queued: 10 asset(s) for model tiny-llava", params: { asset_count: 10 }, created_at: "" }, 202);
      }
      if (url === "/api/jobs/90/cancel/") {
        jobs[90] = [{ id: 90, kind: "prefill", state: "cancelled", progress: 0.6, message: "6/10: 6 predicted, 0 skipped, 0 failed", params: { asset_count: 10 } }];
        return json(jobs[90][0]);
      }
      const m = url.match(/^\/api\/jobs\/(\d+)\/$/);
      if (m && jobs[Number(m[1])]) {
        const list = jobs[Number(m[1])];
        return json(list.length > 1 ? list.shift() : list[0]);
      }
      return json({ detail: `unexpected ${method} ${url}` }, 404);
    }),
  );
});

afterEach(() => vi.unstubAllGlobals());

function renderPage(staff: boolean) {
  return render(
    <SessionContext.Provider value={{ user: { id: 1, username: staff ? "root" : "mona", is_staff: staff }, logout: () => undefined }}>
      <MemoryRouter initialEntries={["/projects/7/models"]}>
        <Routes>
          <Route path="/projects/:projectId/models" element={<ModelsPage pollMs={5} />} />
        </Routes>
      </MemoryRouter>
    </SessionContext.Provider>,
  );
}

describe("ModelsPage", () => {
  it("lists the registry with each model's last test load; staff register, with field errors, and test-load", async () => {
    const user = userEvent.setup();
    renderPage(true);
    const llava = await screen.findByTestId("model-tiny-llava");
    expect(within(llava).getByText("loads")).toBeInTheDocument();
    expect(within(llava).getByText(/loads in 0.4 s and answers/)).toBeInTheDocument();
    expect(within(screen.getByTestId("model-broken")).getByText("never tested")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Register a model" }));
    const form = screen.getByRole("form", { name: "Register a model" });
    await user.type(within(form).getByLabelText("Name"), "tiny llava");
    await user.clear(within(form).getByLabelText("Batch size"));
    await user.type(within(form).getByLabelText("Batch size"), "600");
    await user.click(within(form).getByRole("button", { name: "Register model" }));
    expect(within(form).getByLabelText("Name")).toHaveAccessibleDescription(/Letters, digits, - and _ only/);
    expect(within(form).getByLabelText("Hub id or local path")).toHaveAccessibleDescription(/A Hub id \(owner\/name\) or a folder/);
    expect(within(form).getByLabelText("Batch size")).toHaveAccessibleDescription(/A whole number from 1 to 512/);
    expect(within(form).getByLabelText("Name")).toHaveFocus();
    expect(calls.some((c) => c.url === "/api/models/" && c.method === "POST")).toBe(false);

    await user.clear(within(form).getByLabelText("Name"));
    await user.type(within(form).getByLabelText("Name"), "tiny-llava");
    await user.type(within(form).getByLabelText("Hub id or local path"), "/models/tiny-llava");
    await user.clear(within(form).getByLabelText("Batch size"));
    await user.type(within(form).getByLabelText("Batch size"), "8");
    await user.click(within(form).getByRole("checkbox", { name: /Run the source's own code/ }));
    await user.click(within(form).getByRole("button", { name: "Register model" }));
    expect(within(form).getByRole("checkbox", { name: /I confirm that \/models\/tiny-llava may run its own code/ })).toHaveAccessibleDescription(
      /Confirm that this source may run its own code/,
    );
    await user.click(within(form).getByRole("checkbox", { name: /I confirm/ }));
    await user.click(within(form).getByRole("button", { name: "Register model" }));
    await waitFor(() => expect(within(form).getByLabelText("Name")).toHaveAccessibleDescription(/already exists/));
    const sent = calls.find((c) => c.url === "/api/models/" && c.method === "POST")!.body as Record<string, unknown>;
    expect(sent).toMatchObject({ name: "tiny-llava", source: "/models/tiny-llava", batch_size: 8, trust_remote_code: true, confirm_trust_remote_code: true });
    const results = await axe.run(document.body);
    expect(results.violations.filter((v) => v.impact === "serious" || v.impact === "critical")).toEqual([]);

    await user.click(screen.getByRole("button", { name: "Test-load broken" }));
    expect(await within(screen.getByTestId("model-broken")).findByRole("alert")).toHaveTextContent(
      "Test load failed: no config.json in /models/none",
    );
  });

  it("a manager sets the active model, pre-fills new assets only, watches the rate and cancels", async () => {
    const user = userEvent.setup();
    renderPage(false);
    await screen.findByRole("heading", { name: "Street photos: models and pre-fill" });
    expect(screen.queryByRole("button", { name: "Register a model" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Test-load/ })).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Start pre-fill" })).toBeDisabled();

    await user.selectOptions(screen.getByLabelText("Model"), "tiny-llava");
    await user.click(screen.getByRole("button", { name: "Use this model" }));
    expect(await screen.findByText(/tiny-llava is the project's model; new imports are pre-filled/)).toBeInTheDocument();
    expect(calls.find((c) => c.method === "PUT")!.body).toEqual({ model: "tiny-llava", auto_prefill: true });
    expect(await screen.findByTestId("prediction-count")).toHaveTextContent("Predictions by tiny-llava: 12");

    expect(screen.getByLabelText(/New assets only/)).toBeChecked();
    await user.click(screen.getByRole("button", { name: "Start pre-fill with tiny-llava" }));
    const progress = await screen.findByTestId("prefill-progress");
    await within(progress).findByText("5 of 10");
    expect(calls.find((c) => c.url === "/api/projects/7/prefill/")!.body).toEqual({ only_missing: true });
    expect(within(progress).getByText("295")).toBeInTheDocument(); // 5 assets × 59 questions
    expect(within(progress).getByText(/assets\/min/)).toBeInTheDocument();
    await user.click(within(progress).getByRole("button", { name: "Cancel pre-fill" }));
    expect(await screen.findByText("Pre-fill job #90 was cancelled.")).toBeInTheDocument();
    expect(calls.some((c) => c.url === "/api/jobs/90/cancel/" && c.method === "POST")).toBe(true);
  });
});
