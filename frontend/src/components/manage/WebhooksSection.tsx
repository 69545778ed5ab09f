import { useCallback, useEffect, useId, useState } from "react";
import { api, fieldErrors } from "../../api";
import CopyField from "../CopyField";
import type { Webhook, WebhookDelivery, WebhookEvent, WebhookWithSecret } from "../../types";
import { message, when } from "./format";

// Webhooks (managers): the project's URLs subscribed to its events. Add one (URL and events; the
// signing secret is shown once, with a copy button), turn it on or off, send a test event, rotate
// its secret, delete it, and read its delivery log (event, state, status code, latency, attempts,
// time, the start of the receiver's answer as plain text) with "Send again" per delivery.

export const WEBHOOK_EVENTS: { name: WebhookEvent; label: string }[] = [
  { name: "annotation.submitted", label: "Annotation submitted" },
  { name: "task.completed", label: "Task completed" },
  { name: "import.finished", label: "Import finished" },
  { name: "export.finished", label: "Export finished" },
  { name: "weight_set.promoted", label: "Weight set promoted" },
  { name: "job.failed", label: "Job failed" },
];

/** The last action's error (an alert, when set) and its outcome (a status line, always there for screen readers). */
function Outcome({ error, status }: { error: string; status: string }) {
  return (
    <>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <p role="status" className="muted">
        {status}
      </p>
    </>
  );
}

