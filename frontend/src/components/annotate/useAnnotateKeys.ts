import { useCallback, useEffect, type Dispatch, type RefObject, type SetStateAction } from "react";
import { valueOf, type Row } from "../../checklist";
import type { AnswerState } from "../../types";
import type { MediaControls } from "../media";
import { actionFor, optionIndex, type Keymap } from "../../keymap";

// The annotate screen's keys (the table in docs/annotator-app.md): what each action does. Which key
// asks for which action is the user's keymap (keymap.ts: physical KeyboardEvent.code, so AZERTY's
// digit row works unshifted; remappable; single-key shortcuts can be turned off). By default 1–9, 0
// (then Shift+1…0) choose an option of the highlighted sub-dimension and move on, ↑ ↓ j k Tab move,
// ← → change, Backspace clears, n goes to the next unanswered, a accepts the pre-fill, Enter
// submits, s skips, ? and i toggle the key list and the instructions, and the media keys act on
// every viewer on screen (both of a pair). Keys typed into a field, a combination the keymap does
// not name (Ctrl+C…), or keys while the skip dialog is open are left alone.

const pick = (e: KeyboardEvent) => ({
  code: e.code,
  key: e.key,
  altKey: e.altKey,
  ctrlKey: e.ctrlKey,
  shiftKey: e.shiftKey,
  metaKey: e.metaKey,
});

function isTyping(target: EventTarget | null) {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable;
}

interface Keys {
  /** The user's keys (the defaults with their remaps) and whether single keys act. */
  keymap: Keymap;
  singleKey: boolean;
  /** The answer on screen (null while no task is). */
  currentRef: RefObject<{ answer: AnswerState } | null>;
  /** The checklist's rows (a pair: the preference, then one per dimension). */
  rows: Row[];
  /** The highlighted row's key. */
  focused: string | null;
  pair: boolean;
  /** The skip dialog is open (it has its own keys). */
  skipping: boolean;
  /** Rows still to answer before a submit. */
  missingRows: string[];
  chooseOption: (key: string, code: number | null, advance: boolean) => void;
  moveFocus: (delta: number) => void;
  /** The rows an answer leaves applicable (gated ones left out). */
  applicable: (answer: AnswerState) => Row[];
  acceptAll: () => void;
  submit: () => void;
  setFocused: Dispatch<SetStateAction<string | null>>;
  setSkipping: Dispatch<SetStateAction<boolean>>;
  setShowHelp: Dispatch<SetStateAction<boolean>>;
  setShowInstructions: Dispatch<SetStateAction<boolean>>;
  /** The media viewers (B: a pair's second). */
  mediaA: RefObject<MediaControls | null>;
  mediaB: RefObject<MediaControls | null>;
}

export default function useAnnotateKeys({
  keymap,
  singleKey,
  currentRef,
  rows,
  focused,
  pair,
  skipping,
  missingRows,
  chooseOption,
  moveFocus,
  applicable,
  acceptAll,
  submit,
  setFocused,
  setSkipping,
  setShowHelp,
  setShowInstructions,
  mediaA,
  mediaB,
}: Keys) {
  const eachMedia = useCallback(
    (fn: (m: MediaControls) => void) => {
      for (const m of [mediaA.current, mediaB.current]) if (m) fn(m);
    },
    [mediaA, mediaB],
  );

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (skipping || event.isComposing || isTyping(event.target)) return;
      const c = currentRef.current;
      if (!c) return;
      const inChecklist = (event.target as HTMLElement | null)?.closest?.(".checklist");
      const row = rows.find((r) => r.key === focused);
      let handled = true;
      if (event.key === "Tab" && !event.altKey && !event.ctrlKey && !event.metaKey) {
        // Tab moves between sub-dimensions inside the checklist, and leaves it at its edges.
        if (!(inChecklist || event.target === document.body)) return;
        const list = applicable(c.answer);
        const i = list.findIndex((r) => r.key === focused);
        const atEdge = event.shiftKey ? i <= 0 : i >= list.length - 1;
        if (atEdge) return;
        moveFocus(event.shiftKey ? -1 : 1);
        event.preventDefault();
        return;
      }
      let action = actionFor(keymap, event, singleKey);
      // Shift + a digit is option 11–20 only where a row has that many: elsewhere it is the digit
      // itself (AZERTY types digits with Shift, and its users are used to it).
      const shifted = action ? optionIndex(action) : null;
      if (event.shiftKey && shifted !== null && row && shifted >= row.options.length) {
        const plain = actionFor(keymap, { ...pick(event), shiftKey: false }, singleKey);
        if (plain && optionIndex(plain) !== null) action = plain;
      }
      if (!action) return;
      const option = optionIndex(action);
      if (option !== null) {
        if (row && row.options[option]) chooseOption(row.key, row.options[option].code, true);
      } else if (action === "next") moveFocus(1);
      else if (action === "previous") moveFocus(-1);
      else if ((action === "option-next" || action === "option-previous") && row) {
        const current = valueOf(c.answer, row.key, pair);
        const i = row.options.findIndex((o) => o.code === current);
        const step = action === "option-next" ? 1 : -1;
        const j = i < 0 ? 0 : Math.max(0, Math.min(row.options.length - 1, i + step));
        chooseOption(row.key, row.options[j].code, false);
      } else if (action === "clear") {
        if (row) chooseOption(row.key, null, false);
      } else if (action === "next-unanswered") {
        if (missingRows.length) setFocused(missingRows[0]);
      } else if (action === "accept") acceptAll();
      else if (action === "submit") {
        const target = event.target as HTMLElement;
        if (target.tagName === "BUTTON" && !inChecklist && !target.closest(".checklist")) handled = false;
        else submit();
      } else if (action === "skip") setSkipping(true);
      else if (action === "help") setShowHelp((v) => !v);
      else if (action === "instructions") setShowInstructions((v) => !v);
      else if (action === "play") eachMedia((m) => m.togglePlay());
      else if (action === "frame-previous") eachMedia((m) => m.step(-1));
      else if (action === "frame-next") eachMedia((m) => m.step(1));
      else if (action === "slower") eachMedia((m) => m.changeSpeed(-1));
      else if (action === "faster") eachMedia((m) => m.changeSpeed(1));
      else if (action === "loop") eachMedia((m) => m.toggleLoop());
      else if (action === "zoom-in") eachMedia((m) => m.zoom(1));
      else if (action === "zoom-out") eachMedia((m) => m.zoom(-1));
      else if (action === "fit") eachMedia((m) => m.fit());
      else handled = false;
      if (handled) event.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [
    keymap,
    singleKey,
    currentRef,
    rows,
    focused,
    pair,
    skipping,
    missingRows,
    chooseOption,
    moveFocus,
    applicable,
    acceptAll,
    submit,
    eachMedia,
    setFocused,
    setSkipping,
    setShowHelp,
    setShowInstructions,
  ]);
}
