import { useCallback, useEffect, type Dispatch, type RefObject, type SetStateAction } from "react";
import { valueOf, type Row } from "../../checklist";
import type { AnswerState } from "../../types";
import type { MediaControls } from "../media";

// The annotate screen's keys (the table in docs/annotator-app.md): 1–9 choose an option of the
// highlighted sub-dimension and move on, ↑ ↓ j k Tab move, ← → change, Backspace clears, n goes to
// the next unanswered, a accepts the pre-fill, Enter submits, s skips, ? and i toggle the key list
// and the instructions, and the media keys act on every viewer on screen (both of a pair).
// Keys typed into a field, with Ctrl/Cmd/Alt, or while the skip dialog is open are left alone.

function isTyping(target: EventTarget | null) {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable;
}

interface Keys {
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
      if (skipping || event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
      const c = currentRef.current;
      if (!c) return;
      const inChecklist = (event.target as HTMLElement | null)?.closest?.(".checklist");
      const row = rows.find((r) => r.key === focused);
      const key = event.key;
      let handled = true;
      if (/^[1-9]$/.test(key) && row) {
        const option = row.options[Number(key) - 1];
        if (option) chooseOption(row.key, option.code, true);
      } else if (key === "ArrowDown" || key === "j") moveFocus(1);
      else if (key === "ArrowUp" || key === "k") moveFocus(-1);
      else if (key === "Tab" && (inChecklist || event.target === document.body)) {
        const list = applicable(c.answer);
        const i = list.findIndex((r) => r.key === focused);
        const atEdge = event.shiftKey ? i <= 0 : i >= list.length - 1;
        if (atEdge) handled = false;
        else moveFocus(event.shiftKey ? -1 : 1);
      } else if ((key === "ArrowRight" || key === "ArrowLeft") && row) {
        const current = valueOf(c.answer, row.key, pair);
        const i = row.options.findIndex((o) => o.code === current);
        const j = i < 0 ? 0 : Math.max(0, Math.min(row.options.length - 1, i + (key === "ArrowRight" ? 1 : -1)));
        chooseOption(row.key, row.options[j].code, false);
      } else if (key === "Backspace" || key === "Delete") {
        if (row) chooseOption(row.key, null, false);
      } else if (key === "n") {
        if (missingRows.length) setFocused(missingRows[0]);
      } else if (key === "a") acceptAll();
      else if (key === "Enter") {
        const target = event.target as HTMLElement;
        if (target.tagName === "BUTTON" && !inChecklist && !target.closest(".checklist")) handled = false;
        else submit();
      } else if (key === "s") setSkipping(true);
      else if (key === "?") setShowHelp((v) => !v);
      else if (key === "i") setShowInstructions((v) => !v);
      else if (key === " ") eachMedia((m) => m.togglePlay());
      else if (key === ",") eachMedia((m) => m.step(-1));
      else if (key === ".") eachMedia((m) => m.step(1));
      else if (key === "[") eachMedia((m) => m.changeSpeed(-1));
      else if (key === "]") eachMedia((m) => m.changeSpeed(1));
      else if (key === "l") eachMedia((m) => m.toggleLoop());
      else if (key === "+" || key === "=") eachMedia((m) => m.zoom(1));
      else if (key === "-") eachMedia((m) => m.zoom(-1));
      else if (key === "z") eachMedia((m) => m.fit());
      else handled = false;
      if (handled) event.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [
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
