import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import BarChart from "./BarChart";

const DATA = [
  { label: "Mon", value: 3 },
  { label: "Tue", value: 0 },
  { label: "Wed", value: 7 },
];

describe("BarChart", () => {
  it("draws one bar per datum with a title and a value label", () => {
    const { container } = render(<BarChart data={DATA} title="Submitted per day" />);
    const bars = container.querySelectorAll("rect.bar-rect");
    expect(bars).toHaveLength(3);
    expect([...bars].map((b) => b.querySelector("title")?.textContent)).toEqual(["Mon: 3", "Tue: 0", "Wed: 7"]);
    // Value labels and category labels are drawn as text.
    expect(container.querySelector("text.value")?.textContent).toBe("3");
    expect([...container.querySelectorAll("text.label")].map((t) => t.textContent)).toEqual(["Mon", "Tue", "Wed"]);
    // The tallest bar reaches the top of the plot, the zero bar has no height.
    const heights = [...bars].map((b) => Number(b.getAttribute("height")));
    expect(heights[1]).toBe(0);
    expect(heights[2]).toBeGreaterThan(heights[0]);
  });

  it("is one image with a summarising label", () => {
    render(<BarChart data={DATA} title="Submitted per day" />);
    const img = screen.getByRole("img");
    expect(img).toHaveAccessibleName(/Submitted per day: 3 bars, highest 7 \(Wed\), lowest 0, total 10/);
  });

  it("uses max and format for the axis", () => {
    const { container } = render(
      <BarChart data={[{ label: "Clarity", value: 50 }]} title="Agreement" max={100} format={(v) => `${v}%`} />,
    );
    const ticks = [...container.querySelectorAll("text.tick")].map((t) => t.textContent);
    expect(ticks).toEqual(["0%", "50%", "100%"]);
    expect(container.querySelector("rect.bar-rect title")?.textContent).toBe("Clarity: 50%");
  });

  it("shows the numbers as a table on request", async () => {
    const user = userEvent.setup();
    render(<BarChart data={DATA} title="Submitted per day" />);
    expect(screen.queryByRole("table")).not.toBeInTheDocument();
    const toggle = screen.getByRole("button", { name: /show data/i });
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    await user.click(toggle);
    const table = screen.getByRole("table", { name: "Submitted per day" });
    expect(table).toBeInTheDocument();
    expect(screen.getByRole("rowheader", { name: "Wed" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: /hide data/i })).toHaveAttribute("aria-expanded", "true");
  });

  it("says so when there is no data", () => {
    const { container } = render(<BarChart data={[]} title="Submitted per day" />);
    expect(screen.getByText("No data yet")).toBeInTheDocument();
    expect(container.querySelector("svg")).toBeNull();
  });
});
