// The annotate screen's buttons: submit (once complete), accept the model's pre-fill, skip; and how
// much of the task is answered.

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
  return (
    <div className="buttons">
      <button type="button" className="primary" onClick={onSubmit} disabled={missing > 0} data-testid="submit">
        Submit <kbd>Enter</kbd>
      </button>
      {canAccept && (
        <button type="button" onClick={onAccept}>
          Accept pre-fill <kbd>a</kbd>
        </button>
      )}
      <button type="button" onClick={onSkip}>
        Skip <kbd>s</kbd>
      </button>
      <span className="muted" data-testid="answered-count">
        {pair ? (missing ? "choose a preference" : "ready") : `${answered}/${applicable} answered`}
      </span>
    </div>
  );
}
