import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import axe from "axe-core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import MembersPage from "./MembersPage";
import { renderAt } from "../test/render";
import type { Invitation, Member } from "../types";

const json = (data: unknown, status = 200) =>
  new Response(JSON.stringify(data), { status, headers: { "Content-Type": "application/json" } });
const page = <T,>(results: T[]) => ({ count: results.length, next: null, previous: null, results });

const PROJECT = { id: 7, name: "Street photos", media_type: "image", archived: false, my_role: "manager" };

const member = (id: number, username: string, role: Member["role"], extra: Partial<Member> = {}): Member => ({
  id,
  username,
  role,
  created_at: "2026-11-01T08:00:00Z",
  last_login: null,
  last_annotation_at: null,
  last_assignment_at: null,
  last_activity_at: null,
  annotations_done: 0,
  active_leases: 0,
  ...extra,
});

let members: Member[];
let invitations: Invitation[];
let calls: { method: string; url: string; body: unknown }[];
let answers: Record<string, { status: number; body: unknown }>;

beforeEach(() => {
  calls = [];
  answers = {};
  members = [
    member(1, "boss", "manager", { last_login: "2026-12-06T09:00:00Z" }),
    member(2, "ann", "annotator", {
      last_login: "2026-12-05T09:00:00Z",
      last_activity_at: "2026-12-05T09:30:00Z",
      annotations_done: 12,
      active_leases: 2,
    }),
  ];
  invitations = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      const method = init?.method ?? "GET";
      const body = init?.body ? JSON.parse(String(init.body)) : undefined;
      calls.push({ method, url, body });
      const answer = answers[`${method} ${url}`];
      if (answer) return answer.status === 204 ? new Response(null, { status: 204 }) : json(answer.body, answer.status);
      if (url === "/api/projects/7/") return json(PROJECT);
      if (url.startsWith("/api/projects/7/members/?")) return json(page(members));
      if (url.startsWith("/api/invitations/?")) return json(page(invitations));
      return json({ detail: "not found" }, 404);
    }),
  );
});

afterEach(() => vi.unstubAllGlobals());

const renderPage = () => renderAt("/projects/7/members", "/projects/:projectId/members", <MembersPage />);

