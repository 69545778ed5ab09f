import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import axe from "axe-core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import PreferencesPage from "./PreferencesPage";
import { PreferencesProvider } from "../preferences";
import { renderAt } from "../test/render";
import type { Preferences } from "../types";

const json = (data: unknown, status = 200) =>
  new Response(JSON.stringify(data), { status, headers: { "Content-Type": "application/json" } });

let stored: Preferences;
let patches: unknown[];

beforeEach(() => {
  localStorage.clear();
  patches = [];
  stored = { language: "", theme: "system", single_key_shortcuts: true, keymap: {} };
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      if (url !== "/api/me/preferences/") return json({ detail: "not found" }, 404);
      if (init?.method === "PATCH") {
        const change = JSON.parse(String(init.body));
        patches.push(change);
        if (change.theme === "purple") return json({ detail: "theme: One of …", errors: { theme: ["One of …"] } }, 400);
        stored = { ...stored, ...change };
      }
      return json(stored);
    }),
  );
});

afterEach(() => vi.unstubAllGlobals());

const renderPage = () =>
  renderAt(
    "/account/preferences",
    "/account/preferences",
    <PreferencesProvider signedIn>
      <PreferencesPage />
    </PreferencesProvider>,
  );

describe("PreferencesPage", () => {
  it("remaps a key by pressing it, refuses another action's key, and resets", async () => {
    const user = userEvent.setup();
    renderPage();
    await user.click(screen.getByRole("button", { name: "Change the key of Option 1" }));
    expect(within(screen.getByTestId("keymap-option.1")).getByText(/Press a key/)).toBeInTheDocument();
    await user.keyboard("q");
    await waitFor(() => expect(within(screen.getByTestId("keymap-option.1")).getByText("q")).toBeInTheDocument());
    expect(patches).toEqual([{ keymap: { "option.1": ["KeyQ"] } }]);

    await user.click(screen.getByRole("button", { name: "Change the key of Skip the task" }));
    await user.keyboard("a");
    expect(screen.getByRole("alert")).toHaveTextContent("a is already the key of Accept the pre-fill");
    expect(patches).toHaveLength(1);

    await user.click(screen.getByRole("button", { name: "Reset the key of Option 1" }));
    await waitFor(() => expect(patches).toHaveLength(2));
    expect(patches[1]).toEqual({ keymap: {} });
  });

  it("changes the language, the theme and the single-key shortcuts, on <html> too", async () => {
    const user = userEvent.setup();
    renderPage();
    await user.selectOptions(screen.getByLabelText("Theme"), "dark");
    await waitFor(() => expect(document.documentElement.dataset.theme).toBe("dark"));
    await user.click(screen.getByTestId("single-key"));
    await waitFor(() => expect(within(screen.getByTestId("keymap-option.1")).getByText("Alt+1")).toBeInTheDocument());
    await user.selectOptions(screen.getByLabelText("Language"), "zh-CN");
    await waitFor(() => expect(screen.getByRole("heading", { name: "偏好设置" })).toBeInTheDocument());
    expect(document.documentElement.lang).toBe("zh-CN");
    expect(stored).toMatchObject({ theme: "dark", single_key_shortcuts: false, language: "zh-CN" });
  });

  it("has no axe violations", async () => {
    const { container } = renderPage();
    await screen.findByRole("heading", { name: "Preferences" });
    const result = await axe.run(container, { rules: { "color-contrast": { enabled: false } } });
    expect(result.violations.map((v) => v.id)).toEqual([]);
  });
});
