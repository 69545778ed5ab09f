import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import axe from "axe-core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import NewProjectPage from "./NewProjectPage";
import { SessionContext } from "../session";
import { SMALL } from "../test/fixtures";
import type { User } from "../types";

const BUILTIN = {
  id: 1,
  key: "visionreward-image",
  version: 1,
  title: "VisionReward image",
  media_type: "image",
  builtin: true,
  question_count: 5,
  sub_dimension_count: 3,
  content_hash: "a",
  definition: SMALL,
  questions: [],
};

const PREVIEW = {
  filename: "lab.yaml",
  key: "street-photos",
  title: "Street photos",
  media_type: "image",
  content_hash: "b",
  question_count: 5,
  sub_dimension_count: 3,
  definition: SMALL,
  questions: [],
  existing: null,
  version: 1,
};

const BAD = "key: street-photos\ntitle: Street photos\nmedia_typ: image\n";

type Call = { method: string; url: string; body: Record<string, unknown> | null };
let calls: Call[];
let createAnswers: Response[];

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

beforeEach(() => {
  calls = [];
  createAnswers = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string, init?: RequestInit) => {
      const method = init?.method ?? "GET";
      const body = init?.body ? JSON.parse(String(init.body)) : null;
      calls.push({ method, url, body });
      if (url.startsWith("/api/checklists/?media_type=image"))
        return json({ count: 1, next: null, previous: null, results: [BUILTIN] });
      if (url.startsWith("/api/checklists/?")) return json({ count: 0, next: null, previous: null, results: [] });
      if (url === "/api/checklists/1/") return json(BUILTIN);
      if (url === "/api/checklists/validate/") {
        if (String(body.content).includes("media_typ:"))
          return json(
            {
              detail: "lab.yaml has 2 problem(s)",
              errors: {
                file: [
                  { path: "media_typ", message: "unknown field (did you mean 'media_type'?)", line: 3, column: 1 },
                  { path: "", message: "required field media_type is missing", line: 1, column: 1 },
                ],
              },
            },
            400,
          );
        return json(PREVIEW);
      }
      if (url === "/api/checklists/" && method === "POST") return json({ ...BUILTIN, id: 8, key: "street-photos" }, 201);
      if (url === "/api/projects/" && method === "POST") return createAnswers.shift() ?? json({ id: 42, name: body.name }, 201);
      return json({ detail: `unexpected ${method} ${url}` }, 500);
    }),
  );
});

afterEach(() => vi.unstubAllGlobals());

function renderPage(user: Partial<User> = {}) {
  const session = {
    user: { id: 1, username: "lead", is_staff: false, can_create_projects: true, can_load_checklists: true, ...user },
    logout: () => {},
  };
  return render(
    <SessionContext.Provider value={session}>
      <MemoryRouter initialEntries={["/projects/new"]}>
        <Routes>
          <Route path="/projects/new" element={<NewProjectPage />} />
          <Route path="/projects/:id/settings" element={<p>settings page</p>} />
        </Routes>
      </MemoryRouter>
    </SessionContext.Provider>,
  );
}

const next = () => userEvent.click(screen.getByRole("button", { name: "Next" }));
const stepTitle = () => screen.getByRole("heading", { level: 2 }).textContent;

