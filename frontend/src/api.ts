// A thin client for the REST API under /api/. Every non-2xx becomes an ApiError carrying the
// server's one-sentence `detail` and its per-field `errors`; a failed fetch (offline, refused)
// becomes an ApiError with status 0, which callers treat as "retry later".
import type {
  Assignment,
  ChecklistVersion,
  Job,
  Page,
  Project,
  ProjectStats,
  ReviewItem,
  User,
} from "./types";

export class ApiError extends Error {
  status: number;
  errors: unknown;

  constructor(status: number, detail: string, errors: unknown = null) {
    super(detail);
    this.status = status;
    this.errors = errors;
  }

  /** Offline, timed out or a server error: the request may be repeated as it is. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

function csrfToken(): string {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      signal,
    });
  } catch (exc) {
    if (exc instanceof DOMException && exc.name === "AbortError") throw exc;
    throw new ApiError(0, "The server cannot be reached; your work is kept on this device.");
  }
  if (response.status === 204) return null as T;
  const text = await response.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const obj = (data ?? {}) as { detail?: string; errors?: unknown };
    const detail = obj.detail || `${method} ${path} failed with HTTP ${response.status}`;
    throw new ApiError(response.status, detail, obj.errors ?? null);
  }
  return data as T;
}

const get = <T>(path: string, signal?: AbortSignal) => request<T>("GET", path, undefined, signal);
const post = <T>(path: string, body?: unknown) => request<T>("POST", path, body ?? {});
const put = <T>(path: string, body: unknown) => request<T>("PUT", path, body);

export interface SubmitBody {
  client_id: string;
  options?: Record<string, number>;
  preference?: number | null;
  dimension_preferences?: Record<string, number>;
  comment?: string;
  time_spent_ms?: number;
}

export const api = {
  session: () => get<{ user: User | null }>("/api/auth/session/"),
  login: (username: string, password: string) =>
    post<{ user: User }>("/api/auth/session/", { username, password }),
  logout: () => request<null>("DELETE", "/api/auth/session/"),

  projects: () => get<Page<Project>>("/api/projects/?limit=200"),
  project: (id: number) => get<Project>(`/api/projects/${id}/`),
  checklist: (id: number) => get<ChecklistVersion>(`/api/checklists/${id}/`),

  /** Lease the next task; `exclude` lets a client that holds one lease the following one ahead. */
  nextTask: (projectId: number, exclude: number[] = []) =>
    post<Assignment | null>(`/api/projects/${projectId}/tasks/next/`, exclude.length ? { exclude } : {}),
  assignment: (id: number) => get<Assignment>(`/api/assignments/${id}/`),
  heartbeat: (id: number) => post<Assignment>(`/api/assignments/${id}/heartbeat/`),
  saveDraft: (id: number, draft: Omit<SubmitBody, "client_id">) => put<Assignment>(`/api/assignments/${id}/draft/`, draft),
  submit: (id: number, body: SubmitBody) => post<{ id: number }>(`/api/assignments/${id}/submit/`, body),
  skip: (id: number, reason: string) => post<Assignment>(`/api/assignments/${id}/skip/`, { reason }),

  reviewItems: (projectId: number, state: "pending" | "reviewed" | "all", offset = 0, disagreement = false) =>
    get<Page<ReviewItem>>(
      `/api/projects/${projectId}/review-items/?state=${state}&limit=20&offset=${offset}` +
        (disagreement ? "&disagreement=1" : ""),
    ),
  review: (projectId: number, taskId: number, body: Record<string, unknown>) =>
    post<ReviewItem>(`/api/projects/${projectId}/tasks/${taskId}/review/`, body),
  stats: (projectId: number, days = 14) => get<ProjectStats>(`/api/projects/${projectId}/stats/?days=${days}`),
  jobs: (projectId: number) => get<Page<Job>>(`/api/jobs/?project=${projectId}&limit=50`),
};

/** A random v4 UUID (crypto.randomUUID is only present in secure contexts). */
export function uuid4(): string {
  if (typeof crypto !== "undefined" && "randomUUID" in crypto && window.isSecureContext) return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
