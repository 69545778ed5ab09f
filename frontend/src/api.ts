// A thin client for the REST API under /api/. Every non-2xx becomes an ApiError carrying the
// server's one-sentence `detail` and its per-field `errors`; a failed fetch (offline, refused)
// becomes an ApiError with status 0, which callers treat as "retry later".
import type {
  Assignment,
  ChecklistVersion,
  DatasetDiff,
  DatasetImportMode,
  DatasetImportRequest,
  DatasetPreview,
  DatasetSource,
  DatasetVersion,
  DatasetVersionState,
  ExportRequest,
  EvaluateRequest,
  ExportStarted,
  FinetuneRequest,
  GoldCheck,
  GoldCheckRequest,
  Invitation,
  InvitationSummary,
  IssuedInvitation,
  Job,
  JobDetail,
  JobFilter,
  JobSummary,
  Member,
  ModelSpec,
  Page,
  Project,
  ProjectStats,
  QualitySettings,
  RefitPolicy,
  RefitSettings,
  ReviewItem,
  Role,
  ScoreBreakdown,
  ScorePage,
  User,
  WeightSet,
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
    // A bare DRF validation body ({"field": ["message"]} or ["message"]) is its own `errors`.
    const bare = !obj.detail && obj.errors == null && data !== null && typeof data === "object";
    const errors = bare ? data : (obj.errors ?? null);
    const detail =
      obj.detail || (bare && errorMessages(data).join("; ")) || `${method} ${path} failed with HTTP ${response.status}`;
    throw new ApiError(response.status, detail, errors);
  }
  return data as T;
}

/** "field: message" lines of a DRF error body (nested fields joined with dots). */
export function errorMessages(errors: unknown, prefix = ""): string[] {
  if (errors == null || errors === "") return [];
  if (Array.isArray(errors)) return errors.flatMap((e) => errorMessages(e, prefix));
  if (typeof errors === "object") {
    return Object.entries(errors as Record<string, unknown>).flatMap(([key, value]) =>
      errorMessages(value, key === "non_field_errors" ? prefix : prefix ? `${prefix}.${key}` : key),
    );
  }
  return [prefix ? `${prefix}: ${String(errors)}` : String(errors)];
}

