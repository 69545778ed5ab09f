import { useContext, useEffect, useState } from "react";
import { Link } from "react-router-dom";
import { api } from "../api";
import { canUse } from "../roles";
import { SessionContext } from "../session";
import type { Project } from "../types";

// Each role sees the screens it may use: the shared table of roles.ts (annotator/permissions.py's).

/** "New project", for the users who may create one (staff, or given annotator.add_project). */
function NewProjectButton() {
  const user = useContext(SessionContext)?.user;
  if (!user || !(user.is_staff || user.can_create_projects)) return null;
  return (
    <Link className="button primary" to="/projects/new">
      New project
    </Link>
  );
}

export default function ProjectsPage() {
  const user = useContext(SessionContext)?.user;
  const mayCreate = Boolean(user && (user.is_staff || user.can_create_projects));
  const staff = Boolean(user?.is_staff);
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    api
      .projects()
      .then((page) => setProjects(page.results.filter((p) => !p.archived)))
      .catch((exc) => setError(exc.message));
  }, []);

  if (error) return <p role="alert" className="error">{error}</p>;
  if (!projects) return <p role="status">Loading projects…</p>;
  if (!projects.length)
    return (
      <section className="projects">
        <div className="page-head">
          <h1>Your projects</h1>
          <NewProjectButton />
        </div>
        <p className="empty">
          {mayCreate
            ? "No project yet: make the first one with New project."
            : "You are not a member of any project yet. Ask a manager to add you."}
        </p>
      </section>
    );
  return (
    <section aria-labelledby="projects-title" className="projects">
      <div className="page-head">
        <h1 id="projects-title">Your projects</h1>
        <NewProjectButton />
      </div>
      <ul className="project-list">
        {projects.map((p) => {
          const mine = p.my_progress;
          const total = mine ? mine.done + mine.assigned + mine.remaining : 0;
          return (
            <li key={p.id} className="card project" data-testid={`project-${p.id}`}>
              <div className="project-head">
                <h2>{p.name}</h2>
                <span className="badge">{p.media_type}</span>
                <span className="badge role">{p.my_role ?? "member"}</span>
              </div>
              {p.description && <p className="muted">{p.description}</p>}
              {mine ? (
                <>
                  <dl className="counts" aria-label={`My progress in ${p.name}`}>
                    <div>
                      <dt>Done</dt>
                      <dd data-testid="mine-done">{mine.done}</dd>
                    </div>
                    <div>
                      <dt>Assigned</dt>
                      <dd data-testid="mine-assigned">{mine.assigned}</dd>
                    </div>
                    <div>
                      <dt>Remaining</dt>
                      <dd data-testid="mine-remaining">{mine.remaining}</dd>
                    </div>
                  </dl>
                  <div
                    className="bar"
                    role="progressbar"
                    aria-label="My progress"
                    aria-valuemin={0}
                    aria-valuemax={total}
                    aria-valuenow={mine.done}
                  >
                    <span style={{ width: total ? `${(100 * mine.done) / total}%` : "0%" }} />
                  </div>
                </>
              ) : null}
              <div className="actions">
                {canUse(p.my_role, "annotate", staff) && (
                  <Link className="button primary" to={`/projects/${p.id}/annotate`}>
                    {mine && mine.done > 0 ? "Continue annotating" : "Start annotating"}
                  </Link>
                )}
                {canUse(p.my_role, "review", staff) && (
                  <Link className="button" to={`/projects/${p.id}/review`}>
                    Review
                  </Link>
                )}
                {canUse(p.my_role, "statistics", staff) && (
                  <Link className="button" to={`/projects/${p.id}/manage`}>
                    Statistics
                  </Link>
                )}
                {canUse(p.my_role, "weights", staff) && (
                  <Link className="button" to={`/projects/${p.id}/weights`}>
                    Weights
                  </Link>
                )}
                {canUse(p.my_role, "jobs", staff) && (
                  <Link className="button" to={`/projects/${p.id}/jobs`}>
                    Jobs
                  </Link>
                )}
                {canUse(p.my_role, "datasets", staff) && (
                  <Link className="button" to={`/datasets?project=${p.id}`}>
                    Datasets
                  </Link>
                )}
                {canUse(p.my_role, "settings", staff) && (
                  <Link className="button" to={`/projects/${p.id}/settings`}>
                    Settings
                  </Link>
                )}
                {canUse(p.my_role, "members", staff) && (
                  <Link className="button" to={`/projects/${p.id}/members`}>
                    Members
                  </Link>
                )}
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
