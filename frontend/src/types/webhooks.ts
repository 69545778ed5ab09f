// Webhooks (docs/webhooks.md): a project's URLs subscribed to its events, and their deliveries.

export type WebhookEvent =
  | "annotation.submitted"
  | "task.completed"
  | "import.finished"
  | "export.finished"
  | "weight_set.promoted"
  | "job.failed";

/** The delivery log also shows `ping`, the test event. */
export type WebhookDeliveryEvent = WebhookEvent | "ping";

export type WebhookDeliveryState = "pending" | "delivering" | "delivered" | "failed";

export interface Webhook {
  id: number;
  url: string;
  events: WebhookEvent[];
  description: string;
  active: boolean;
  /** Why the server turned it off (the receiver answered 410 Gone); empty otherwise. */
  disabled_reason: string;
  /** The secret's first characters, to tell secrets apart: the whole secret is shown once. */
  secret_hint: string;
  created_by: string | null;
  created_at: string;
  last_delivery: { state: WebhookDeliveryState; status_code: number | null; created_at: string } | null;
}

/** The answer that makes a webhook or rotates its secret: the secret, shown this once. */
export interface WebhookWithSecret extends Webhook {
  secret: string;
}

export interface WebhookInput {
  url: string;
  events: WebhookEvent[];
  description?: string;
  active?: boolean;
}

export interface WebhookDelivery {
  id: number;
  event: WebhookDeliveryEvent;
  /** The same over every attempt and every "send again": receivers drop duplicates by it. */
  event_id: string;
  state: WebhookDeliveryState;
  attempts: number;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  delivered_at: string | null;
  status_code: number | null;
  latency_ms: number | null;
  /** The start of the receiver's answer, as text (never rendered as HTML). */
  response_excerpt: string;
  error: string;
  created_at: string;
  payload: Record<string, unknown>;
}
