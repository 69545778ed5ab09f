// The keys of the annotate screen, as hints: the usual ones always, every other one on the help key.
// What the keys do is in useAnnotateKeys.ts; which keys they are is the user's keymap (keymap.ts),
// so every hint shows the user's own key (remapped, Alt+ with single-key shortcuts off).
import { useT } from "../../i18n";
import { usePreferences } from "../../preferences";
import type { Action } from "../../keymap";
import useKeyLabel from "./useKeyLabel";

function Keys({ actions, label }: { actions: Action[]; label: (a: Action) => string }) {
  return (
    <>
      {actions
        .map((a) => label(a))
        .filter(Boolean)
        .map((text, i) => (
          <kbd key={i}>{text}</kbd>
        ))}
    </>
  );
}

/** The usual keys, always shown under the buttons. */
export function KeyHints({ options = 9 }: { options?: number }) {
  const t = useT();
  const label = useKeyLabel();
  const { preferences } = usePreferences();
  const last = Math.max(1, Math.min(20, options));
  return (
    <div className="hints" aria-label={t("keys.title")} data-testid="key-hints">
      {!preferences.single_key_shortcuts && <span className="muted">{t("keys.off")}</span>}
      <span>
        <kbd>{label("option.1")}</kbd>–<kbd>{label(`option.${last}`)}</kbd> {t("keys.choose")}
      </span>
      <span>
        <Keys actions={["previous", "next"]} label={label} />/<kbd>Tab</kbd> {t("keys.move")}
      </span>
      <span>
        <Keys actions={["option-previous", "option-next"]} label={label} /> {t("keys.change")}
      </span>
      <span>
        <Keys actions={["next-unanswered"]} label={label} /> {t("keys.nextUnanswered")}
      </span>
      <span>
        <Keys actions={["instructions"]} label={label} /> {t("keys.instructions")}
      </span>
      <span>
        <Keys actions={["help"]} label={label} /> {t("keys.allKeys")}
      </span>
    </div>
  );
}

/** Every other key (the help key shows and hides them); accept says from which confidence it accepts. */
export function AllKeys({ acceptThreshold = 0 }: { acceptThreshold?: number }) {
  const t = useT();
  const label = useKeyLabel();
  return (
    <div className="hints" data-testid="help">
      <span>
        <Keys actions={["clear"]} label={label} /> {t("keys.clear")}
      </span>
      <span>
        <Keys actions={["accept"]} label={label} />{" "}
        {acceptThreshold > 0 ? t("keys.acceptAt", { p: Math.round(acceptThreshold * 100) }) : t("keys.accept")}
      </span>
      <span>
        <Keys actions={["skip"]} label={label} /> {t("keys.skip")}
      </span>
      <span>
        <Keys actions={["play"]} label={label} /> {t("keys.play")}
      </span>
      <span>
        <Keys actions={["frame-previous", "frame-next"]} label={label} /> {t("keys.frame")}
      </span>
      <span>
        <Keys actions={["slower", "faster"]} label={label} /> {t("keys.speed")}
      </span>
      <span>
        <Keys actions={["loop"]} label={label} /> {t("keys.loop")}
      </span>
      <span>
        <Keys actions={["zoom-in", "zoom-out", "fit"]} label={label} /> {t("keys.zoom")}
      </span>
    </div>
  );
}
