import { useEffect, useRef, useState, type ReactNode } from "react";
import { Link, useParams } from "react-router-dom";
import { api } from "../api";
import { canUse, rolesSentence, SCREEN_NAMES, useMyProjects, type Screen } from "../roles";
import { useSession } from "../session";
import type { Project } from "../types";

// What a direct URL to a screen the user's role cannot use shows, instead of the API's 403: which
// roles the screen is for, the user's own role, and the way back.

export function NotForRole({ screen, project }: { screen: Screen; project?: Project | null }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const role = project?.my_role;
  return (
    <section className="card not-for-role" aria-labelledby="not-for-role-title">
      <h1 id="not-for-role-title" tabIndex={-1} ref={heading}>
        Not available for your role
      </h1>
      <p>
        The {SCREEN_NAMES[screen]} screen is for {rolesSentence(screen)}
        {project ? " of the project" : " of a project"}
        {project ? (
          <>
            {" "}
            <strong>{project.name}</strong>
          </>
        ) : null}
        .{" "}
        {project
          ? role
            ? `You are ${/^[aeiou]/.test(role) ? "an" : "a"} ${role} there.`
            : "You are not a member of it."
          : "You have none of these roles in any project."}
      </p>
      <p className="muted">If you need it, ask one of the project's managers to change your role.</p>
      <p>
        <Link to="/projects">Your projects</Link>
      </p>
    </section>
  );
}

/** Renders `children` (a project's screen) only for roles that may use it; otherwise NotForRole.
 *  A project that cannot be read is left to the screen itself (its own "No such project."). */
export function ProjectScreenGate({ screen, children }: { screen: Screen; children: ReactNode }) {
  const projectId = Number(useParams().projectId);
  const { user } = useSession();
  const [project, setProject] = useState<Project | null | "unreadable">(null);

  useEffect(() => {
    let live = true;
    setProject(null);
    api
      .project(projectId)
      .then((p) => live && setProject(p))
      .catch(() => live && setProject("unreadable"));
    return () => {
      live = false;
    };
  }, [projectId]);

  if (!Number.isFinite(projectId) || project === "unreadable") return <>{children}</>;
  if (project === null) return <p role="status">Loading…</p>;
  if (!canUse(project.my_role, screen, user.is_staff)) return <NotForRole screen={screen} project={project} />;
  return <>{children}</>;
}

/** The datasets screen: for staff and for whoever manages or researches at least one project. */
export function DatasetsGate({ children }: { children: ReactNode }) {
  const { user } = useSession();
  const projects = useMyProjects();
  if (user.is_staff) return <>{children}</>;
  if (projects === null) return <p role="status">Loading…</p>;
  if (!projects.some((p) => canUse(p.my_role, "datasets"))) return <NotForRole screen="datasets" />;
  return <>{children}</>;
}
