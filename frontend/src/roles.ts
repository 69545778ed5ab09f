// Who may use which screen: the same capability table as annotator/permissions.py. The front end
// only hides what a role cannot use; the API still refuses it (its permissions are the truth).
import { useEffect, useState } from "react";
import { api } from "./api";
import type { Project, Role } from "./types";

export type Screen =
  | "annotate"
  | "review"
  | "statistics"
  | "weights"
  | "jobs"
  | "members"
  | "datasets"
  | "settings"
  | "assets"
  | "imports"
  | "models";

/** The project roles that may use each screen (staff, "admin", may use all). */
export const SCREEN_ROLES: Record<Screen, Exclude<Role, "admin">[]> = {
  annotate: ["annotator", "reviewer", "manager"],
  review: ["reviewer", "manager"],
  statistics: ["reviewer", "manager", "researcher"],
  weights: ["manager", "researcher"],
  jobs: ["manager", "researcher"],
  members: ["manager"],
  datasets: ["manager", "researcher"],
  settings: ["manager"],
  assets: ["manager"],
  imports: ["manager"],
  models: ["manager"],
};

export const SCREEN_NAMES: Record<Screen, string> = {
  annotate: "annotate",
  review: "review",
  statistics: "statistics",
  weights: "weights",
  jobs: "jobs",
  members: "members",
  datasets: "datasets",
  settings: "project settings",
  assets: "assets",
  imports: "imports",
  models: "models and pre-fill",
};

/** Whether someone with `role` in a project (or staff) may use `screen` there. */
export function canUse(role: Role | string | null | undefined, screen: Screen, isStaff = false): boolean {
  if (isStaff || role === "admin") return true;
  return (SCREEN_ROLES[screen] as string[]).includes(role ?? "");
}

/** "reviewers and managers" */
export function rolesSentence(screen: Screen): string {
  const names = SCREEN_ROLES[screen].map((r) => `${r}s`);
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}` : names[0];
}

/** The caller's projects (not archived), for what the navigation offers; null while loading. */
export function useMyProjects(): Project[] | null {
  const [projects, setProjects] = useState<Project[] | null>(null);
  useEffect(() => {
    let live = true;
    api
      .projects()
      .then((page) => live && setProjects(page.results.filter((p) => !p.archived)))
      .catch(() => live && setProjects([]));
    return () => {
      live = false;
    };
  }, []);
  return projects;
}
