import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import ProjectSettingsPage from "./ProjectSettingsPage";
import { SessionContext } from "../session";
import { SMALL } from "../test/fixtures";

const PROJECT = {
  id: 7,
  name: "Street photos",
  description: "",
  instructions: "Look closely.",
  media_type: "image",
  checklist_version: 1,
  overlap: 2,
  lease_seconds: 1800,
  pair_tasks: false,
  archived: false,
  my_role: "manager",
};
const version = (id: number, v: number) => ({
  id,
  key: "street",
  version: v,
  title: `Street v${v}`,
  media_type: "image",
  question_count: 5,
  sub_dimension_count: 3,
  content_hash: String(id),
  definition: SMALL,
  questions: [],
});
const PLAN = {
  applied: false,
  from: { id: 1, key: "street", version: 1, title: "Street v1" },
  to: { id: 2, key: "street", version: 2, title: "Street v2" },
  annotations: { total: 4, under_current: 4 },
  sub_dimensions: { kept: ["clarity"], changed: [], new: ["noise"], dropped: ["lighting"] },
  questions: { kept: ["q1"], changed: [], new: ["q9"], dropped: ["q3"] },
  tasks: { done: 2, unfinished: 5, drafts: 0, drafts_losing_answers: 0 },
  gold_checks: { total: 0, carried_over: 0, paused: 0 },
  gold_answers: 0,
  predictions: 0,
  consequences: ["The 4 annotations made with street v1 keep that version.", "2 finished tasks stay finished."],
};

type Call = { method: string; url: string; body: Record<string, unknown> | null };
let calls: Call[];
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

beforeEach(() => {
  calls = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string, init?: RequestInit) => {
      const method = init?.method ?? "GET";
      const body = init?.body ? JSON.parse(String(init.body)) : null;
      calls.push({ method, url, body });
      if (url === "/api/projects/7/" && method === "GET") return json(PROJECT);
      if (url === "/api/projects/7/" && method === "PATCH") {
        if (body.lease_seconds > 604800) return json({ detail: "x", errors: { lease_seconds: ["too long"] } }, 400);
        return json({ ...PROJECT, ...body });
      }
      if (url.startsWith("/api/checklists/?")) return json({ count: 2, next: null, previous: null, results: [version(2, 2), version(1, 1)] });
      if (url === "/api/checklists/1/") return json(version(1, 1));
      if (url === "/api/checklists/2/") return json(version(2, 2));
      if (url === "/api/projects/7/checklist/") return json({ ...PLAN, applied: body.confirm });
      return json({ detail: `unexpected ${method} ${url}` }, 500);
    }),
  );
});

afterEach(() => vi.unstubAllGlobals());

function renderPage(state?: { created: string }) {
  return render(
    <SessionContext.Provider value={{ user: { id: 1, username: "lead", is_staff: true }, logout: () => {} }}>
      <MemoryRouter initialEntries={[{ pathname: "/projects/7/settings", state }]}>
        <Routes>
          <Route path="/projects/:projectId/settings" element={<ProjectSettingsPage />} />
        </Routes>
      </MemoryRouter>
    </SessionContext.Provider>,
  );
}

describe("ProjectSettingsPage", () => {
  it("saves the fields of the form's steps", async () => {
    const user = userEvent.setup();
    renderPage();
    const name = await screen.findByLabelText("Name");
    expect(name).toHaveValue("Street photos");
    expect(screen.getByLabelText("Lease length (minutes)")).toHaveValue(30);
    await user.clear(name);
    await user.type(name, "Street photos, round 2");
    await user.click(screen.getByLabelText("Pair tasks"));
    await user.click(screen.getByRole("button", { name: "Save settings" }));
    expect(await screen.findByText("Settings saved.")).toHaveAttribute("role", "status");
    const patch = calls.find((c) => c.method === "PATCH")!;
    expect(patch.body).toMatchObject({ name: "Street photos, round 2", pair_tasks: true, overlap: 2, lease_seconds: 1800 });
    expect(patch.body).not.toHaveProperty("checklist_version");
  });

  it("links a just-created project's next steps: its assets, members and model", async () => {
    renderPage({ created: "Street photos" });
    const note = await screen.findByText(/created, with you as its manager/);
    expect(note).toHaveAttribute("role", "status");
    expect(within(note).getByRole("link", { name: "assets" })).toHaveAttribute("href", "/projects/7/assets");
    expect(within(note).getByRole("link", { name: "members" })).toHaveAttribute("href", "/projects/7/members");
    expect(within(note).getByRole("link", { name: "model" })).toHaveAttribute("href", "/projects/7/models");
  });

  it("states what a checklist change does before it is confirmed", async () => {
    const user = userEvent.setup();
    renderPage();
    expect(await screen.findByText(/In use:/)).toHaveTextContent("Street v1 (street v1), 5 questions.");
    const select = await screen.findByLabelText("Checklist for images");
    await screen.findByRole("option", { name: /Street v2/ });
    expect(within(select).queryByRole("option", { name: /street v1/ })).toBeNull();
    await user.selectOptions(select, "2");
    await user.click(screen.getByRole("button", { name: "See what changes" }));
    const plan = await screen.findByTestId("change-plan");
    expect(plan).toHaveFocus();
    expect(plan).toHaveTextContent("From street v1 to street v2: what happens");
    expect(plan).toHaveTextContent("The 4 annotations made with street v1 keep that version.");
    expect(plan).toHaveTextContent("Sub-dimensions newnoise");
    expect(plan).toHaveTextContent("Sub-dimensions droppedlighting");
    expect(calls.filter((c) => c.url.endsWith("/checklist/")).map((c) => c.body?.confirm)).toEqual([false]);
    await user.click(within(plan).getByRole("button", { name: "Change the checklist to street v2" }));
    expect(await screen.findByText(/The project now uses street v2/)).toHaveAttribute("role", "status");
    expect(calls.filter((c) => c.url.endsWith("/checklist/")).map((c) => c.body?.confirm)).toEqual([false, true]);
  });
});
