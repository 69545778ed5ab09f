import { useEffect, useId, useMemo, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { api } from "../api";
import BarChart from "../components/BarChart";
import QualitySettingsForm from "../components/manage/QualitySettingsForm";
import type { AnnotatorQuality, Job, ModelAgreement, Project, ProjectStats, QualityStats } from "../types";

// Project statistics for managers, reviewers and researchers: progress, daily throughput,
// per-annotator throughput, per-question agreement, model vs human, annotator quality (accuracy
// on gold checks, agreement with peers) and the state of imports.

const DAY_CHOICES = [7, 14, 30, 90];

const message = (exc: unknown) => (exc instanceof Error ? exc.message : String(exc));
const percent = (v: number | null | undefined) => (v == null ? "—" : `${Math.round(v * 100)}%`);
const kappa = (v: number | null | undefined) => (v == null ? "—" : v.toFixed(2));
const fixed2 = kappa;
const secondsPerItem = (ms: number | null | undefined) => (ms == null ? "—" : (ms / 1000).toFixed(1));
const count = (v: number) => v.toLocaleString("en-US");

function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** "2025-11-24" → "11-24" for axis labels. */
const shortDate = (date: string) => (/^\d{4}-\d\d-\d\d$/.test(date) ? date.slice(5) : date);

function Sparkline({ values, label }: { values: number[]; label: string }) {
  if (!values.length) return <span className="muted">—</span>;
  const max = Math.max(1, ...values);
  const w = 3;
  const h = 18;
  return (
    <svg
      className="sparkline"
      width={values.length * (w + 1)}
      height={h}
      viewBox={`0 0 ${values.length * (w + 1)} ${h}`}
      role="img"
      aria-label={`${label}: ${values.join(", ")}`}
    >
      {values.map((v, i) => (
        <rect key={i} x={i * (w + 1)} y={h - (h * v) / max} width={w} height={(h * v) / max} />
      ))}
    </svg>
  );
}

type QuestionRow = ProjectStats["questions"][number];
type SortKey = "text" | "sub_dimension" | "n_items" | "percent_agreement" | "kappa";
const SORT_COLUMNS: { key: SortKey; label: string; numeric: boolean }[] = [
  { key: "text", label: "Question", numeric: false },
  { key: "sub_dimension", label: "Sub-dimension", numeric: false },
  { key: "n_items", label: "Items", numeric: true },
  { key: "percent_agreement", label: "% agreement", numeric: true },
  { key: "kappa", label: "Fleiss κ", numeric: true },
];

function AgreementTable({ questions, subTitle }: { questions: QuestionRow[]; subTitle: (key: string) => string }) {
  const [sort, setSort] = useState<{ key: SortKey; dir: "asc" | "desc" }>({ key: "percent_agreement", dir: "asc" });
  const sorted = useMemo(() => {
    const valueOf = (q: QuestionRow): string | number | null =>
      sort.key === "sub_dimension" ? subTitle(q.sub_dimension) : q[sort.key];
    const sign = sort.dir === "asc" ? 1 : -1;
    return [...questions].sort((a, b) => {
      const va = valueOf(a);
      const vb = valueOf(b);
      // Items without a value (too few annotations) go last either way.
      if (va == null || vb == null) return va == null ? (vb == null ? 0 : 1) : -1;
      if (typeof va === "number" && typeof vb === "number") return sign * (va - vb);
      return sign * String(va).localeCompare(String(vb));
    });
  }, [questions, sort, subTitle]);

  const clickHeader = (key: SortKey) =>
    setSort((s) => (s.key === key ? { key, dir: s.dir === "asc" ? "desc" : "asc" } : { key, dir: "asc" }));

  if (!questions.length) return <p className="muted">No questions answered yet.</p>;
  return (
    <div className="table-scroll">
      <table className="agreement-table">
        <caption className="visually-hidden">
          Agreement per question, sorted by {SORT_COLUMNS.find((c) => c.key === sort.key)!.label} (
          {sort.dir === "asc" ? "ascending" : "descending"}). Select a column header to sort.
        </caption>
        <thead>
          <tr>
            {SORT_COLUMNS.map((c) => (
              <th
                key={c.key}
                scope="col"
                className={c.numeric ? "num" : undefined}
                aria-sort={sort.key === c.key ? (sort.dir === "asc" ? "ascending" : "descending") : "none"}
              >
                <button type="button" className="sort-button" onClick={() => clickHeader(c.key)}>
                  {c.label}
                  <span aria-hidden="true" className="sort-arrow">
                    {sort.key === c.key ? (sort.dir === "asc" ? " ▲" : " ▼") : " ↕"}
                  </span>
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {sorted.map((q) => (
            <tr key={q.key} data-question={q.key}>
              <td>{q.text}</td>
              <td>{subTitle(q.sub_dimension)}</td>
              <td className="num">{count(q.n_items)}</td>
              <td className="num">{percent(q.percent_agreement)}</td>
              <td className="num">{kappa(q.kappa)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** How the project's latest model agrees with people, per question: least accurate first. */
function ModelAgreementTable({ agreement }: { agreement: ModelAgreement }) {
  const rows = useMemo(
    () =>
      agreement.questions
        .filter((q) => q.n > 0)
        .sort((a, b) => {
          // Questions without an accuracy go last.
          if (a.accuracy == null || b.accuracy == null) return a.accuracy == null ? (b.accuracy == null ? 0 : 1) : -1;
          return a.accuracy - b.accuracy;
        }),
    [agreement],
  );
  if (!agreement.model_name) return null;
  if (!rows.length)
    return <p className="muted">No submitted answers to compare with {agreement.model_name}&apos;s predictions yet.</p>;
  return (
    <div className="table-scroll">
      <table className="model-agreement-table">
        <caption className="visually-hidden">
          Model {agreement.model_name} against people, per question, least accurate first
        </caption>
        <thead>
          <tr>
            <th scope="col">Question</th>
            <th scope="col" className="num">
              Answers
            </th>
            <th scope="col" className="num">
              Accuracy
            </th>
            <th scope="col" className="num">
              Brier
            </th>
            <th scope="col" className="num">
              P(human answer)
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((q) => (
            <tr key={q.key} data-question={q.key}>
              <td>{q.text}</td>
              <td className="num">{count(q.n)}</td>
              <td className="num">{percent(q.accuracy)}</td>
              <td className="num">{fixed2(q.brier)}</td>
              <td className="num">{percent(q.mean_p_human)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The sub-dimension an annotator chose the expected option least often on (first in checklist order on a tie). */
function weakestSubDimension(row: AnnotatorQuality) {
  let weakest: AnnotatorQuality["gold_sub_dimensions"][number] | null = null;
  for (const sub of row.gold_sub_dimensions) {
    if (sub.accuracy == null) continue;
    if (!weakest || sub.accuracy < (weakest.accuracy ?? 1)) weakest = sub;
  }
  return weakest;
}

/** Order: least accurate on gold first, then least agreeing with peers; annotators without figures last. */
function byQuality(a: AnnotatorQuality, b: AnnotatorQuality): number {
  for (const key of ["gold_accuracy", "peer_agreement"] as const) {
    const va = a[key];
    const vb = b[key];
    if (va == null || vb == null) {
      if (va == null && vb == null) continue;
      return va == null ? 1 : -1;
    }
    if (va !== vb) return va - vb;
  }
  return a.username.localeCompare(b.username);
}

/** Each annotator's accuracy on the gold checks and agreement with peers, least accurate first, with charts. */
function QualitySection({ quality }: { quality: QualityStats }) {
  const rows = useMemo(() => [...quality.annotators].sort(byQuality), [quality]);
  const pct = (v: number | null) => Math.round((v ?? 0) * 100);
  const routing =
    quality.disagreement_threshold == null
      ? "Routing disagreements is off."
      : `Tasks whose annotations disagree on more than ${percent(quality.disagreement_threshold)} of the compared ` +
        `answers get up to ${quality.max_extra_annotators} more annotator${quality.max_extra_annotators === 1 ? "" : "s"}` +
        ` (${count(quality.routed_tasks)} so far).`;
  return (
    <section aria-labelledby="quality-title" className="card manage-section">
      <h2 id="quality-title">Annotator quality</h2>
      <p className="muted" data-testid="quality-summary">
        {count(quality.gold_checks)} gold check{quality.gold_checks === 1 ? "" : "s"} (tasks with known answers),
        served unseen in {percent(quality.gold_check_rate)} of the claims. {routing}
      </p>
      {rows.length ? (
        <>
          <div className="table-scroll">
            <table className="quality-table">
              <caption className="visually-hidden">
                Annotator quality: accuracy on gold checks and agreement with peers, least accurate first
              </caption>
              <thead>
                <tr>
                  <th scope="col">Annotator</th>
                  <th scope="col" className="num">
                    Gold checks
                  </th>
                  <th scope="col" className="num">
                    Answer accuracy
                  </th>
                  <th scope="col" className="num">
                    Option accuracy
                  </th>
                  <th scope="col">Weakest sub-dimension</th>
                  <th scope="col" className="num">
                    Agreement with peers
                  </th>
                  <th scope="col" className="num">
                    Compared answers
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((a) => {
                  const weakest = weakestSubDimension(a);
                  return (
                    <tr key={a.username} data-annotator={a.username}>
                      <th scope="row">{a.username}</th>
                      <td className="num">{count(a.gold_checks)}</td>
                      <td className="num" title={`${count(a.gold_answers)} answers compared`}>
                        {percent(a.gold_accuracy)}
                      </td>
                      <td className="num" title={`${count(a.gold_options)} options compared`}>
                        {percent(a.gold_option_accuracy)}
                      </td>
                      <td>{weakest ? `${weakest.title} ${percent(weakest.accuracy)} (${count(weakest.n)})` : "—"}</td>
                      <td className="num">{percent(a.peer_agreement)}</td>
                      <td className="num">{count(a.peer_answers)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <h3>Accuracy on gold checks</h3>
          <BarChart
            title="Answer accuracy on gold checks per annotator"
            data={rows.filter((a) => a.gold_accuracy != null).map((a) => ({ label: a.username, value: pct(a.gold_accuracy) }))}
            max={100}
            format={(v) => `${Math.round(v)}%`}
            xLabel="Annotator"
            yLabel="% as expected"
          />
          <h3>Agreement with peers</h3>
          <BarChart
            title="Agreement with peers per annotator"
            data={rows.filter((a) => a.peer_agreement != null).map((a) => ({ label: a.username, value: pct(a.peer_agreement) }))}
            max={100}
            format={(v) => `${Math.round(v)}%`}
            xLabel="Annotator"
            yLabel="% same answer"
          />
        </>
      ) : (
        <p className="muted">No annotator has submitted yet.</p>
      )}
    </section>
  );
}

function JobState({ state }: { state: Job["state"] }) {
  return <span className={`badge job-${state}`}>{state}</span>;
}

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
  const doneShare = progress && progress.tasks_total ? progress.tasks_done / progress.tasks_total : 0;

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
        {project && ["reviewer", "manager", "admin"].includes(project.my_role ?? "") && (
          <Link className="button" to={`/projects/${projectId}/review`}>
            Review
          </Link>
        )}
        {project && ["manager", "researcher", "admin"].includes(project.my_role ?? "") && (
          <Link className="button" to={`/projects/${projectId}/weights`}>
            Weights
          </Link>
        )}
        {project && ["manager", "researcher", "admin"].includes(project.my_role ?? "") && (
          <Link className="button" to={`/projects/${projectId}/jobs`}>
            Jobs
          </Link>
        )}
        {project && ["manager", "admin"].includes(project.my_role ?? "") && (
          <Link className="button" to={`/projects/${projectId}/members`}>
            Members
          </Link>
        )}
      </div>

      {statsError && (
        <p role="alert" className="error">
          {statsError}
        </p>
      )}
      {!stats && loading && <p role="status">Loading statistics…</p>}

      {stats && progress && (
        <>
          <section aria-labelledby="progress-title" className="manage-section">
            <h2 id="progress-title">Progress</h2>
            <div className="stat-cards">
              <div className="card stat-card">
                <h3>Tasks done</h3>
                <p className="stat-value" data-testid="tasks-done">
                  {count(progress.tasks_done)} / {count(progress.tasks_total)}
                </p>
                <div
                  className="bar"
                  role="progressbar"
                  aria-label="Tasks done"
                  aria-valuemin={0}
                  aria-valuemax={progress.tasks_total}
                  aria-valuenow={progress.tasks_done}
                  aria-valuetext={`${progress.tasks_done} of ${progress.tasks_total} tasks (${percent(doneShare)})`}
                >
                  <span style={{ width: `${Math.min(100, 100 * doneShare)}%` }} />
                </div>
                <p className="muted">{percent(doneShare)} complete</p>
              </div>
              <div className="card stat-card">
                <h3>Annotations</h3>
                <p className="stat-value" data-testid="annotations">
                  {count(progress.annotations)}
                </p>
                {progress.late_annotations ? (
                  <p className="muted" data-testid="late-annotations">
                    {count(progress.late_annotations)} late (beyond k, kept)
                  </p>
                ) : null}
              </div>
              <div className="card stat-card">
                <h3>Gold answers</h3>
                <p className="stat-value" data-testid="gold">
                  {count(progress.gold)}
                </p>
              </div>
              <div className="card stat-card">
                <h3>Assets</h3>
                <p className="stat-value" data-testid="assets">
                  {count(progress.assets_ready)} ready
                </p>
                <p className={progress.assets_failed ? "error" : "muted"}>{count(progress.assets_failed)} failed</p>
              </div>
            </div>
          </section>

          <section aria-labelledby="daily-title" className="card manage-section">
            <h2 id="daily-title">Submitted per day</h2>
            <BarChart
              title={`Annotations submitted per day, last ${stats.days ?? days} days`}
              data={stats.daily.map((d) => ({ label: shortDate(d.date), value: d.submitted }))}
              xLabel="Day"
              yLabel="Submitted"
            />
          </section>

          <section aria-labelledby="annotators-title" className="card manage-section">
            <h2 id="annotators-title">Throughput per annotator</h2>
            {stats.annotators.length ? (
              <>
                <div className="table-scroll">
                  <table>
                    <caption className="visually-hidden">Throughput per annotator, last {stats.days ?? days} days</caption>
                    <thead>
                      <tr>
                        <th scope="col">Annotator</th>
                        <th scope="col" className="num">
                          Submitted
                        </th>
                        <th scope="col" className="num">
                          Late
                        </th>
                        <th scope="col" className="num">
                          Skipped
                        </th>
                        <th scope="col" className="num">
                          Active
                        </th>
                        <th scope="col" className="num">
                          Median s / item
                        </th>
                        <th scope="col">Last submitted</th>
                        <th scope="col">Per day</th>
                      </tr>
                    </thead>
                    <tbody>
                      {stats.annotators.map((a) => (
                        <tr key={a.username}>
                          <th scope="row">{a.username}</th>
                          <td className="num">{count(a.submitted)}</td>
                          <td className="num">{count(a.late ?? 0)}</td>
                          <td className="num">{count(a.skipped)}</td>
                          <td className="num">{count(a.active)}</td>
                          <td className="num">{secondsPerItem(a.median_time_ms)}</td>
                          <td>{when(a.last_submitted_at)}</td>
                          <td>
                            <Sparkline values={a.daily ?? []} label={`${a.username}, submitted per day`} />
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                <h3>Submitted per annotator</h3>
                <BarChart
                  title="Annotations submitted per annotator"
                  data={stats.annotators.map((a) => ({ label: a.username, value: a.submitted }))}
                  xLabel="Annotator"
                  yLabel="Submitted"
                />
              </>
            ) : (
              <p className="muted">No annotator has submitted yet.</p>
            )}
          </section>

          <section aria-labelledby="agreement-title" className="card manage-section">
            <h2 id="agreement-title">Agreement per question</h2>
            <p className="muted">
              Share of annotator pairs giving the same yes/no answer, and Fleiss κ over items with at least two
              annotations. Lowest agreement first.
            </p>
            <AgreementTable questions={stats.questions} subTitle={subTitle} />
            <h3>Agreement per sub-dimension</h3>
            <BarChart
              title="Percent agreement per sub-dimension"
              data={stats.sub_dimensions
                .filter((s) => s.percent_agreement != null)
                .map((s) => ({ label: s.title, value: Math.round((s.percent_agreement ?? 0) * 100) }))}
              max={100}
              format={(v) => `${Math.round(v)}%`}
              xLabel="Sub-dimension"
              yLabel="% agreement"
            />
          </section>

          {stats.model_agreement && (
            <section aria-labelledby="model-title" className="card manage-section">
              <h2 id="model-title">Model vs human</h2>
              <p className="muted">
                {stats.model_agreement.model_name ? (
                  <>
                    How often <strong>{stats.model_agreement.model_name}</strong> (the latest model used here) gives
                    the answer people gave: accuracy of P(yes) ≥ 50%, Brier score (0 is perfect) and the mean
                    probability it gave to the people&apos;s answer. Least accurate first.
                  </>
                ) : (
                  "Pre-fill the project with a model to compare its guesses with people's answers."
                )}
              </p>
              <ModelAgreementTable agreement={stats.model_agreement} />
            </section>
          )}

          {stats.quality && <QualitySection quality={stats.quality} />}
        </>
      )}

      {/* Managers; a server without the settings (older) leaves the form out. */}
      {project && ["manager", "admin"].includes(project.my_role ?? "") && project.gold_check_rate !== undefined && (
        <QualitySettingsForm key={project.id} project={project} onSaved={projectSaved} />
      )}

      <section aria-labelledby="imports-title" className="card manage-section">
        <h2 id="imports-title">Imports and jobs</h2>
        {jobsError && (
          <p role="alert" className="error">
            {jobsError}
          </p>
        )}
        {!jobs && !jobsError && <p role="status">Loading jobs…</p>}
        {jobs && !jobs.length && <p className="muted">No jobs yet.</p>}
        {jobs && jobs.length > 0 && (
          <div className="table-scroll">
            <table>
              <caption className="visually-hidden">Jobs of this project</caption>
              <thead>
                <tr>
                  <th scope="col">Job</th>
                  <th scope="col">Kind</th>
                  <th scope="col">State</th>
                  <th scope="col" className="num">
                    Progress
                  </th>
                  <th scope="col">Message</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {jobs.map((j) => (
                  <tr key={j.id}>
                    <th scope="row">#{j.id}</th>
                    <td>{j.kind}</td>
                    <td>
                      <JobState state={j.state} />
                    </td>
                    <td className="num">{percent(j.progress)}</td>
                    <td>{j.message || <span className="muted">—</span>}</td>
                    <td>{when(j.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {stats && stats.imports.length > 0 && (
          <>
            <h3>Assets per import</h3>
            <div className="table-scroll">
              <table>
                <caption className="visually-hidden">Assets per import job</caption>
                <thead>
                  <tr>
                    <th scope="col">Import</th>
                    <th scope="col" className="num">
                      Assets
                    </th>
                    <th scope="col" className="num">
                      Ready
                    </th>
                    <th scope="col" className="num">
                      Failed
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {stats.imports.map((imp) => (
                    <tr key={imp.import_job_id ?? "none"}>
                      <th scope="row">{imp.import_job_id == null ? "Without a job" : `Job #${imp.import_job_id}`}</th>
                      <td className="num">{count(imp.assets)}</td>
                      <td className="num">{count(imp.ready)}</td>
                      <td className={imp.failed ? "num error" : "num"}>{count(imp.failed)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
        {stats && (
          <>
            <h3>Failed assets</h3>
            {stats.failed_assets.length ? (
              <div className="table-scroll">
                <table>
                  <caption className="visually-hidden">Assets that failed to import, with the reason</caption>
                  <thead>
                    <tr>
                      <th scope="col">File</th>
                      <th scope="col">Reason</th>
                    </tr>
                  </thead>
                  <tbody>
                    {stats.failed_assets.map((a) => (
                      <tr key={a.id}>
                        <th scope="row">{a.original_name || `Asset ${a.id}`}</th>
                        <td>{a.failure_reason || <span className="muted">no reason given</span>}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ) : (
              <p className="muted">No failed assets.</p>
            )}
          </>
        )}
      </section>
    </section>
  );
}
