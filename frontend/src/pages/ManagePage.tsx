import { useEffect, useId, useMemo, useState } from "react";
import { useParams } from "react-router-dom";
import { api } from "../api";
import AgreementSection from "../components/manage/AgreementSection";
import AnnotatorsSection from "../components/manage/AnnotatorsSection";
import DailySection from "../components/manage/DailySection";
import { message } from "../components/manage/format";
import ImportsSection from "../components/manage/ImportsSection";
import ModelAgreementSection from "../components/manage/ModelAgreementSection";
import ProgressSection from "../components/manage/ProgressSection";
import ProjectLinks from "../components/manage/ProjectLinks";
import QualitySection from "../components/manage/QualitySection";
import QualitySettingsForm from "../components/manage/QualitySettingsForm";
import WebhooksSection from "../components/manage/WebhooksSection";
import type { Job, Project, ProjectStats } from "../types";

// Project statistics for managers, reviewers and researchers: progress, daily throughput,
// per-annotator throughput, per-question agreement, model vs human, annotator quality (accuracy
// on gold checks, agreement with peers), the state of imports and, for managers, the webhooks. Each section is a component in
// components/manage/; this page loads the project, its statistics for the chosen period and its
// jobs, and lays the sections out: the progress cards as a strip of key numbers at the top, then
// the sections in a responsive grid (two columns on a laptop screen), long tables scrolling in
// their own boxes.

const DAY_CHOICES = [7, 14, 30, 90];

export default function ManagePage() {
  const { projectId: projectParam } = useParams();
  const projectId = Number(projectParam);
  const daysId = useId();

  const [project, setProject] = useState<Project | null>(null);
  const [days, setDays] = useState(14);
  const [stats, setStats] = useState<ProjectStats | null>(null);
  const [statsError, setStatsError] = useState("");
  const [loading, setLoading] = useState(true);
  const [jobs, setJobs] = useState<Job[] | null>(null);
  const [jobsError, setJobsError] = useState("");

  useEffect(() => {
    let live = true;
    api.project(projectId).then(
      (p) => live && setProject(p),
      () => undefined, // the stats request reports access problems
    );
    api.jobs(projectId).then(
      (page) => live && setJobs(page.results),
      (exc) => live && setJobsError(message(exc)),
    );
    return () => {
      live = false;
    };
  }, [projectId]);

  useEffect(() => {
    let live = true;
    setLoading(true);
    setStatsError("");
    api
      .stats(projectId, days)
      .then((s) => live && setStats(s))
      .catch((exc) => live && setStatsError(message(exc)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [projectId, days]);

  const subTitles = useMemo(() => new Map((stats?.sub_dimensions ?? []).map((s) => [s.key, s.title])), [stats]);
  const subTitle = useMemo(() => (key: string) => subTitles.get(key) ?? key, [subTitles]);

  /** A saved project: its settings also show in the quality section. */
  const projectSaved = (p: Project) => {
    setProject(p);
    setStats((s) =>
      s?.quality
        ? {
            ...s,
            quality: {
              ...s.quality,
              gold_check_rate: p.gold_check_rate ?? s.quality.gold_check_rate,
              disagreement_threshold:
                p.disagreement_threshold !== undefined ? p.disagreement_threshold : s.quality.disagreement_threshold,
              max_extra_annotators: p.max_extra_annotators ?? s.quality.max_extra_annotators,
            },
          }
        : s,
    );
  };

  if (!Number.isFinite(projectId)) return <p role="alert" className="error">No such project.</p>;

  const progress = stats?.progress;

  return (
    <section className="manage-page" aria-labelledby="manage-title">
      <div className="page-head">
        <h1 id="manage-title">Statistics{project ? `: ${project.name}` : ""}</h1>
        <label htmlFor={daysId} className="days-select">
          Period
        </label>
        <select id={daysId} value={days} onChange={(e) => setDays(Number(e.target.value))}>
          {DAY_CHOICES.map((d) => (
            <option key={d} value={d}>
              Last {d} days
            </option>
          ))}
        </select>
        {loading && stats && (
          <span role="status" className="muted">
            Updating…
          </span>
        )}
        {project && <ProjectLinks project={project} projectId={projectId} />}
      </div>

      {statsError && (
        <p role="alert" className="error">
          {statsError}
        </p>
      )}
      {!stats && loading && <p role="status">Loading statistics…</p>}

      {stats && progress && <ProgressSection progress={progress} />}

      <div className="manage-grid" data-testid="manage-grid">
        {stats && progress && (
          <>
            <DailySection stats={stats} days={days} />
            <AnnotatorsSection stats={stats} days={days} />
            <AgreementSection stats={stats} subTitle={subTitle} />
            {stats.model_agreement && <ModelAgreementSection agreement={stats.model_agreement} />}
            {stats.quality && <QualitySection quality={stats.quality} />}
          </>
        )}

        {/* Managers; a server without the settings (older) leaves the form out. */}
        {project && ["manager", "admin"].includes(project.my_role ?? "") && project.gold_check_rate !== undefined && (
          <QualitySettingsForm key={project.id} project={project} onSaved={projectSaved} />
        )}

        <ImportsSection jobs={jobs} jobsError={jobsError} stats={stats} />

        {project && ["manager", "admin"].includes(project.my_role ?? "") && <WebhooksSection projectId={projectId} />}
      </div>
    </section>
  );
}
