import { Link } from "react-router-dom";
import type { Project } from "../../types";

// The statistics page's links to the project's other screens (review, weights, jobs, assets, members),
// each shown to the roles that may use it.

export default function ProjectLinks({ project, projectId }: { project: Project; projectId: number }) {
  return (
    <>
      {["reviewer", "manager", "admin"].includes(project.my_role ?? "") && (
        <Link className="button" to={`/projects/${projectId}/review`}>
          Review
        </Link>
      )}
      {["manager", "researcher", "admin"].includes(project.my_role ?? "") && (
        <Link className="button" to={`/projects/${projectId}/weights`}>
          Weights
        </Link>
      )}
      {["manager", "researcher", "admin"].includes(project.my_role ?? "") && (
        <Link className="button" to={`/projects/${projectId}/jobs`}>
          Jobs
        </Link>
      )}
      {["manager", "admin"].includes(project.my_role ?? "") && (
        <Link className="button" to={`/projects/${projectId}/assets`}>
          Assets
        </Link>
      )}
      {["manager", "admin"].includes(project.my_role ?? "") && (
        <Link className="button" to={`/projects/${projectId}/members`}>
          Members
        </Link>
      )}
      {["manager", "admin"].includes(project.my_role ?? "") && (
        <Link className="button" to={`/projects/${projectId}/models`}>
          Models
        </Link>
      )}
    </>
  );
}
