// The keys of the annotate screen, as hints: the usual ones always, every other one on `?`.
// What the keys do is in useAnnotateKeys.ts.

/** The usual keys, always shown under the buttons. */
export function KeyHints() {
  return (
    <div className="hints" aria-label="Keyboard shortcuts">
      <span>
        <kbd>1</kbd>–<kbd>9</kbd> choose &amp; next
      </span>
      <span>
        <kbd>↑</kbd>
        <kbd>↓</kbd>/<kbd>Tab</kbd> move
      </span>
      <span>
        <kbd>←</kbd>
        <kbd>→</kbd> change
      </span>
      <span>
        <kbd>n</kbd> next unanswered
      </span>
      <span>
        <kbd>i</kbd> instructions
      </span>
      <span>
        <kbd>?</kbd> all keys
      </span>
    </div>
  );
}

/** Every other key (`?` shows and hides them); `a` says from which confidence it accepts. */
export function AllKeys({ acceptThreshold = 0 }: { acceptThreshold?: number }) {
  return (
    <div className="hints" data-testid="help">
      <span>
        <kbd>Backspace</kbd> clear
      </span>
      <span>
        <kbd>a</kbd> accept pre-fill{acceptThreshold > 0 ? ` at ≥ ${Math.round(acceptThreshold * 100)}%` : ""}
      </span>
      <span>
        <kbd>s</kbd> skip
      </span>
      <span>
        <kbd>Space</kbd> play/pause
      </span>
      <span>
        <kbd>,</kbd>
        <kbd>.</kbd> frame −/+
      </span>
      <span>
        <kbd>[</kbd>
        <kbd>]</kbd> speed
      </span>
      <span>
        <kbd>l</kbd> loop
      </span>
      <span>
        <kbd>+</kbd>
        <kbd>−</kbd>
        <kbd>z</kbd> zoom/fit
      </span>
    </div>
  );
}
