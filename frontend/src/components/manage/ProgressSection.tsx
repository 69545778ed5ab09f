import type { ProjectStats } from "../../types";
import { count, percent } from "./format";

// The statistics page's progress cards: tasks done, annotations (and late extras), gold answers, assets.

export default function ProgressSection({ progress }: { progress: ProjectStats["progress"] }) {
  const doneShare = progress.tasks_total ? progress.tasks_done / progress.tasks_total : 0;
  return (
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
          {progress.imported_ratings ? (
            <p className="muted" data-testid="imported-ratings">
              {count(progress.imported_ratings)} imported pair ratings (from a dataset, not reviewed)
            </p>
          ) : null}
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
  );
}
