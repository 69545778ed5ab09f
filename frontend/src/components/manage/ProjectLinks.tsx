import { useContext } from "react";
import { Link } from "react-router-dom";
import { canUse } from "../../roles";
import { SessionContext } from "../../session";
import type { Project } from "../../types";

// The statistics page's links to the project's other screens (review, weights, jobs, assets, members, models),
// each shown to the roles that may use it.

export default function ProjectLinks({ project, projectId }: { project: Project; projectId: number }) {
  const staff = useContext(SessionContext)?.user.is_staff ?? false;
  const can = (screen: Parameters<typeof canUse>[1]) => canUse(project.my_role, screen, staff);
  return (
    <>
      {can("review") && (
        <Link className="button" to={`/projects/${projectId}/review`}>
          Review
        </Link>
      )}
      {can("weights") && (
        <Link className="button" to={`/projects/${projectId}/weights`}>
          Weights
        </Link>
      )}
      {can("jobs") && (
        <Link className="button" to={`/projects/${projectId}/jobs`}>
          Jobs
        </Link>
      )}
      {can("assets") && (
        <Link className="button" to={`/projects/${projectId}/assets`}>
          Assets
        </Link>
      )}
      {can("members") && (
        <Link className="button" to={`/projects/${projectId}/members`}>
          Members
        </Link>
      )}
      {can("models") && (
        <Link className="button" to={`/projects/${projectId}/models`}>
          Models
        </Link>
      )}
    </>
  );
}
