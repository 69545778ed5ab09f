import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import axe from "axe-core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { DatasetVersion } from "../../types";
import PublishDialog from "./PublishDialog";

const VERSION = {
  id: 5,
  name: "street-photos",
  version: 4,
  label: "street-photos v4",
  state: "ready",
  pushes: [],
} as unknown as DatasetVersion;

interface Call {
  method: string;
  url: string;
  body: unknown;
}
let calls: Call[];
let pushAnswer: { status: number; body: unknown };
let jobStates: unknown[];

const json = (data: unknown, status = 200) =>
  new Response(JSON.stringify(data), { status, headers: { "Content-Type": "application/json" } });
const pushJob = (state: string, extra: object = {}) => ({
  id: 70,
  kind: "push",
  state,
  progress: state === "succeeded" ? 1 : 0.1,
  message: state === "running" ? "uploading 5 files (1.2 MB) to lab/hpd" : "",
  created_at: "2025-12-09T08:00:00Z",
  error: "",
  result: null,
  ...extra,
});

beforeEach(() => {
  calls = [];
  pushAnswer = { status: 202, body: pushJob("queued") };
  jobStates = [
    pushJob("running"),
    pushJob("succeeded", {
      result: { repo_id: "lab/hpd", private: true, url: "https://hub.example/datasets/lab/hpd", commit: "abc", at: "", by: "carol" },
    }),
  ];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      const method = init?.method ?? "GET";
      const body = init?.body ? JSON.parse(String(init.body)) : undefined;
      calls.push({ method, url, body });
      if (url === "/api/dataset-versions/5/push/" && method === "GET")
        return json({ endpoint: "https://hub.example", server_token: false });
      if (url === "/api/dataset-versions/5/push/" && method === "POST") return json(pushAnswer.body, pushAnswer.status);
      if (url === "/api/jobs/70/") return json(jobStates.length > 1 ? jobStates.shift() : jobStates[0]);
      return json({ detail: `unexpected ${method} ${url}` }, 404);
    }),
  );
});

afterEach(() => vi.unstubAllGlobals());

describe("PublishDialog", () => {
  it("pushes with a token for that push, follows the job and shows the dataset's URL", async () => {
    const user = userEvent.setup();
    const published = vi.fn();
    render(<PublishDialog version={VERSION} onClose={() => undefined} onPublished={published} pollMs={5} />);
    const dialog = screen.getByRole("dialog", { name: "Publish street-photos v4 to the Hub" });
    expect(await within(dialog).findByText("https://hub.example")).toBeInTheDocument();
    expect(within(dialog).getByLabelText("Repository")).toHaveFocus();
    expect(within(dialog).getByLabelText("Private (only you and your organisation)")).toBeChecked();
    const token = within(dialog).getByLabelText("Access token");
    expect(token).toHaveAttribute("type", "password");
    expect(token).toHaveAttribute("autocomplete", "off");

    await user.type(within(dialog).getByLabelText("Repository"), " lab/hpd ");
    await user.type(token, "hf_secret123456");
    await user.click(within(dialog).getByRole("button", { name: "Publish" }));
    const link = await within(dialog).findByRole("link", { name: "https://hub.example/datasets/lab/hpd" });
    expect(link).toHaveAttribute("href", "https://hub.example/datasets/lab/hpd");
    expect(within(dialog).getByTestId("publish-url")).toHaveTextContent("(private)");
    expect(published).toHaveBeenCalledWith(expect.objectContaining({ repo_id: "lab/hpd" }));
    const post = calls.find((c) => c.method === "POST")!;
    expect(post.body).toEqual({ repo_id: "lab/hpd", private: true, token: "hf_secret123456" });
    expect(token).toHaveValue(""); // the page keeps no copy once the server holds it
    const results = await axe.run(dialog);
    expect(results.violations.filter((v) => v.impact === "serious" || v.impact === "critical")).toEqual([]);
  });

  it("shows the server's field errors next to their fields, and the Hub's refusal", async () => {
    const user = userEvent.setup();
    pushAnswer = {
      status: 400,
      body: {
        detail: "bad",
        errors: {
          repo_id: ["A Hub dataset repository as owner/name, e.g. my-lab/hpd-preferences."],
          token: ["Give a Hub token with write access for this push (the server has no HF_TOKEN)."],
        },
      },
    };
    render(<PublishDialog version={VERSION} onClose={() => undefined} pollMs={5} />);
    const dialog = screen.getByRole("dialog");
    await user.type(within(dialog).getByLabelText("Repository"), "nope");
    await user.click(within(dialog).getByRole("button", { name: "Publish" }));
    const repo = within(dialog).getByLabelText("Repository");
    await waitFor(() => expect(repo).toHaveAttribute("aria-invalid", "true"));
    expect(repo).toHaveAccessibleDescription(/owner\/name, e.g. my-lab\/hpd-preferences/);
    expect(within(dialog).getByLabelText("Access token")).toHaveAccessibleDescription(/the server has no HF_TOKEN/);
    expect(repo).toHaveFocus();

    pushAnswer = { status: 202, body: pushJob("queued") };
    jobStates = [pushJob("failed", { error: "the Hub refused the token (401): check that it is a valid access token with write access" })];
    await user.clear(repo);
    await user.type(repo, "lab/hpd");
    await user.click(within(dialog).getByLabelText("Public"));
    await user.type(within(dialog).getByLabelText("Access token"), "hf_wrong1234567");
    await user.click(within(dialog).getByRole("button", { name: "Publish" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("The push failed: the Hub refused the token (401)");
    expect(calls.filter((c) => c.method === "POST").at(-1)!.body).toMatchObject({ private: false });
  });
});
