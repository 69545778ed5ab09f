import { describe, expect, it } from "vitest";
import {
  emptyForm,
  formFromProject,
  problemPlace,
  projectBody,
  sourceLine,
  stepErrors,
  stepOfField,
  type ProjectForm,
} from "./projectForm";
import type { ChecklistPreview, Project } from "./types";

const form = (patch: Partial<ProjectForm> = {}): ProjectForm => ({ ...emptyForm(), ...patch });

describe("stepErrors", () => {
  it("asks for a name", () => {
    expect(stepErrors("name", form())).toEqual({ name: "Give the project a name." });
    expect(stepErrors("name", form({ name: "Street photos" }))).toEqual({});
  });

  it("asks for a checklist, and for an uploaded one without problems for the project's media type", () => {
    expect(stepErrors("checklist", form())).toEqual({ checklist_version: "Choose a checklist." });
    expect(stepErrors("checklist", form({ checklist_version: 3 }))).toEqual({});
    expect(stepErrors("checklist", form({ checklist_source: "upload" })).file).toMatch(/Choose a checklist file/);
    const problems = [{ path: "title", message: "required field is missing", line: 1, column: 1 }];
    const bad = { filename: "lab.yaml", content: "key: lab", preview: null, problems };
    expect(stepErrors("checklist", form({ checklist_source: "upload", upload: bad })).file).toMatch(/lab.yaml has problems/);
    const preview = { media_type: "video" } as ChecklistPreview;
    const video = { filename: "lab.yaml", content: "", preview, problems: [] };
    expect(stepErrors("checklist", form({ checklist_source: "upload", upload: video })).file).toBe(
      "This checklist is for videos; the project's media type is image.",
    );
  });

  it("checks the overlap and the lease as the API does", () => {
    expect(stepErrors("work", form({ overlap: "0", lease_minutes: "1.5" }))).toEqual({
      overlap: "Enter the overlap from 1 to 50.",
      lease_seconds: "Enter the lease in minutes as a whole number.",
    });
    expect(stepErrors("work", form({ overlap: "3", lease_minutes: "45" }))).toEqual({});
  });
});

describe("the body and the way back", () => {
  it("sends seconds and trims the name; a project's values come back as they were", () => {
    const body = projectBody(form({ name: " Lab ", overlap: "3", lease_minutes: "45", pair_tasks: true }), 9);
    expect(body).toMatchObject({ name: "Lab", overlap: 3, lease_seconds: 2700, pair_tasks: true, checklist_version: 9 });
    expect(projectBody(form(), null)).not.toHaveProperty("checklist_version");
    const project = { name: "Lab", description: "", media_type: "video", checklist_version: 4, overlap: 2, lease_seconds: 600, pair_tasks: true, instructions: "Hi" } as Project;
    expect(formFromProject(project)).toMatchObject({ overlap: "2", lease_minutes: "10", pair_tasks: true, media_type: "video" });
  });

  it("sends an API field error to its step", () => {
    expect(stepOfField("lease_seconds")).toBe("work");
    expect(stepOfField("checklist_version")).toBe("checklist");
    expect(stepOfField("name")).toBe("name");
    expect(stepOfField("detail")).toBe("review");
  });

  it("places a problem and shows its line", () => {
    expect(problemPlace({ path: "a", message: "m", line: 12, column: 9 })).toBe("Line 12, column 9");
    expect(problemPlace({ path: "a", message: "m", line: null, column: null })).toBe("");
    expect(sourceLine("a\r\nb\nc", 2)).toBe("b");
  });
});