describe("MembersPage", () => {
  it("shows each member's role, last login, last activity and counts", async () => {
    renderPage();
    const row = await screen.findByTestId("member-ann");
    expect(within(row).getByRole("combobox", { name: "Role of ann" })).toHaveValue("annotator");
    expect(row).toHaveTextContent(new Date("2026-12-05T09:00:00Z").toLocaleString());
    expect(row).toHaveTextContent(new Date("2026-12-05T09:30:00Z").toLocaleString());
    expect(within(row).getAllByRole("cell").map((c) => c.textContent)).toContain("12");
    expect(screen.getByTestId("member-boss")).toHaveTextContent("never"); // no activity yet
  });

  it("makes a shareable link with a role and a number of people, shown once", async () => {
    const user = userEvent.setup();
    answers["POST /api/invitations/"] = {
      status: 201,
      body: {
        id: 9,
        email: "",
        project: 7,
        role: "reviewer",
        max_uses: 5,
        uses: 0,
        invited_by: "boss",
        created_at: "2026-12-06T10:00:00Z",
        expires_at: "2026-12-09T10:00:00Z",
        accepted_at: null,
        state: "pending",
        link: "http://app.test/invitation#token=abc",
      },
    };
    renderPage();
    const form = await screen.findByRole("form", { name: "Invite by link" });
    await user.selectOptions(within(form).getByLabelText("Role"), "reviewer");
    await user.clear(within(form).getByLabelText("People who may use it"));
    await user.type(within(form).getByLabelText("People who may use it"), "5");
    await user.clear(within(form).getByLabelText("Expires after (days)"));
    await user.type(within(form).getByLabelText("Expires after (days)"), "3");
    await user.click(within(form).getByRole("button", { name: "Create link" }));
    expect(await screen.findByLabelText("Invitation link")).toHaveValue("http://app.test/invitation#token=abc");
    expect(screen.getByText(/Invitation link for 5 people as reviewer/)).toBeInTheDocument();
    const post = calls.find((c) => c.method === "POST")!;
    expect(post.body).toEqual({ project: 7, role: "reviewer", max_uses: 5, expires_in_days: 3 });
  });

  it("adds an existing user and says why one cannot be added", async () => {
    const user = userEvent.setup();
    answers["POST /api/projects/7/members/"] = {
      status: 400,
      body: { detail: "no", errors: { username: ["No active user has this username: check the spelling."] } },
    };
    renderPage();
    const form = await screen.findByRole("form", { name: "Add an existing user" });
    await user.type(within(form).getByLabelText("Username"), "ghost");
    await user.click(within(form).getByRole("button", { name: "Add member" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent("No active user has this username");
    answers["POST /api/projects/7/members/"] = { status: 201, body: member(3, "carl", "researcher") };
    await user.clear(within(form).getByLabelText("Username"));
    await user.type(within(form).getByLabelText("Username"), "carl");
    await user.selectOptions(within(form).getByLabelText("Role"), "researcher");
    await user.click(within(form).getByRole("button", { name: "Add member" }));
    expect(await screen.findByText("carl is now a member, as researcher.")).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "POST").pop()!.body).toEqual({ username: "carl", role: "researcher" });
  });

  it("changes a role, and shows the server's reason when the last manager would go", async () => {
    const user = userEvent.setup();
    answers["PATCH /api/projects/7/members/2/"] = { status: 200, body: member(2, "ann", "reviewer") };
    answers["PATCH /api/projects/7/members/1/"] = {
      status: 400,
      body: { detail: "x", errors: { role: ["boss is the project's only manager: make another member a manager first."] } },
    };
    renderPage();
    await user.selectOptions(await screen.findByRole("combobox", { name: "Role of ann" }), "reviewer");
    expect(await screen.findByText("ann is now a reviewer.")).toBeInTheDocument();
    expect(calls.find((c) => c.method === "PATCH")!.body).toEqual({ role: "reviewer" });
    await user.selectOptions(screen.getByRole("combobox", { name: "Role of boss" }), "annotator");
    expect(await screen.findByRole("alert")).toHaveTextContent("only manager");
    await waitFor(() => expect(screen.getByRole("combobox", { name: "Role of boss" })).toHaveValue("manager"));
  });

  it("removes a member after a confirm that says what happens to their leases and annotations", async () => {
    const user = userEvent.setup();
    answers["DELETE /api/projects/7/members/2/"] = { status: 204, body: null };
    const { container } = renderPage();
    await user.click(await screen.findByRole("button", { name: "Remove ann" }));
    const dialog = screen.getByRole("dialog", { name: "Remove ann from Street photos?" });
    expect(dialog).toHaveTextContent("Their 2 leased tasks go back to the queue for others");
    expect(dialog).toHaveTextContent("Their 12 submitted annotations stay in the project");
    const results = await axe.run(container, { rules: { "color-contrast": { enabled: false } } });
    expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(", ")}`)).toEqual([]);
    await user.click(within(dialog).getByRole("button", { name: "Remove member" }));
    expect(await screen.findByText("ann is removed from the project.")).toBeInTheDocument();
    expect(calls.some((c) => c.method === "DELETE" && c.url === "/api/projects/7/members/2/")).toBe(true);
  });

  it("lists link invitations with their uses, and revokes a pending one", async () => {
    const user = userEvent.setup();
    invitations = [
      {
        id: 4,
        email: "",
        project: 7,
        role: "annotator",
        max_uses: 10,
        uses: 3,
        invited_by: "boss",
        created_at: "2026-12-01T00:00:00Z",
        expires_at: "2026-12-08T00:00:00Z",
        accepted_at: null,
        state: "pending",
      },
    ];
    answers["DELETE /api/invitations/4/"] = { status: 204, body: null };
    renderPage();
    const table = await screen.findByRole("table", { name: "Invitations to this project" });
    expect(table).toHaveTextContent("Link (3 of 10 uses)");
    await user.click(within(table).getByRole("button", { name: "Revoke the invitation Link (3 of 10 uses)" }));
    expect(await screen.findByText("The invitation is revoked: its link no longer works.")).toBeInTheDocument();
  });
});
