import { Link } from "react-router-dom";
import type { OutboxItem, SaveState } from "../../work";

// The head of the annotate screen's side pane: the project, whether the work is saved (the draft
// and the submits waiting in the outbox), the submits of this session, and the way out.

/** The save badge's words and class. */
export function saveStatus(saveState: SaveState, pending: OutboxItem[]): { label: string; className: string } {
  let label: string;
  let className: string;
  if (saveState === "offline" || pending.some((i) => i.attempts > 0)) {
    label = pending.length ? `Offline — ${pending.length} submit${pending.length > 1 ? "s" : ""} waiting` : "Offline — saved on this device";
    className = "offline";
  } else if (saveState === "saving" || pending.length) {
    label = pending.length ? "Submitting…" : "Saving…";
    className = "saving";
  } else if (saveState === "error") {
    label = "Not saved on the server";
    className = "offline";
  } else {
    label = "Saved";
    className = "saved";
  }
  return { label, className };
}

interface Props {
  projectName: string | undefined;
  saveState: SaveState;
  /** Why the last save failed, as a tooltip. */
  saveDetail: string;
  /** Submits not yet acknowledged (and not refused). */
  pending: OutboxItem[];
  /** Submits acknowledged in this session. */
  landedCount: number;
}

export default function AnnotateHeader({ projectName, saveState, saveDetail, pending, landedCount }: Props) {
  const { label: stateLabel, className: stateClass } = saveStatus(saveState, pending);
  return (
    <div className="side-head">
      <strong className="grow">{projectName}</strong>
      <span className={`save-state ${stateClass}`} role="status" aria-live="polite" data-testid="save-state" title={saveDetail || undefined}>
        {stateLabel}
      </span>
      <span className="muted" data-testid="session-count" title="Submitted in this session">
        {landedCount} done
      </span>
      <Link to="/projects" className="muted">
        Exit
      </Link>
    </div>
  );
}
