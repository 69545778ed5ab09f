import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import LoginPage from "./LoginPage";
import { renderAt } from "../test/render";

const json = (data: unknown, status = 200) =>
  new Response(JSON.stringify(data), { status, headers: { "Content-Type": "application/json" } });

let answer: Response;

beforeEach(() => {
  vi.stubGlobal(
    "fetch",
    vi.fn(async () => answer),
  );
});

afterEach(() => vi.unstubAllGlobals());

async function signIn() {
  renderAt("/login", "/login", <LoginPage onLogin={() => {}} />);
  await userEvent.type(screen.getByLabelText("Username"), "ann");
  await userEvent.type(screen.getByLabelText("Password"), "wrong");
  await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
}

describe("LoginPage", () => {
  it("shows a wrong password as the server words it", async () => {
    answer = json({ detail: "Wrong username or password.", errors: {} }, 400);
    await signIn();
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong username or password.");
  });

  it("shows a lock-out (429) with when to try again and the way to reset the password", async () => {
    const detail =
      "Too many failed logins for this account or from this address. Try again after 14:05 UTC (in about 15 minutes), or ask an admin to lift the lock-out.";
    answer = json({ detail }, 429);
    await signIn();
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Sign-in is locked for now.");
    expect(alert).toHaveTextContent("Try again after 14:05 UTC");
    expect(screen.getAllByRole("link", { name: /reset it by e-mail/i })[0]).toHaveAttribute("href", "/forgot-password");
  });

  it("links to the forgotten-password page", () => {
    renderAt("/login", "/login", <LoginPage onLogin={() => {}} />);
    expect(screen.getByRole("link", { name: "Forgot password?" })).toHaveAttribute("href", "/forgot-password");
  });
});
