import { Link } from "react-router-dom";
import { useT } from "../../i18n";

// The annotate screen when there is no task to show: loading failed, or nothing is left.

export function LoadFailed({ error, onRetry }: { error: string; onRetry: () => void }) {
  const t = useT();
  return (
    <div className="card" role="alert">
      <p className="error">{error}</p>
      <button type="button" onClick={onRetry}>
        {t("annotate.tryAgain")}
      </button>{" "}
      <Link to="/projects">{t("annotate.backToProjects")}</Link>
    </div>
  );
}

interface NoMoreTasksProps {
  projectName: string | undefined;
  /** Submits still on their way. */
  pending: number;
  onCheckAgain: () => void;
}

export function NoMoreTasks({ projectName, pending, onCheckAgain }: NoMoreTasksProps) {
  const t = useT();
  return (
    <div className="card" data-testid="no-more-tasks">
      <h1>{t("annotate.nothingLeft")}</h1>
      <p>
        {t("annotate.nothingLeftText", { project: projectName ?? "" })}
        {pending > 0 && ` ${pending} submit(s) are still being sent.`}
      </p>
      <button type="button" onClick={onCheckAgain}>
        {t("annotate.checkAgain")}
      </button>{" "}
      <Link to="/projects">{t("annotate.backToProjects")}</Link>
    </div>
  );
}
