import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import ChecklistPanel from "./ChecklistPanel";
import { gates, rowsOf } from "../checklist";
import type { PredictedOption } from "../types";
import { TWO_DIMENSIONS } from "../test/fixtures";


const DEF = TWO_DIMENSIONS;

function renderPanel({
  options = {},
  focused = "clarity",
  prediction,
  modelName,
}: {
  options?: Record<string, number>;
  focused?: string | null;
  prediction?: Record<string, PredictedOption>;
  modelName?: string;
} = {}) {
  const onChoose = vi.fn();
  const onFocusRow = vi.fn();
  const utils = render(
    <ChecklistPanel
      rows={rowsOf(DEF)}
      gates={gates(DEF, options)}
      value={(key) => options[key]}
      focused={focused}
      prediction={prediction}
      modelName={modelName}
      onChoose={onChoose}
      onFocusRow={onFocusRow}
    />,
  );
  return { ...utils, onChoose, onFocusRow };
}

const group = (name: string) => screen.getByRole("radiogroup", { name });

describe("ChecklistPanel", () => {
  it("shows each dimension as a heading and each sub-dimension as a radio group of its options", () => {
    renderPanel();
    expect(screen.getAllByRole("heading", { level: 3 }).map((h) => h.textContent)).toEqual(["Quality", "Content"]);
    expect(screen.getByRole("region", { name: "Quality" })).toBeInTheDocument();
    expect(screen.getAllByRole("radiogroup").map((g) => g.getAttribute("data-testid"))).toEqual([
      "row-clarity",
      "row-lighting",
      "row-lighting_beauty",
      "row-subject",
    ]);
    // Sub-dimensions sit under their dimension.
    const quality = screen.getByRole("region", { name: "Quality" });
    expect(within(quality).getAllByRole("radiogroup")).toHaveLength(3);
    expect(within(screen.getByRole("region", { name: "Content" })).getAllByRole("radiogroup")).toHaveLength(1);

    const clarity = within(group("Clarity")).getAllByRole("radio");
    expect(clarity.map((r) => r.getAttribute("aria-label"))).toEqual(["very clear", "clear", "blurry"]);
    // Each option shows the number key that picks it.
    expect(clarity.map((r) => r.querySelector("kbd")?.textContent)).toEqual(["1", "2", "3"]);
    expect(clarity.every((r) => r.getAttribute("aria-checked") === "false")).toBe(true);
  });

  it("marks the chosen option as checked", () => {
    renderPanel({ options: { clarity: 1, lighting: 2 } });
    const clear = within(group("Clarity")).getByRole("radio", { name: "clear" });
    expect(clear).toHaveAttribute("aria-checked", "true");
    expect(clear).toHaveClass("chosen");
    const others = within(group("Clarity")).getAllByRole("radio").filter((r) => r !== clear);
    for (const o of others) {
      expect(o).toHaveAttribute("aria-checked", "false");
      expect(o).not.toHaveClass("chosen");
    }
    expect(screen.getByTestId("row-clarity")).toHaveAttribute("data-chosen", "1");
    expect(screen.getByTestId("row-clarity")).toHaveClass("answered");
    expect(screen.getByTestId("row-subject")).toHaveAttribute("data-chosen", "");
  });

  it("marks the focused row and makes only it tabbable", () => {
    renderPanel({ focused: "lighting" });
    expect(screen.getByTestId("row-lighting")).toHaveClass("focused");
    expect(screen.getByTestId("row-lighting")).toHaveAttribute("tabindex", "0");
    expect(screen.getByTestId("row-clarity")).toHaveAttribute("tabindex", "-1");
    expect(screen.getByTestId("row-lighting")).toHaveFocus();
  });

  it("shows the model's guess with its confidence while the row is unanswered", () => {
    const prediction = { clarity: { option: 1, confidence: 0.83 }, lighting: { option: 2, confidence: 0.6 } };
    renderPanel({ prediction, modelName: "vr-judge", options: { lighting: 1 } });

    const clarity = group("Clarity");
    const guessed = within(clarity).getByRole("radio", { name: "clear (model 83%)" });
    expect(guessed).toHaveClass("predicted");
    expect(guessed).not.toHaveClass("chosen");
    expect(guessed).toHaveAttribute("aria-checked", "false");
    expect(guessed).toHaveTextContent("83%");
    expect(within(clarity).getByText(/model:/)).toHaveTextContent("model: clear 83%");
    expect(within(clarity).getByText(/model:/)).toHaveAttribute("title", "Pre-filled by vr-judge");
    expect(within(clarity).getByRole("radio", { name: "very clear" })).not.toHaveClass("predicted");

    // Answered by the human: the guess stays marked on its option, the note goes away.
    const lighting = group("Lighting");
    expect(within(lighting).queryByText(/model:/)).not.toBeInTheDocument();
    expect(within(lighting).getByRole("radio", { name: "distinct (model 60%)" })).toHaveClass("predicted");
    expect(within(lighting).getByRole("radio", { name: "ordinary" })).toHaveClass("chosen");

    // No guess, no note.
    expect(within(group("Subject")).queryByText(/model:/)).not.toBeInTheDocument();
  });

  it("shows a gated row as not applicable, without options", () => {
    renderPanel({ options: { clarity: 2, lighting: 0 }, prediction: { lighting_beauty: { option: 1, confidence: 0.9 } } });
    const row = screen.getByTestId("row-lighting_beauty");
    expect(row).toHaveTextContent("not applicable");
    expect(row).toHaveAttribute("aria-disabled", "true");
    expect(row).toHaveClass("gated");
    expect(within(row).queryAllByRole("radio")).toHaveLength(0);
    expect(within(row).queryByText(/model:/)).not.toBeInTheDocument();
    // The rows that apply still have theirs.
    expect(within(screen.getByTestId("row-lighting")).getAllByRole("radio")).toHaveLength(3);
  });

  it("has options on the gated row while its presence is unknown or yes", () => {
    renderPanel({ options: {} });
    expect(within(screen.getByTestId("row-lighting_beauty")).getAllByRole("radio")).toHaveLength(2);
    expect(screen.getByTestId("row-lighting_beauty")).not.toHaveTextContent("not applicable");
  });

  it("calls onChoose with the row and option code when an option is clicked", async () => {
    const user = userEvent.setup();
    const { onChoose } = renderPanel();
    await user.click(within(group("Lighting")).getByRole("radio", { name: "no lighting" }));
    expect(onChoose).toHaveBeenCalledExactlyOnceWith("lighting", 0);
    await user.click(within(group("Subject")).getByRole("radio", { name: "clear subject" }));
    expect(onChoose).toHaveBeenLastCalledWith("subject", 1);
  });

  it("focuses a row when it is clicked, but not a gated one", async () => {
    const user = userEvent.setup();
    const { onFocusRow } = renderPanel({ options: { lighting: 0 } });
    await user.click(screen.getByText("Subject"));
    expect(onFocusRow).toHaveBeenLastCalledWith("subject");
    onFocusRow.mockClear();
    await user.click(screen.getByText("Lighting beauty"));
    expect(onFocusRow).not.toHaveBeenCalled();
  });
});
