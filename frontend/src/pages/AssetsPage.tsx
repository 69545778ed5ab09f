import { useCallback, useEffect, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { api } from "../api";
import AssetTable from "../components/assets/AssetTable";
import UploadPanel from "../components/assets/UploadPanel";
import { useUpload } from "../components/assets/useUpload";
import { message } from "../components/manage/format";
import type { Project } from "../types";

// The project's assets for its managers: upload media (files, folders, a zip, with a manifest)
// as import jobs and follow them, links to the other import sources, and the assets themselves.

const MANAGERS = ["manager", "admin"];

export default function AssetsPage({ pollMs }: { pollMs?: number } = {}) {
  const { projectId: projectParam } = useParams();
  const projectId = Number(projectParam);
  const [project, setProject] = useState<Project | null>(null);
  const [error, setError] = useState("");
  const [refreshKey, setRefreshKey] = useState(0);
  const refresh = useCallback(() => setRefreshKey((k) => k + 1), []);
  const upload = useUpload(projectId, refresh, pollMs);

  useEffect(() => {
    let live = true;
    api.project(projectId).then(
      (p) => live && setProject(p),
      (exc) => live && setError(message(exc)),
    );
    return () => {
      live = false;
    };
  }, [projectId]);

  if (!Number.isFinite(projectId)) return <p role="alert" className="error">No such project.</p>;
  const manages = !!project && MANAGERS.includes(project.my_role ?? "");

  return (
    <section className="assets-page" aria-labelledby="assets-page-title">
      <div className="page-head">
        <h1 id="assets-page-title">Assets{project ? `: ${project.name}` : ""}</h1>
        {project && <span className="muted">{project.media_type === "video" ? "videos" : "images"}</span>}
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {!project && !error && <p role="status">Loading the project…</p>}
      {project && !manages && (
        <p className="muted">Only the project's managers can import media; these are the project's assets.</p>
      )}
      {manages && (
        <>
          <UploadPanel upload={upload} projectId={projectId} />
          <nav aria-labelledby="elsewhere-title" className="card assets-section">
            <h2 id="elsewhere-title">Import from elsewhere</h2>
            <ul>
              <li>
                <Link to={`/projects/${projectId}/import/huggingface`}>A Hugging Face dataset</Link>{" "}
                <span className="muted">(by id or local path, with its prompts and metadata)</span>
              </li>
              <li>
                <Link to={`/projects/${projectId}/import/label-studio`}>A Label Studio export</Link>{" "}
                <span className="muted">(tasks with image or video URLs and their prompts)</span>
              </li>
              <li>
                <Link to={`/projects/${projectId}/import/pairs`}>A preference-pair dataset</Link>{" "}
                <span className="muted">(a prompt, two media and which is preferred: rated pairs the refit uses)</span>
              </li>
              <li>
                <Link to={`/projects/${projectId}/import/label-studio#url-manifest`}>A manifest of URLs</Link>{" "}
                <span className="muted">(each file downloaded by the import job, never from private networks)</span>
              </li>
            </ul>
          </nav>
        </>
      )}
      {project && <AssetTable projectId={projectId} refreshKey={refreshKey} />}
    </section>
  );
}