describe("NewProjectPage", () => {
  it("refuses users who may not create projects", () => {
    renderPage({ can_create_projects: false });
    expect(screen.getByRole("alert")).toHaveTextContent("Only admins and users allowed to create projects");
  });

  it("checks each step, keeps values on Back, lists an upload's problems by line and creates the project", async () => {
    const user = userEvent.setup();
    renderPage();
    expect(stepTitle()).toBe("Step 1 of 6: Name");
    await next();
    const name = screen.getByLabelText("Name");
    expect(name).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByText("Give the project a name.")).toBeInTheDocument();
    await user.type(name, "Street study");
    await next();
    expect(stepTitle()).toBe("Step 2 of 6: Media type");
    expect(screen.getByRole("heading", { level: 2 })).toHaveFocus();
    expect(screen.getByLabelText(/Images/)).toBeChecked();
    await user.click(screen.getByRole("button", { name: "Back" }));
    expect(screen.getByLabelText("Name")).toHaveValue("Street study");
    await next();
    await next();

    // the checklist: a loaded one is offered; an upload is checked and its problems listed
    expect(stepTitle()).toBe("Step 3 of 6: Checklist");
    await next();
    expect(screen.getByText("Choose a checklist.")).toBeInTheDocument();
    await screen.findByRole("option", { name: /VisionReward image \(visionreward-image v1, built-in\)/ });
    await user.click(screen.getByLabelText(/Upload a YAML or JSON file/));
    await user.upload(screen.getByLabelText("Checklist file"), new File([BAD], "lab.yaml", { type: "text/yaml" }));
    const problems = await screen.findByTestId("checklist-problems");
    expect(problems).toHaveAttribute("role", "alert");
    expect(problems).toHaveTextContent("lab.yaml has 2 problems");
    expect(problems).toHaveTextContent("Line 3, column 1 · media_typ: unknown field (did you mean 'media_type'?)");
    expect(within(problems).getByLabelText("Line 3, column 1 of lab.yaml")).toHaveTextContent("media_typ: image");
    await next();
    expect(stepTitle()).toBe("Step 3 of 6: Checklist");
    await user.upload(
      screen.getByLabelText("Checklist file"),
      new File([BAD.replace("media_typ", "media_type")], "lab.yaml", { type: "text/yaml" }),
    );
    const preview = await screen.findByTestId("checklist-preview");
    expect(screen.queryByTestId("checklist-problems")).toBeNull();
    expect(preview).toHaveTextContent("Street photos");
    expect(preview).toHaveTextContent("Lighting beauty");
    expect(preview).toHaveTextContent("asked when q4 is yes");
    expect(screen.getByText(/it becomes street-photos v1 when you confirm/)).toBeInTheDocument();
    expect(calls.filter((c) => c.url === "/api/checklists/" && c.method === "POST")).toHaveLength(0);
    await next();

    // overlap, lease and pairs
    expect(stepTitle()).toBe("Step 4 of 6: Overlap, lease and pairs");
    const overlap = screen.getByLabelText("Overlap k: annotators per item");
    await user.clear(overlap);
    await user.type(overlap, "0");
    await next();
    expect(screen.getByText("Enter the overlap from 1 to 50.")).toBeInTheDocument();
    await user.clear(overlap);
    await user.type(overlap, "3");
    await user.click(screen.getByLabelText("Pair tasks"));
    await next();

    // instructions, previewed as annotators see them
    await user.type(screen.getByLabelText("Instructions for annotators (Markdown)"), "Look at **every** corner.");
    expect(within(screen.getByTestId("instructions-preview")).getByText("every").tagName).toBe("STRONG");
    await next();

    // review, then the API's field error goes back to its step
    expect(stepTitle()).toBe("Step 6 of 6: Review");
    const values = screen.getByTestId("review-values");
    expect(values).toHaveTextContent("Street study");
    expect(values).toHaveTextContent("Street photos (street-photos v1, from lab.yaml)");
    expect(values).toHaveTextContent("3 annotators per item");
    expect(values).toHaveTextContent("Pair taskson Change");
    createAnswers.push(json({ detail: "name: taken", errors: { name: ["A project with this name exists."] } }, 400));
    await user.click(screen.getByRole("button", { name: "Create project" }));
    await waitFor(() => expect(stepTitle()).toBe("Step 1 of 6: Name"));
    expect(screen.getByText("A project with this name exists.")).toBeInTheDocument();
    expect(screen.getByRole("alert")).toHaveTextContent("The project was not created");
    await user.type(screen.getByLabelText("Name"), " 2");
    await user.click(screen.getByRole("button", { name: /6 Review/ }));
    await user.click(screen.getByRole("button", { name: "Create project" }));
    await screen.findByText("settings page");
    const created = calls.filter((c) => c.url === "/api/projects/" && c.method === "POST").at(-1)!;
    expect(created.body).toMatchObject({
      name: "Street study 2",
      media_type: "image",
      checklist_version: 8,
      overlap: 3,
      lease_seconds: 1800,
      pair_tasks: true,
      instructions: "Look at **every** corner.",
    });
    // the checklist was loaded at Create, not before
    expect(calls.filter((c) => c.url === "/api/checklists/" && c.method === "POST").length).toBeGreaterThan(0);
  });

  it("has no axe violations on its steps", async () => {
    const user = userEvent.setup();
    const { container } = renderPage();
    const check = async () => {
      const results = await axe.run(container, { rules: { "color-contrast": { enabled: false } } });
      return results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    };
    expect(await check()).toEqual([]);
    await user.type(screen.getByLabelText("Name"), "A");
    await next();
    await next();
    await screen.findByRole("option", { name: /VisionReward image/ });
    await user.selectOptions(screen.getByLabelText("Checklist for images"), "1");
    await screen.findByTestId("checklist-preview");
    expect(await check()).toEqual([]);
  });
});
