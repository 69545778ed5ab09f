import { Link } from "react-router-dom";
import type { OutboxItem, SaveState } from "../../work";
import { translator, useT, type Translate } from "../../i18n";

// The head of the annotate screen's side pane: the project, whether the work is saved (the draft
// and the submits waiting in the outbox), the submits of this session, and the way out.

/** The save badge's words and class. */
export function saveStatus(
  saveState: SaveState,
  pending: OutboxItem[],
  t: Translate = translator("en"),
): { label: string; className: string } {
  let label: string;
  let className: string;
  if (saveState === "offline" || pending.some((i) => i.attempts > 0)) {
    label = pending.length
      ? t("annotate.offlineWaiting", { n: pending.length }).replace("submit(s)", pending.length > 1 ? "submits" : "submit")
      : t("annotate.offlineDevice");
    className = "offline";
  } else if (saveState === "saving" || pending.length) {
    label = pending.length ? t("annotate.submitting") : t("annotate.saving");
    className = "saving";
  } else if (saveState === "error") {
    label = t("annotate.notSaved");
    className = "offline";
  } else {
    label = t("annotate.saved");
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
  const t = useT();
  const { label: stateLabel, className: stateClass } = saveStatus(saveState, pending, t);
  return (
    <div className="side-head">
      <strong className="grow">{projectName}</strong>
      <span className={`save-state ${stateClass}`} role="status" aria-live="polite" data-testid="save-state" title={saveDetail || undefined}>
        {stateLabel}
      </span>
      <span className="muted" data-testid="session-count" title={t("annotate.doneTitle")}>
        {t("annotate.done", { n: landedCount })}
      </span>
      <Link to="/projects" className="muted">
        {t("annotate.exit")}
      </Link>
    </div>
  );
}