/** An ApiError's per-field messages, field (nested ones as "settings.l2") → its first message. */
export function fieldErrors(exc: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (value: unknown, path: string) => {
    if (value == null || value === "") return;
    if (Array.isArray(value)) {
      const text = value.find((v) => typeof v === "string");
      if (text !== undefined && !(path in out)) out[path] = text;
      value.forEach((v) => typeof v === "object" && walk(v, path));
    } else if (typeof value === "object") {
      for (const [key, inner] of Object.entries(value as Record<string, unknown>)) walk(inner, path ? `${path}.${key}` : key);
    } else if (!(path in out)) {
      out[path] = String(value);
    }
  };
  if (exc instanceof ApiError) walk(exc.errors, "");
  return out;
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
  /** E-mail a reset link (202 whether or not an account has this address; 429 when throttled). */
  requestPasswordReset: (email: string) => post<{ detail: string }>("/api/auth/password-reset/", { email }),
  /** Choose a new password with the link's uid and token (400 names `token` or `new_password`). */
  confirmPasswordReset: (uid: string, token: string, newPassword: string) =>
    post<{ detail: string }>("/api/auth/password-reset/confirm/", { uid, token, new_password: newPassword }),
  /** What an invitation link invites to (400 names `token` when it no longer works). */
  checkInvitation: (token: string) => post<InvitationSummary>("/api/auth/invitation/", { token }),
  /** Make the invited account (400 names `token`, `username` or `password`). */
  acceptInvitation: (token: string, username: string, password: string) =>
    post<User>("/api/auth/invitation/accept/", { token, username, password }),
  /** The project's members and their roles. */
  members: (projectId: number) => get<Page<Member>>(`/api/projects/${projectId}/members/?limit=500`),
  /** Invite an e-mail address into the project (the answer carries the link, shown once). */
  invite: (projectId: number, email: string, role: Role) =>
    post<IssuedInvitation>("/api/invitations/", { email, project: projectId, role }),
  invitations: (projectId: number) => get<Page<Invitation>>(`/api/invitations/?project=${projectId}&limit=200`),
  revokeInvitation: (id: number) => request<null>("DELETE", `/api/invitations/${id}/`),

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
  /** A dataset's columns, first rows and a suggested mapping, before importing it. */
  previewDataset: (projectId: number, mode: DatasetImportMode, source: DatasetSource) =>
    post<DatasetPreview>(`/api/projects/${projectId}/imports/${mode === "pairs" ? "pairs" : "huggingface"}/preview/`, source),
  /** Import a dataset's rows as assets or rated pairs (202: the job to poll). */
  importDataset: (projectId: number, mode: DatasetImportMode, body: DatasetImportRequest) =>
    post<Job>(`/api/projects/${projectId}/imports/${mode === "pairs" ? "pairs" : "huggingface"}/`, body),
  jobs: (projectId: number) => get<Page<Job>>(`/api/jobs/?project=${projectId}&limit=50`),
  job: (id: number) => get<Job>(`/api/jobs/${id}/`),

  /** The project's weight sets, newest first. */
  weightSets: (projectId: number) => get<Page<WeightSet>>(`/api/projects/${projectId}/weight-sets/?limit=50`),
  /** Add the published VisionReward weights as a candidate (400 unless the checklist is a built-in). */
  loadPublicWeights: (projectId: number) =>
    post<WeightSet>(`/api/projects/${projectId}/weight-sets/`, { source: "public" }),
  /** Make a weight set the active one; a background job recomputes the scores. */
  promoteWeightSet: (projectId: number, id: number) =>
    post<WeightSet>(`/api/projects/${projectId}/weight-sets/${id}/promote/`),
  retireWeightSet: (projectId: number, id: number) =>
    post<WeightSet>(`/api/projects/${projectId}/weight-sets/${id}/retire/`),
  /** Start fitting new weights on the labelled pairs (202: the job to poll). */
  refit: (projectId: number, settings: RefitSettings) => post<Job>(`/api/projects/${projectId}/refit/`, settings),
  refitPolicy: (projectId: number) => get<RefitPolicy>(`/api/projects/${projectId}/refit-policy/`),
  saveRefitPolicy: (projectId: number, policy: Pick<RefitPolicy, "enabled" | "min_new_pairs" | "settings">) =>
    put<RefitPolicy>(`/api/projects/${projectId}/refit-policy/`, policy),
  scores: (projectId: number, offset = 0, ordering: "total" | "-total" = "-total", limit = 25) =>
    get<ScorePage>(`/api/projects/${projectId}/scores/?limit=${limit}&offset=${offset}&ordering=${ordering}`),
  /** One asset's score term by term (404 while it has none). */
  assetScore: (projectId: number, assetId: number, signal?: AbortSignal) =>
    get<ScoreBreakdown>(`/api/projects/${projectId}/assets/${assetId}/score/`, signal),

  /** Dataset versions the user may see (all of whose projects they manage or research), newest first. */
  datasetVersions: (offset = 0, filter: { name?: string; state?: DatasetVersionState | "" } = {}) =>
    get<Page<DatasetVersion>>(
      `/api/dataset-versions/?limit=50&offset=${offset}` +
        (filter.name ? `&name=${encodeURIComponent(filter.name)}` : "") +
        (filter.state ? `&state=${filter.state}` : ""),
    ),
  datasetVersion: (id: number) => get<DatasetVersion>(`/api/dataset-versions/${id}/`),
  /** Start exporting a new dataset version (202: the queued version and the job to poll). */
  exportDataset: (body: ExportRequest) => post<ExportStarted>("/api/exports/", body),
  /** What changed from version `against` (A) to version `id` (B); both must be ready. */
  datasetDiff: (id: number, against: number, signal?: AbortSignal) =>
    get<DatasetDiff>(`/api/dataset-versions/${id}/diff/?against=${against}`, signal),

  /** The project's gold checks (tasks with known answers), oldest task first. */
  goldChecks: (projectId: number, offset = 0) =>
    get<Page<GoldCheck>>(`/api/projects/${projectId}/gold-checks/?limit=100&offset=${offset}`),
  /** Make a task a gold check (201) or replace its expected answers (200). Managers. */
  setGoldCheck: (projectId: number, taskId: number, body: GoldCheckRequest) =>
    post<GoldCheck>(`/api/projects/${projectId}/tasks/${taskId}/gold-check/`, body),
  /** Make a gold check a normal task again (its annotations stay). Managers. */
  removeGoldCheck: (projectId: number, taskId: number) =>
    request<null>("DELETE", `/api/projects/${projectId}/tasks/${taskId}/gold-check/`),
  /** The task ids of all the project's gold checks (every page). Reviewers, managers, researchers. */
  goldCheckTaskIds: async (projectId: number, signal?: AbortSignal): Promise<number[]> => {
    const ids: number[] = [];
    for (let offset = 0; ; ) {
      const page = await get<Page<GoldCheck>>(`/api/projects/${projectId}/gold-checks/?limit=1000&offset=${offset}`, signal);
      ids.push(...page.results.map((g) => g.task));
      offset += page.results.length;
      if (!page.next || !page.results.length) return ids;
    }
  },
  /** Change the project's quality-control settings (managers; 400 names the field). */
  updateQualitySettings: (projectId: number, settings: Partial<QualitySettings>) =>
    request<Project>("PATCH", `/api/projects/${projectId}/`, settings),

  /** A page of the project's jobs, newest first, of one kind and/or state. */
  jobList: (projectId: number, filter: JobFilter = {}, offset = 0, limit = 50) =>
    get<Page<JobSummary>>(
      `/api/jobs/?project=${projectId}&limit=${limit}&offset=${offset}` +
        (filter.kind ? `&kind=${filter.kind}` : "") +
        (filter.state ? `&state=${filter.state}` : ""),
    ),
  /** One job with its params, result, error, log tail and links. */
  jobDetail: (id: number, signal?: AbortSignal) => get<JobDetail>(`/api/jobs/${id}/`, signal),
  /** Ask a queued or running job to stop (400 when it has finished). */
  cancelJob: (id: number) => post<JobDetail>(`/api/jobs/${id}/cancel/`),
  /** Run a failed or cancelled job again (400 otherwise). */
  retryJob: (id: number) => post<JobDetail>(`/api/jobs/${id}/retry/`),
  /** The models the server can run. */
  models: () => get<Page<ModelSpec>>("/api/models/?limit=100"),
  /** Ready dataset versions, newest first: what research jobs train and evaluate on. */
  readyDatasetVersions: () => get<Page<DatasetVersion>>("/api/dataset-versions/?state=ready&limit=100"),
  /** Start fine-tuning a model on a dataset version (202: the job to follow). */
  startFinetune: (body: FinetuneRequest) => post<Job>("/api/finetune/", body),
  /** Start evaluating a model and/or a weight set on a dataset version (202: the job to follow). */
  startEvaluate: (body: EvaluateRequest) => post<Job>("/api/evaluate/", body),
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
