import { useContext, useEffect, useState } from "react";
import { Link } from "react-router-dom";
import { api } from "../api";
import { canUse } from "../roles";
import { SessionContext } from "../session";
import type { Project } from "../types";
import { useT, type MessageKey } from "../i18n";

// Each role sees the screens it may use: the shared table of roles.ts (annotator/permissions.py's).

/** "New project", for the users who may create one (staff, or given annotator.add_project). */
function NewProjectButton() {
  const user = useContext(SessionContext)?.user;
  const t = useT();
  if (!user || !(user.is_staff || user.can_create_projects)) return null;
  return (
    <Link className="button primary" to="/projects/new">
      {t("projects.new")}
    </Link>
  );
}

export default function ProjectsPage() {
  const user = useContext(SessionContext)?.user;
  const mayCreate = Boolean(user && (user.is_staff || user.can_create_projects));
  const staff = Boolean(user?.is_staff);
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [error, setError] = useState("");
  const t = useT();

  useEffect(() => {
    api
      .projects()
      .then((page) => setProjects(page.results.filter((p) => !p.archived)))
      .catch((exc) => setError(exc.message));
  }, []);

  if (error) return <p role="alert" className="error">{error}</p>;
  if (!projects) return <p role="status">{t("projects.loading")}</p>;
  if (!projects.length)
    return (
      <section className="projects">
        <div className="page-head">
          <h1>{t("projects.title")}</h1>
          <NewProjectButton />
        </div>
        <p className="empty">
          {mayCreate ? t("projects.noneCreate") : t("projects.noneMember")}
        </p>
      </section>
    );
  return (
    <section aria-labelledby="projects-title" className="projects">
      <div className="page-head">
        <h1 id="projects-title">{t("projects.title")}</h1>
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
                  <dl className="counts" aria-label={t("projects.progressIn", { name: p.name })}>
                    <div>
                      <dt>{t("projects.done")}</dt>
                      <dd data-testid="mine-done">{mine.done}</dd>
                    </div>
                    <div>
                      <dt>{t("projects.assigned")}</dt>
                      <dd data-testid="mine-assigned">{mine.assigned}</dd>
                    </div>
                    <div>
                      <dt>{t("projects.remaining")}</dt>
                      <dd data-testid="mine-remaining">{mine.remaining}</dd>
                    </div>
                  </dl>
                  <div
                    className="bar"
                    role="progressbar"
                    aria-label={t("projects.progress")}
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
                    {mine && mine.done > 0 ? t("projects.continue") : t("projects.start")}
                  </Link>
                )}
                {canUse(p.my_role, "review", staff) && (
                  <Link className="button" to={`/projects/${p.id}/review`}>
                    {t("projects.review" as MessageKey)}
                  </Link>
                )}
                {canUse(p.my_role, "statistics", staff) && (
                  <Link className="button" to={`/projects/${p.id}/manage`}>
                    {t("projects.statistics" as MessageKey)}
                  </Link>
                )}
                {canUse(p.my_role, "weights", staff) && (
                  <Link className="button" to={`/projects/${p.id}/weights`}>
                    {t("projects.weights" as MessageKey)}
                  </Link>
                )}
                {canUse(p.my_role, "jobs", staff) && (
                  <Link className="button" to={`/projects/${p.id}/jobs`}>
                    {t("projects.jobs" as MessageKey)}
                  </Link>
                )}
                {canUse(p.my_role, "datasets", staff) && (
                  <Link className="button" to={`/datasets?project=${p.id}`}>
                    {t("projects.datasets" as MessageKey)}
                  </Link>
                )}
                {canUse(p.my_role, "settings", staff) && (
                  <Link className="button" to={`/projects/${p.id}/settings`}>
                    {t("projects.settings" as MessageKey)}
                  </Link>
                )}
                {canUse(p.my_role, "members", staff) && (
                  <Link className="button" to={`/projects/${p.id}/members`}>
                    {t("projects.members" as MessageKey)}
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
