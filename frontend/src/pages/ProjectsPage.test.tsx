import { render, screen, within } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import ProjectsPage from "./ProjectsPage";
import { SessionContext } from "../session";

const project = (id: number, my_role: string) => ({
  id,
  name: `Project ${id}`,
  description: "",
  instructions: "",
  media_type: "image",
  checklist_version: 3,
  overlap: 3,
  lease_seconds: 600,
  archived: false,
  my_role,
  my_progress: null,
});

const ROLES = ["manager", "researcher", "reviewer", "annotator"];

beforeEach(() => {
  vi.stubGlobal(
    "fetch",
    vi.fn(async () => {
      const results = ROLES.map((role, i) => project(i + 1, role));
      return new Response(JSON.stringify({ count: results.length, next: null, previous: null, results }), {
        status: 200,
        headers: { "Content-Type": "application/json" },
      });
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("ProjectsPage", () => {
  it("offers the weights, the jobs and the datasets to managers and researchers, next to the statistics", async () => {
    render(
      <MemoryRouter>
        <ProjectsPage />
      </MemoryRouter>,
    );
    await screen.findByTestId("project-1");
    const links = (id: number) =>
      within(screen.getByTestId(`project-${id}`))
        .queryAllByRole("link")
        .map((a) => a.textContent);
    expect(links(1)).toEqual(["Start annotating", "Review", "Statistics", "Weights", "Jobs", "Datasets", "Settings", "Members"]);
    expect(links(2)).toEqual(["Statistics", "Weights", "Jobs", "Datasets"]);
    expect(links(3)).toEqual(["Start annotating", "Review", "Statistics"]);
    expect(links(4)).toEqual(["Start annotating"]);
    expect(within(screen.getByTestId("project-2")).getByRole("link", { name: "Weights" })).toHaveAttribute(
      "href",
      "/projects/2/weights",
    );
    expect(within(screen.getByTestId("project-2")).getByRole("link", { name: "Jobs" })).toHaveAttribute(
      "href",
      "/projects/2/jobs",
    );
    expect(within(screen.getByTestId("project-2")).getByRole("link", { name: "Datasets" })).toHaveAttribute(
      "href",
      "/datasets?project=2",
    );
  });

  it("shows New project only to users who may create projects", async () => {
    const user = { id: 1, username: "lead", is_staff: false, can_create_projects: true };
    const { unmount } = render(
      <SessionContext.Provider value={{ user, logout: () => {} }}>
        <MemoryRouter>
          <ProjectsPage />
        </MemoryRouter>
      </SessionContext.Provider>,
    );
    await screen.findByTestId("project-1");
    expect(screen.getByRole("link", { name: "New project" })).toHaveAttribute("href", "/projects/new");
    unmount();
    render(
      <SessionContext.Provider value={{ user: { ...user, can_create_projects: false }, logout: () => {} }}>
        <MemoryRouter>
          <ProjectsPage />
        </MemoryRouter>
      </SessionContext.Provider>,
    );
    await screen.findByTestId("project-1");
    expect(screen.queryByRole("link", { name: "New project" })).toBeNull();
  });
});
