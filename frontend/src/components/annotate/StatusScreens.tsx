import { Link } from "react-router-dom";

// The annotate screen when there is no task to show: loading failed, or nothing is left.

export function LoadFailed({ error, onRetry }: { error: string; onRetry: () => void }) {
  return (
    <div className="card" role="alert">
      <p className="error">{error}</p>
      <button type="button" onClick={onRetry}>
        Try again
      </button>{" "}
      <Link to="/projects">Back to projects</Link>
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
  return (
    <div className="card" data-testid="no-more-tasks">
      <h1>Nothing left for you here</h1>
      <p>
        You have answered every task available to you in {projectName}.
        {pending > 0 && ` ${pending} submit(s) are still being sent.`}
      </p>
      <button type="button" onClick={onCheckAgain}>
        Check again
      </button>{" "}
      <Link to="/projects">Back to projects</Link>
    </div>
  );
}