function DeliveryLog({ projectId, webhook, refresh }: { projectId: number; webhook: Webhook; refresh: number }) {
  const [deliveries, setDeliveries] = useState<WebhookDelivery[] | null>(null);
  const [error, setError] = useState("");
  const [status, setStatus] = useState("");

  const load = useCallback(() => {
    api.webhookDeliveries(projectId, webhook.id).then(
      (page) => setDeliveries(page.results),
      (exc) => setError(message(exc)),
    );
  }, [projectId, webhook.id]);

  useEffect(() => {
    load();
    const timer = window.setInterval(load, 3000); // attempts land in the background
    return () => window.clearInterval(timer);
  }, [load, refresh]);

  const sendAgain = async (d: WebhookDelivery) => {
    setError("");
    try {
      await api.redeliverWebhook(projectId, webhook.id, d.id);
      setStatus(`Delivery #${d.id} queued again (same event id).`);
      load();
    } catch (exc) {
      setError(message(exc));
    }
  };

  return (
    <div className="webhook-log">
      <h4>Deliveries</h4>
      <Outcome error={error} status={status} />
      {!deliveries && !error && <p className="muted">Loading deliveries…</p>}
      {deliveries && !deliveries.length && <p className="muted">No deliveries yet.</p>}
      {deliveries && deliveries.length > 0 && (
        <div className="table-scroll">
          <table>
            <caption className="visually-hidden">Deliveries to {webhook.url}</caption>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">State</th>
                <th scope="col" className="num">
                  Status
                </th>
                <th scope="col" className="num">
                  Latency
                </th>
                <th scope="col" className="num">
                  Attempts
                </th>
                <th scope="col">Time</th>
                <th scope="col">Answer</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {deliveries.map((d) => (
                <tr key={d.id} data-testid="webhook-delivery">
                  <th scope="row">
                    <code>{d.event}</code>
                  </th>
                  <td>
                    <span className={`badge delivery-${d.state}`}>{d.state}</span>
                  </td>
                  <td className="num">{d.status_code ?? "—"}</td>
                  <td className="num">{d.latency_ms == null ? "—" : `${d.latency_ms} ms`}</td>
                  <td className="num">{d.attempts}</td>
                  <td>{when(d.last_attempt_at ?? d.created_at)}</td>
                  <td>
                    {/* the receiver's answer is text: React escapes it, nothing is rendered as HTML */}
                    {d.response_excerpt ? <pre className="excerpt">{d.response_excerpt}</pre> : null}
                    {d.error && <span className="muted">{d.error}</span>}
                  </td>
                  <td>
                    {(d.state === "delivered" || d.state === "failed") && (
                      <button type="button" onClick={() => sendAgain(d)} aria-label={`Send delivery ${d.id} again`}>
                        Send again
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

export default function WebhooksSection({ projectId }: { projectId: number }) {
  const formId = useId();
  const [webhooks, setWebhooks] = useState<Webhook[] | null>(null);
  const [error, setError] = useState("");
  const [status, setStatus] = useState("");
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<WebhookEvent[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState(false);
  const [issued, setIssued] = useState<WebhookWithSecret | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const [refresh, setRefresh] = useState(0);

  const load = useCallback(() => {
    api.webhooks(projectId).then(
      (page) => setWebhooks(page.results),
      (exc) => setError(message(exc)),
    );
  }, [projectId]);
  useEffect(load, [load]);

  const toggleEvent = (name: WebhookEvent, on: boolean) =>
    setEvents((list) => (on ? [...list.filter((e) => e !== name), name] : list.filter((e) => e !== name)));

  const add = async (e: React.FormEvent) => {
    e.preventDefault();
    setErrors({});
    setError("");
    setSaving(true);
    try {
      const made = await api.createWebhook(projectId, { url, events });
      setIssued(made);
      setUrl("");
      setEvents([]);
      setOpen(made.id);
      load();
    } catch (exc) {
      const fields = fieldErrors(exc);
      setErrors(fields);
      if (!Object.keys(fields).length) setError(message(exc));
    } finally {
      setSaving(false);
    }
  };

  const act = async (label: string, run: () => Promise<unknown>) => {
    setError("");
    try {
      await run();
      setStatus(label);
      load();
      setRefresh((n) => n + 1);
    } catch (exc) {
      setError(message(exc));
    }
  };

  const rotate = async (w: Webhook) => {
    setError("");
    try {
      setIssued(await api.rotateWebhookSecret(projectId, w.id));
      load();
    } catch (exc) {
      setError(message(exc));
    }
  };

  return (
    <section aria-labelledby={`${formId}-title`} className="card manage-section webhooks-section">
      <h2 id={`${formId}-title`}>Webhooks</h2>
      <p className="muted">
        Send the project's events to your own server, signed with HMAC-SHA256 (see the webhooks page of the docs).
      </p>
      <Outcome error={error} status={status} />

      {issued && (
        <div className="issued-secret" aria-labelledby={`${formId}-secret-title`}>
          <h3 id={`${formId}-secret-title`}>Signing secret for {issued.url}</h3>
          <p role="status">Copy the secret now: it is shown only this once.</p>
          <CopyField id={`${formId}-secret`} label="Signing secret" value={issued.secret} />
          <button type="button" onClick={() => setIssued(null)}>
            I have copied it
          </button>
        </div>
      )}

      {webhooks && !webhooks.length && <p className="muted">No webhooks yet.</p>}
      {webhooks && webhooks.length > 0 && (
        <ul className="webhook-list">
          {webhooks.map((w) => (
            <li key={w.id} data-testid="webhook">
              <div>
                <code className="webhook-url">{w.url}</code>{" "}
                <span className={`badge ${w.active ? "job-succeeded" : "job-cancelled"}`}>
                  {w.active ? "on" : "off"}
                </span>
                <div className="muted">
                  {w.events.join(", ")} · secret {w.secret_hint}
                  {w.disabled_reason && ` · turned off: ${w.disabled_reason}`}
                </div>
              </div>
              <div className="webhook-actions">
                <button
                  type="button"
                  onClick={() =>
                    act(w.active ? "Turned off." : "Turned on.", () =>
                      api.updateWebhook(projectId, w.id, { active: !w.active }),
                    )
                  }
                >
                  {w.active ? "Turn off" : "Turn on"}
                </button>
                <button type="button" onClick={() => act("Test event sent.", () => api.pingWebhook(projectId, w.id))}>
                  Send test event
                </button>
                <button type="button" onClick={() => rotate(w)}>
                  Rotate secret
                </button>
                <button
                  type="button"
                  aria-expanded={open === w.id}
                  onClick={() => setOpen((o) => (o === w.id ? null : w.id))}
                >
                  {open === w.id ? "Hide deliveries" : "Deliveries"}
                </button>
                <button
                  type="button"
                  className="danger"
                  onClick={() => {
                    if (window.confirm(`Delete the webhook to ${w.url}? Its delivery log goes with it.`)) {
                      void act("Deleted.", () => api.deleteWebhook(projectId, w.id));
                    }
                  }}
                >
                  Delete
                </button>
              </div>
              {open === w.id && <DeliveryLog projectId={projectId} webhook={w} refresh={refresh} />}
            </li>
          ))}
        </ul>
      )}

      <form onSubmit={add} aria-labelledby={`${formId}-add-title`} noValidate>
        <h3 id={`${formId}-add-title`}>Add a webhook</h3>
        <div className="field">
          <label htmlFor={`${formId}-url`}>Payload URL</label>
          <input
            id={`${formId}-url`}
            type="url"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            placeholder="https://example.org/hooks/annotations"
            aria-invalid={errors.url ? true : undefined}
            aria-describedby={errors.url ? `${formId}-url-error` : undefined}
            required
          />
          {errors.url && (
            <span id={`${formId}-url-error`} className="error hint">
              {errors.url}
            </span>
          )}
        </div>
        <fieldset aria-describedby={errors.events ? `${formId}-events-error` : undefined}>
          <legend>Events</legend>
          {WEBHOOK_EVENTS.map((ev) => (
            <label key={ev.name} className="checkbox">
              <input
                type="checkbox"
                checked={events.includes(ev.name)}
                onChange={(e) => toggleEvent(ev.name, e.target.checked)}
              />{" "}
              {ev.label} <code className="muted">{ev.name}</code>
            </label>
          ))}
          {errors.events && (
            <span id={`${formId}-events-error`} className="error hint">
              {errors.events}
            </span>
          )}
        </fieldset>
        <button type="submit" disabled={saving}>
          {saving ? "Adding…" : "Add webhook"}
        </button>
      </form>
    </section>
  );
}
