import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import axe from "axe-core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import WebhooksSection from "./WebhooksSection";
import type { Webhook, WebhookDelivery } from "../../types";

const json = (data: unknown, status = 200) =>
  new Response(JSON.stringify(data), { status, headers: { "Content-Type": "application/json" } });
const page = (results: unknown[]) => ({ count: results.length, next: null, previous: null, results });

const HOOK: Webhook = {
  id: 3,
  url: "https://example.org/hooks",
  events: ["task.completed"],
  description: "",
  active: true,
  disabled_reason: "",
  secret_hint: "whsec_abcd…",
  created_by: "manager",
  created_at: "2026-12-01T08:00:00Z",
  last_delivery: null,
};

const DELIVERY: WebhookDelivery = {
  id: 11,
  event: "task.completed",
  event_id: "5b1d2f0e-0000-4000-8000-000000000001",
  state: "failed",
  attempts: 9,
  next_attempt_at: null,
  last_attempt_at: "2026-12-02T08:00:00Z",
  delivered_at: null,
  status_code: 500,
  latency_ms: 42,
  response_excerpt: "<img src=x onerror=alert(1)>",
  error: "the receiver answered 500",
  created_at: "2026-12-01T08:00:00Z",
  payload: {},
};

let hooks: Webhook[];
let calls: { method: string; url: string; body: unknown }[];

beforeEach(() => {
  hooks = [];
  calls = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      const method = init?.method ?? "GET";
      const body = init?.body ? JSON.parse(String(init.body)) : undefined;
      calls.push({ method, url, body });
      if (url === "/api/projects/7/webhooks/?limit=100") return json(page(hooks));
      if (url === "/api/projects/7/webhooks/" && method === "POST") {
        if (!String(body.url).startsWith("https://")) {
          return json({ detail: "invalid", errors: { url: ["10.0.0.1 is a private address"] } }, 400);
        }
        hooks = [{ ...HOOK, url: body.url, events: body.events }];
        return json({ ...hooks[0], secret: "whsec_THE-SECRET-0123456789" }, 201);
      }
      if (url === "/api/projects/7/webhooks/3/deliveries/?limit=50") return json(page([DELIVERY]));
      if (url === "/api/projects/7/webhooks/3/deliveries/11/redeliver/") return json({ ...DELIVERY, state: "pending" }, 202);
      return json({ detail: `unexpected ${method} ${url}` }, 404);
    }),
  );
});

afterEach(() => vi.unstubAllGlobals());

describe("WebhooksSection", () => {
  it("names the field the server refused", async () => {
    const user = userEvent.setup();
    render(<WebhooksSection projectId={7} />);
    await screen.findByText("No webhooks yet.");
    await user.type(screen.getByLabelText("Payload URL"), "http://10.0.0.1/x");
    await user.click(screen.getByLabelText(/Task completed/));
    await user.click(screen.getByRole("button", { name: "Add webhook" }));
    expect(await screen.findByText("10.0.0.1 is a private address")).toBeInTheDocument();
    expect(screen.getByLabelText("Payload URL")).toHaveAttribute("aria-invalid", "true");
  });

  it("adds a webhook, shows its secret once and its log as text, and sends a delivery again", async () => {
    const user = userEvent.setup();
    const { container } = render(<WebhooksSection projectId={7} />);
    await screen.findByText("No webhooks yet.");
    await user.type(screen.getByLabelText("Payload URL"), "https://example.org/hooks");
    await user.click(screen.getByLabelText(/Task completed/));
    await user.click(screen.getByLabelText(/Job failed/));
    await user.click(screen.getByRole("button", { name: "Add webhook" }));
    expect(await screen.findByLabelText("Signing secret")).toHaveValue("whsec_THE-SECRET-0123456789");
    const made = calls.find((c) => c.method === "POST");
    expect(made?.body).toEqual({ url: "https://example.org/hooks", events: ["task.completed", "job.failed"] });

    const row = await screen.findByTestId("webhook-delivery");
    expect(within(row).getByText("<img src=x onerror=alert(1)>")).toBeInTheDocument(); // text, not HTML
    expect(container.querySelector("img")).toBeNull();
    expect(within(row).getByText("500")).toBeInTheDocument();
    expect(within(row).getByText("42 ms")).toBeInTheDocument();
    const results = await axe.run(container, { rules: { "color-contrast": { enabled: false } } });
    expect(results.violations.map((v) => v.id)).toEqual([]);

    await user.click(within(row).getByRole("button", { name: "Send delivery 11 again" }));
    await waitFor(() =>
      expect(calls.some((c) => c.method === "POST" && c.url.endsWith("/deliveries/11/redeliver/"))).toBe(true),
    );
    expect(await screen.findByText("Delivery #11 queued again (same event id).")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "I have copied it" }));
    expect(screen.queryByLabelText("Signing secret")).toBeNull();
  });
});
