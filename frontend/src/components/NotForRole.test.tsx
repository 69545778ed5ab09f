import { render, screen } from "@testing-library/react";
import axe from "axe-core";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DatasetsGate, ProjectScreenGate } from "./NotForRole";
import ProjectLinks from "./manage/ProjectLinks";
import { WithSession } from "../test/session";
import type { Project } from "../types";

const json = (data: unknown, status = 200) =>
  new Response(JSON.stringify(data), { status, headers: { "Content-Type": "application/json" } });

let role: string | null;
let projects: { id: number; name: string; archived: boolean; my_role: string }[];

beforeEach(() => {
  role = "annotator";
  projects = [{ id: 7, name: "Street photos", archived: false, my_role: "annotator" }];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL) => {
      const url = String(input);
      if (url === "/api/projects/7/") return json({ id: 7, name: "Street photos", archived: false, my_role: role });
      if (url.startsWith("/api/projects/?")) return json({ count: projects.length, next: null, previous: null, results: projects });
      return json({ detail: "Not found." }, 404);
    }),
  );
});

afterEach(() => vi.unstubAllGlobals());

function renderGate(screenName: "review" | "members" | "annotate", staff = false) {
  return render(
    <WithSession user={{ is_staff: staff }}>
      <MemoryRouter initialEntries={["/projects/7/x"]}>
        <Routes>
          <Route
            path="/projects/:projectId/x"
            element={
              <ProjectScreenGate screen={screenName}>
                <p>the screen itself</p>
              </ProjectScreenGate>
            }
          />
        </Routes>
      </MemoryRouter>
    </WithSession>,
  );
}

describe("role gates", () => {
  it("shows an annotator who opens the review URL a page that says who it is for", async () => {
    const { container } = renderGate("review");
    const heading = await screen.findByRole("heading", { name: "Not available for your role" });
    expect(heading).toHaveFocus();
    expect(container).toHaveTextContent("The review screen is for reviewers and managers of the project Street photos.");
    expect(container).toHaveTextContent("You are an annotator there.");
    expect(screen.getByRole("link", { name: "Your projects" })).toHaveAttribute("href", "/projects");
    expect(screen.queryByText("the screen itself")).not.toBeInTheDocument();
    const results = await axe.run(container, { rules: { "color-contrast": { enabled: false } } });
    expect(results.violations.map((v) => v.id)).toEqual([]);
  });

  it("lets the roles that may use a screen, and staff, through", async () => {
    role = "reviewer";
    renderGate("review");
    expect(await screen.findByText("the screen itself")).toBeInTheDocument();
  });

  it("lets staff through whatever their role in the project", async () => {
    role = "annotator";
    renderGate("members", true);
    expect(await screen.findByText("the screen itself")).toBeInTheDocument();
  });

  it("keeps researchers off the annotate screen", async () => {
    role = "researcher";
    const { container } = renderGate("annotate");
    await screen.findByRole("heading", { name: "Not available for your role" });
    expect(container).toHaveTextContent("for annotators, reviewers and managers");
  });

  it("shows the datasets screen only to those who manage or research a project", async () => {
    const gate = () =>
      render(
        <WithSession>
          <MemoryRouter>
            <DatasetsGate>
              <p>datasets</p>
            </DatasetsGate>
          </MemoryRouter>
        </WithSession>,
      );
    const first = gate();
    expect(await screen.findByRole("heading", { name: "Not available for your role" })).toBeInTheDocument();
    expect(first.container).toHaveTextContent("You have none of these roles in any project.");
    first.unmount();
    projects = [...projects, { id: 8, name: "Other", archived: false, my_role: "researcher" }];
    gate();
    expect(await screen.findByText("datasets")).toBeInTheDocument();
  });

  it("offers on the statistics page only the links of the user's role", () => {
    const links = (my_role: string, staff = false) => {
      const { container, unmount } = render(
        <WithSession user={{ is_staff: staff }}>
          <MemoryRouter>
            <ProjectLinks project={{ id: 7, name: "P", my_role } as unknown as Project} projectId={7} />
          </MemoryRouter>
        </WithSession>,
      );
      const names = [...container.querySelectorAll("a")].map((a) => a.textContent);
      unmount();
      return names;
    };
    expect(links("reviewer")).toEqual(["Review"]);
    expect(links("researcher")).toEqual(["Weights", "Jobs"]);
    expect(links("manager")).toEqual(["Review", "Weights", "Jobs", "Assets", "Members", "Models"]);
    expect(links("annotator", true)).toEqual(["Review", "Weights", "Jobs", "Assets", "Members", "Models"]);
  });
});
