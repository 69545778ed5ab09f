import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Markdown, parseBlocks } from "./markdown";

describe("parseBlocks", () => {
  it("reads headings, paragraphs and both kinds of list", () => {
    const text = "# Rules\n\nLook at the whole image\nbefore answering.\n\n- one\n- two\n  continued\n1. first\n2) second\nAfter.";
    expect(parseBlocks(text)).toEqual([
      { kind: "heading", level: 1, text: "Rules" },
      { kind: "paragraph", text: "Look at the whole image before answering." },
      { kind: "list", ordered: false, items: ["one", "two continued"] },
      { kind: "list", ordered: true, items: ["first", "second"] },
      { kind: "paragraph", text: "After." },
    ]);
  });
});

describe("Markdown", () => {
  it("renders emphasis, code and safe links, and leaves markup and script links as text", () => {
    render(
      <div data-testid="md">
        <Markdown
          text={"## Tips\n**Bold** and *soft* and `q1`. See [the guide](https://example.org/guide) or [this](javascript:alert(1)).\n\n<img src=x onerror=alert(1)>"}
        />
      </div>,
    );
    expect(screen.getByRole("heading", { level: 4, name: "Tips" })).toBeInTheDocument();
    expect(screen.getByText("Bold").tagName).toBe("STRONG");
    expect(screen.getByText("soft").tagName).toBe("EM");
    expect(screen.getByText("q1").tagName).toBe("CODE");
    expect(screen.getByRole("link", { name: "the guide" })).toHaveAttribute("href", "https://example.org/guide");
    expect(screen.queryByRole("link", { name: "this" })).toBeNull();
    expect(screen.getByTestId("md").querySelector("img")).toBeNull();
    expect(screen.getByText("<img src=x onerror=alert(1)>")).toBeInTheDocument();
  });
});
