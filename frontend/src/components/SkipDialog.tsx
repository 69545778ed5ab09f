import { useEffect, useRef, useState, type FormEvent } from "react";
import { useT, type MessageKey } from "../i18n";

export const SKIP_REASONS = [
  "The media does not load or is broken",
  "The prompt is unclear or missing",
  "Inappropriate or disturbing content",
  "I cannot judge this item",
];

/** Asks why a task is skipped (managers see the reason, in English: the labels are translated, the
 * reasons sent are not); number keys pick a reason. */
export default function SkipDialog({ onSkip, onCancel }: { onSkip: (reason: string) => void; onCancel: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState(SKIP_REASONS[0]);
  const [other, setOther] = useState("");
  const t = useT();

  useEffect(() => {
    const el = dialog.current;
    if (el && !el.open) el.showModal?.();
    return () => el?.close?.();
  }, []);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const text = reason === "other" ? other.trim() : reason;
    if (text) onSkip(text);
  };

  return (
    <dialog
      ref={dialog}
      aria-labelledby="skip-title"
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
      onKeyDown={(e) => {
        const target = e.target as HTMLElement;
        if (target.tagName === "TEXTAREA") return;
        // by the physical key, as the annotate screen's keys (AZERTY's digit row types & é " …)
        const digit = /^(?:Digit|Numpad)([1-9])$/.exec(e.code)?.[1] ?? (/^[1-9]$/.test(e.key) ? e.key : "");
        const n = Number(digit);
        if (n >= 1 && n <= SKIP_REASONS.length + 1) {
          e.preventDefault();
          setReason(n <= SKIP_REASONS.length ? SKIP_REASONS[n - 1] : "other");
        }
      }}
      data-testid="skip-dialog"
    >
      <form onSubmit={submit}>
        <h2 id="skip-title">{t("skip.title")}</h2>
        <p className="muted">{t("skip.why")}</p>
        <fieldset className="reasons">
          <legend className="muted">{t("skip.reason")}</legend>
          {[...SKIP_REASONS, "other"].map((r, i) => (
            <label key={r}>
              <input type="radio" name="reason" value={r} checked={reason === r} onChange={() => setReason(r)} autoFocus={i === 0} />{" "}
              <kbd>{i + 1}</kbd> {r === "other" ? t("skip.other") : t(`skip.reason.${i}` as MessageKey)}
            </label>
          ))}
          {reason === "other" && (
            <textarea aria-label={t("skip.otherLabel")} value={other} onChange={(e) => setOther(e.target.value)} autoFocus required maxLength={2000} />
          )}
        </fieldset>
        <div className="actions">
          <button type="submit" className="primary">
            {t("skip.submit")} <kbd>Enter</kbd>
          </button>
          <button type="button" onClick={onCancel}>
            {t("skip.cancel")} <kbd>Esc</kbd>
          </button>
        </div>
      </form>
    </dialog>
  );
}
