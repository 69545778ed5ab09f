// The annotate screen's buttons: submit (once complete), accept the model's pre-fill, skip; and how
// much of the task is answered.
import { useT } from "../../i18n";
import useKeyLabel from "./useKeyLabel";

interface Props {
  pair: boolean;
  /** Rows still to answer; submit waits for none. */
  missing: number;
  /** Applicable rows answered, of `applicable`. */
  answered: number;
  applicable: number;
  /** A pre-fill to accept (single tasks only). */
  canAccept: boolean;
  onSubmit: () => void;
  onAccept: () => void;
  onSkip: () => void;
}

export default function SubmitBar({ pair, missing, answered, applicable, canAccept, onSubmit, onAccept, onSkip }: Props) {
  const t = useT();
  const label = useKeyLabel();
  return (
    <div className="buttons">
      <button type="button" className="primary" onClick={onSubmit} disabled={missing > 0} data-testid="submit">
        {t("annotate.submit")} <kbd>{label("submit")}</kbd>
      </button>
      {canAccept && (
        <button type="button" onClick={onAccept}>
          {t("annotate.accept")} <kbd>{label("accept")}</kbd>
        </button>
      )}
      <button type="button" onClick={onSkip}>
        {t("annotate.skip")} <kbd>{label("skip")}</kbd>
      </button>
      <span className="muted" data-testid="answered-count">
        {pair ? (missing ? t("annotate.choosePreference") : t("annotate.ready")) : t("annotate.answered", { n: answered, of: applicable })}
      </span>
    </div>
  );
}
