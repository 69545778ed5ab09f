import { useId } from "react";
import type { ReviewItem } from "../../types";

// For managers on the review screen: make a reviewed task a gold check (its gold answer becomes
// the expected answer, or for a pair the gold preference, served unseen to annotators who never
// had it), or stop using it as one. The outcome goes to the page's status region; a refusal
// shows here as an alert.

interface Props {
  item: ReviewItem;
  /** Whether the task is a gold check; null while the project's gold checks load. */
  isGoldCheck: boolean | null;
  busy: boolean;
  /** Why the last action was refused. */
  error: string;
  /** Why the project's gold checks could not be loaded. */
  loadError: string;
  onToggle: () => void;
}

export default function GoldCheckControls({ item, isGoldCheck, busy, error, loadError, onToggle }: Props) {
  const hintId = useId();
  if (loadError) {
    return (
      <p role="alert" className="error">
        The gold checks could not be loaded: {loadError}
      </p>
    );
  }
  if (isGoldCheck == null) return null;
  // Only tasks with a gold answer can become one (an unreviewed task answers 400); a pair's gold
  // answer needs its preference (reviewed, or a rating imported from a preference dataset).
  const pair = item.task.kind === "pair";
  const canUse = !!item.gold && (!pair || item.gold.preference != null);
  if (!isGoldCheck && !canUse) return null;
  return (
    <div className="gold-check" data-testid="gold-check">
      <div className="actions">
        {isGoldCheck && <span className="badge gold-badge">Gold check</span>}
        <button type="button" onClick={onToggle} disabled={busy} aria-describedby={hintId}>
          {isGoldCheck ? "Stop using as gold check" : "Use as gold check"}
        </button>
        <span id={hintId} className="muted hint">
          {isGoldCheck
            ? pair
              ? "Annotators who never had this pair get it unseen and are scored on agreeing with its gold preference."
              : "Annotators who never had this task get it unseen and are scored against its expected answer."
            : pair
              ? "The gold preference becomes the expected one; annotators who never had the pair get it unseen."
              : "The gold answer becomes the expected answer; annotators who never had the task get it unseen."}
        </span>
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </div>
  );
}
