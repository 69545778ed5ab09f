import { useEffect, useRef } from "react";
import { isConfident, type Gate, type Row } from "../checklist";
import type { PredictedOption } from "../types";
import { useT } from "../i18n";
import useKeyLabel, { optionLabel } from "./annotate/useKeyLabel";

interface Props {
  rows: Row[];
  gates: Record<string, Gate>;
  value: (key: string) => number | undefined;
  focused: string | null;
  prediction?: Record<string, PredictedOption>;
  modelName?: string;
  /** The project's accept threshold: a guess below it is marked "uncertain — check" (0 marks none). */
  acceptThreshold?: number;
  onChoose: (key: string, code: number) => void;
  onFocusRow: (key: string) => void;
}

/**
 * The checklist grouped by dimension → sub-dimension; each sub-dimension is a radio group of its
 * options with their keys (the user's keymap: 1–9, 0, then ⇧1…⇧0 by default). A model's pre-filled option is dashed amber with its
 * confidence; a human choice is solid blue. A guess below the accept threshold, which `a` leaves
 * for the annotator, says "uncertain — check" in words (and describes its row for screen readers).
 */
export default function ChecklistPanel({
  rows,
  gates,
  value,
  focused,
  prediction,
  modelName,
  acceptThreshold = 0,
  onChoose,
  onFocusRow,
}: Props) {
  const refs = useRef(new Map<string, HTMLDivElement>());
  const t = useT();
  const keyLabel = useKeyLabel();

  useEffect(() => {
    if (!focused) return;
    const el = refs.current.get(focused);
    if (!el) return;
    el.scrollIntoView?.({ block: "nearest" });
    if (document.activeElement !== el && el.contains(document.activeElement) === false) el.focus({ preventScroll: true });
  }, [focused]);

  const groups: { title: string; key: string; rows: Row[] }[] = [];
  for (const row of rows) {
    const last = groups[groups.length - 1];
    if (last && last.key === row.dimension) last.rows.push(row);
    else groups.push({ title: row.dimensionTitle, key: row.dimension, rows: [row] });
  }

  return (
    <div className="checklist" data-testid="checklist">
      {groups.map((group) => (
        <section key={group.key} aria-labelledby={`dim-${group.key}`}>
          <h3 id={`dim-${group.key}`}>{group.title}</h3>
          {group.rows.map((row) => {
            const gate = gates[row.key] ?? "open";
            const chosen = value(row.key);
            const guess = prediction?.[row.key];
            const disabled = gate === "closed";
            const showGuess = !disabled && !!guess && chosen === undefined;
            const uncertain = showGuess && !isConfident(guess, acceptThreshold);
            const classes = ["row"];
            if (row.key === focused) classes.push("focused");
            if (chosen !== undefined) classes.push("answered");
            if (disabled) classes.push("gated");
            if (uncertain) classes.push("uncertain");
            return (
              <div
                key={row.key}
                ref={(el) => {
                  if (el) refs.current.set(row.key, el);
                  else refs.current.delete(row.key);
                }}
                className={classes.join(" ")}
                role="radiogroup"
                aria-labelledby={`row-${row.key}`}
                aria-disabled={disabled || undefined}
                aria-describedby={showGuess ? `guess-${row.key}` : undefined}
                tabIndex={row.key === focused ? 0 : -1}
                onFocus={(e) => {
                  if (e.target === e.currentTarget && !disabled) onFocusRow(row.key);
                }}
                onClick={() => !disabled && onFocusRow(row.key)}
                data-testid={`row-${row.key}`}
                data-chosen={chosen ?? ""}
              >
                <div className="row-title">
                  <span id={`row-${row.key}`} title={row.description || undefined}>
                    {row.title}
                  </span>
                  {disabled && <span className="muted">{t("annotate.notApplicable")}</span>}
                  {showGuess && (
                    <span id={`guess-${row.key}`} className="pred-note" title={modelName ? `Pre-filled by ${modelName}` : undefined}>
                      {t("annotate.model")} {row.options.find((o) => o.code === guess.option)?.label} {Math.round(guess.confidence * 100)}%
                      {uncertain && (
                        <strong className="uncertain-note" data-testid={`uncertain-${row.key}`}>
                          {" "}
                          {t("annotate.uncertain")}
                        </strong>
                      )}
                    </span>
                  )}
                </div>
                {!disabled && (
                  <div className="options">
                    {row.options.map((option, i) => {
                      const isChosen = chosen === option.code;
                      const isPredicted = guess?.option === option.code;
                      return (
                        <button
                          type="button"
                          role="radio"
                          aria-checked={isChosen}
                          tabIndex={-1}
                          key={option.code}
                          className={`opt${isChosen ? " chosen" : ""}${isPredicted ? " predicted" : ""}`}
                          title={option.description || undefined}
                          onClick={(e) => {
                            e.stopPropagation();
                            onChoose(row.key, option.code);
                          }}
                          aria-label={`${option.label}${isPredicted && guess ? ` (model ${Math.round(guess.confidence * 100)}%)` : ""}`}
                        >
                          {optionLabel(keyLabel, i) && <kbd aria-hidden="true">{optionLabel(keyLabel, i)}</kbd>}
                          {option.label}
                          {isPredicted && guess && <span className="conf">{Math.round(guess.confidence * 100)}%</span>}
                        </button>
                      );
                    })}
                  </div>
                )}
              </div>
            );
          })}
        </section>
      ))}
    </div>
  );
}
