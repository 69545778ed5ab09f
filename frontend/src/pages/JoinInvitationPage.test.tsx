import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import AcceptInvitationPage from "./AcceptInvitationPage";
import JoinInvitationPage from "./JoinInvitationPage";
import { renderAt } from "../test/render";
import { WithSession } from "../test/session";

const json = (data: unknown, status = 200) =>
  new Response(JSON.stringify(data), { status, headers: { "Content-Type": "application/json" } });

const LINK = { email: "", project: "Street photos", role: "reviewer", expires_at: "2026-12-09T00:00:00Z" };
let calls: { url: string; body: unknown }[];
let joinAnswer: { status: number; body: unknown };

beforeEach(() => {
  calls = [];
  joinAnswer = { status: 200, body: LINK };
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      const body = init?.body ? JSON.parse(String(init.body)) : undefined;
      calls.push({ url, body });
      if (url === "/api/auth/invitation/") return json(LINK);
      if (url === "/api/auth/invitation/join/") return json(joinAnswer.body, joinAnswer.status);
      if (url === "/api/auth/invitation/accept/") return json({ id: 5, username: body.username, is_staff: false }, 201);
      return json({ detail: "not found" }, 404);
    }),
  );
});

afterEach(() => vi.unstubAllGlobals());

describe("invitation links", () => {
  it("lets a signed-in user join the link's project with their account", async () => {
    const user = userEvent.setup();
    renderAt(
      "/invitation#token=abc",
      "/invitation",
      <WithSession user={{ username: "carl" }}>
        <JoinInvitationPage />
      </WithSession>,
    );
    expect(await screen.findByText(/to the project/)).toHaveTextContent("Invitation to the project Street photos as reviewer.");
    await user.click(screen.getByRole("button", { name: "Join as carl" }));
    expect(await screen.findByRole("status")).toHaveTextContent("You are now a reviewer in Street photos.");
    expect(calls.find((c) => c.url.endsWith("/join/"))!.body).toEqual({ token: "abc" });
  });

  it("says why joining is refused", async () => {
    const user = userEvent.setup();
    joinAnswer = { status: 400, body: { detail: "x", errors: { token: ["You are already a member of Street photos, as annotator."] } } };
    renderAt(
      "/invitation#token=abc",
      "/invitation",
      <WithSession user={{ username: "carl" }}>
        <JoinInvitationPage />
      </WithSession>,
    );
    await user.click(await screen.findByRole("button", { name: "Join as carl" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("already a member");
  });

  it("asks a link's new invitee for an optional e-mail address", async () => {
    const user = userEvent.setup();
    renderAt("/invitation#token=abc", "/invitation", <AcceptInvitationPage />);
    await user.type(await screen.findByLabelText("Choose a username"), "newbie");
    await user.type(screen.getByLabelText("Choose a password"), "a-long-password-1");
    await user.type(screen.getByLabelText("E-mail address (optional)"), "newbie@example.org");
    await user.click(screen.getByRole("button", { name: "Create my account" }));
    await vi.waitFor(() => expect(calls.some((c) => c.url.endsWith("/accept/"))).toBe(true));
    expect(calls.find((c) => c.url.endsWith("/accept/"))!.body).toEqual({
      token: "abc",
      username: "newbie",
      password: "a-long-password-1",
      email: "newbie@example.org",
    });
  });
});
