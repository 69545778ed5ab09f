import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import axe from "axe-core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import AccountPage from "./AccountPage";
import { renderAt } from "../test/render";
import { WithSession } from "../test/session";
import type { PersonalToken } from "../types";

const json = (data: unknown, status = 200) =>
  new Response(JSON.stringify(data), { status, headers: { "Content-Type": "application/json" } });

const token = (id: number, name: string, extra: Partial<PersonalToken> = {}): PersonalToken => ({
  id,
  name,
  prefix: `vrp_abc${id}defgh`.slice(0, 12),
  created_at: "2026-12-01T08:00:00Z",
  last_used_at: null,
  expires_at: null,
  revoked_at: null,
  state: "active",
  ...extra,
});

let tokens: PersonalToken[];
let calls: { method: string; url: string; body: unknown }[];
let createAnswer: { status: number; body: unknown };

beforeEach(() => {
  calls = [];
  tokens = [token(1, "nightly export", { last_used_at: "2026-12-05T10:00:00Z" })];
  createAnswer = { status: 201, body: { ...token(2, "laptop"), key: "vrp_THE-SECRET-KEY-0123456789abcdefghijklmnop" } };
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      const method = init?.method ?? "GET";
      const body = init?.body ? JSON.parse(String(init.body)) : undefined;
      calls.push({ method, url, body });
      if (url.startsWith("/api/tokens/?")) return json({ count: tokens.length, next: null, previous: null, results: tokens });
      if (url === "/api/tokens/" && method === "POST") {
        if (createAnswer.status === 201) tokens = [token(2, "laptop"), ...tokens];
        return json(createAnswer.body, createAnswer.status);
      }
      if (url === "/api/tokens/1/" && method === "DELETE") {
        tokens = tokens.map((t) => (t.id === 1 ? { ...t, state: "revoked", revoked_at: "2026-12-06T00:00:00Z" } : t));
        return new Response(null, { status: 204 });
      }
      return json({ detail: "not found" }, 404);
    }),
  );
});

afterEach(() => vi.unstubAllGlobals());

const renderPage = () =>
  renderAt(
    "/account",
    "/account",
    <WithSession>
      <AccountPage />
    </WithSession>,
  );

describe("AccountPage", () => {
  it("lists the tokens with when they were last used, never a key", async () => {
    renderPage();
    const table = await screen.findByRole("table", { name: "Your personal API tokens" });
    const row = within(table).getByRole("row", { name: /nightly export/ });
    expect(row).toHaveTextContent("vrp_abc1defg…");
    expect(row).toHaveTextContent(new Date("2026-12-05T10:00:00Z").toLocaleString());
    expect(row).toHaveTextContent("never"); // expires
  });

  it("creates a token with a name and an expiry and shows its key once", async () => {
    const user = userEvent.setup();
    renderPage();
    await screen.findByRole("table", { name: "Your personal API tokens" });
    await user.type(screen.getByLabelText("Token name"), "laptop");
    await user.selectOptions(screen.getByLabelText("Expires"), "30");
    await user.click(screen.getByRole("button", { name: "Create token" }));
    const key = await screen.findByLabelText("Token key");
    expect(key).toHaveValue("vrp_THE-SECRET-KEY-0123456789abcdefghijklmnop");
    expect(screen.getByText("Copy the key now: it is shown only this once.")).toBeInTheDocument();
    const post = calls.find((c) => c.method === "POST")!;
    const body = post.body as { name: string; expires_at: string };
    expect(body.name).toBe("laptop");
    const days = (new Date(body.expires_at).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThan(30.1);
    await user.click(screen.getByRole("button", { name: "I have copied it" }));
    expect(screen.queryByLabelText("Token key")).not.toBeInTheDocument();
  });

  it("names the field the server refuses", async () => {
    const user = userEvent.setup();
    createAnswer = { status: 400, body: { detail: "taken", errors: { name: ["You already have a token named 'x'."] } } };
    renderPage();
    await screen.findByRole("table", { name: "Your personal API tokens" });
    await user.type(screen.getByLabelText("Token name"), "x");
    await user.click(screen.getByRole("button", { name: "Create token" }));
    expect(await screen.findByText("You already have a token named 'x'.")).toBeInTheDocument();
    expect(screen.getByLabelText("Token name")).toHaveAttribute("aria-invalid", "true");
  });

  it("revokes a token after a confirm that says what stops working", async () => {
    const user = userEvent.setup();
    const { container } = renderPage();
    await screen.findByRole("table", { name: "Your personal API tokens" });
    await user.click(screen.getByRole("button", { name: "Revoke nightly export" }));
    const dialog = screen.getByRole("dialog", { name: "Revoke nightly export?" });
    expect(dialog).toHaveTextContent("stop working at once");
    expect(within(dialog).getByRole("button", { name: /Cancel/ })).toHaveFocus();
    const results = await axe.run(container, { rules: { "color-contrast": { enabled: false } } });
    expect(results.violations.map((v) => v.id)).toEqual([]);
    await user.click(within(dialog).getByRole("button", { name: "Revoke token" }));
    await waitFor(() => expect(calls.some((c) => c.method === "DELETE" && c.url === "/api/tokens/1/")).toBe(true));
    expect(await screen.findByText(/its key no longer works/)).toBeInTheDocument();
    const row = await screen.findByRole("row", { name: /nightly export.*revoked/ });
    expect(within(row).queryByRole("button")).not.toBeInTheDocument();
  });
});
