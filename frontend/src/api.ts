// A thin client for the REST API under /api/. Every non-2xx becomes an ApiError carrying the
// server's one-sentence `detail` and its per-field `errors`; a failed fetch (offline, refused)
// becomes an ApiError with status 0, which callers treat as "retry later".
import type {
  AssetDetail,
  AssetStatus,
  Assignment,
  ChecklistChange,
  ChecklistPreview,
  ChecklistVersion,
  ArchiveFormat,
  ArchiveStarted,
  DatasetDiff,
  DatasetImportMode,
  DatasetImportRequest,
  DatasetPreview,
  DatasetSource,
  DatasetVersion,
  DatasetVersionState,
  DirectUpload,
  ExportRequest,
  DominanceStats,
  DominanceStatsRequest,
  EvaluateRequest,
  ExportStarted,
  FinetuneRequest,
  GoldCheck,
  GoldCheckRequest,
  Invitation,
  InvitationSummary,
  IssuedInvitation,
  IssuedToken,
  Job,
  JobDetail,
  JobFilter,
  JobSummary,
  LabelStudioPreview,
  Member,
  ModelSpec,
  ModelSpecInput,
  Page,
  PrefillRequest,
  PersonalToken,
  Preferences,
  Project,
  ProjectModel,
  ProjectStats,
  PushOptions,
  PushRequest,
  QualitySettings,
  RefitPolicy,
  RefitReadiness,
  RefitSettings,
  ReviewItem,
  Role,
  ScoreBreakdown,
  ScorePage,
  StorageInfo,
  User,
  Webhook,
  WebhookDelivery,
  WebhookInput,
  WebhookWithSecret,
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
  const form = body instanceof FormData; // multipart: the browser sets the Content-Type and boundary
  if (body !== undefined && !form) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : form ? body : JSON.stringify(body),
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

/** POST a multipart form with upload progress (fetch has none): `onProgress(loaded, total)` as
 * the body is sent; errors as `request`'s. `abort()` stops it (the promise rejects with an AbortError). */
export function postForm<T>(
  path: string,
  form: FormData,
  onProgress: (loaded: number, total: number) => void,
): { promise: Promise<T>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<T>((resolve, reject) => {
    xhr.open("POST", path);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.withCredentials = true;
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : 0);
    xhr.onerror = () => reject(new ApiError(0, "The server cannot be reached; the upload stopped."));
    xhr.onabort = () => reject(new DOMException("The upload was cancelled.", "AbortError"));
    xhr.onload = () => {
      let data: unknown = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(data as T);
      const obj = (data ?? {}) as { detail?: string; errors?: unknown };
      reject(new ApiError(xhr.status, obj.detail || `POST ${path} failed with HTTP ${xhr.status}`, obj.errors ?? null));
    };
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
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
  /** Your preferences (language, theme, shortcuts, key remaps), the defaults until changed. */
  preferences: () => get<Preferences>("/api/me/preferences/"),
  /** Change some of them (400 names each field with a problem; nothing is saved then). */
  savePreferences: (change: Partial<Preferences>) => request<Preferences>("PATCH", "/api/me/preferences/", change),
  /** E-mail a reset link (202 whether or not an account has this address; 429 when throttled). */
  requestPasswordReset: (email: string) => post<{ detail: string }>("/api/auth/password-reset/", { email }),
  /** Choose a new password with the link's uid and token (400 names `token` or `new_password`). */
  confirmPasswordReset: (uid: string, token: string, newPassword: string) =>
    post<{ detail: string }>("/api/auth/password-reset/confirm/", { uid, token, new_password: newPassword }),
  /** What an invitation link invites to (400 names `token` when it no longer works). */
  checkInvitation: (token: string) => post<InvitationSummary>("/api/auth/invitation/", { token }),
  /** Make the invited account (400 names `token`, `username`, `password` or `email`); a shareable
   *  link's invitee may give an e-mail address (for password resets). */
  acceptInvitation: (token: string, username: string, password: string, email = "") =>
    post<User>("/api/auth/invitation/accept/", { token, username, password, ...(email ? { email } : {}) }),
  /** Join the invitation's project with the signed-in account (400 names `token`). */
  joinInvitation: (token: string) => post<InvitationSummary>("/api/auth/invitation/join/", { token }),
  /** The project's members and their roles. */
  members: (projectId: number) => get<Page<Member>>(`/api/projects/${projectId}/members/?limit=500`),
  /** Invite an e-mail address into the project (the answer carries the link, shown once). */
  invite: (projectId: number, email: string, role: Role) =>
    post<IssuedInvitation>("/api/invitations/", { email, project: projectId, role }),
  invitations: (projectId: number) => get<Page<Invitation>>(`/api/invitations/?project=${projectId}&limit=200`),
  revokeInvitation: (id: number) => request<null>("DELETE", `/api/invitations/${id}/`),
  /** A shareable invitation link into the project (no e-mail), for up to `maxUses` people. */
  inviteLink: (projectId: number, role: Role, maxUses: number, expiresInDays: number) =>
    post<IssuedInvitation>("/api/invitations/", {
      project: projectId,
      role,
      max_uses: maxUses,
      expires_in_days: expiresInDays,
    }),
  /** Add an existing user by username (400 names `username`). */
  addMember: (projectId: number, username: string, role: Role) =>
    post<Member>(`/api/projects/${projectId}/members/`, { username, role }),
  /** Change a member's role (400 names `role` for the project's last manager). */
  changeRole: (projectId: number, memberId: number, role: Role) =>
    request<Member>("PATCH", `/api/projects/${projectId}/members/${memberId}/`, { role }),
  /** Remove a member: their live leases go back to the queue (400 for the last manager). */
  removeMember: (projectId: number, memberId: number) =>
    request<null>("DELETE", `/api/projects/${projectId}/members/${memberId}/`),

  /** The caller's personal API tokens (never their keys). */
  tokens: () => get<Page<PersonalToken>>("/api/tokens/?limit=100"),
  /** Make a token; the answer's `key` is shown this once. */
  createToken: (name: string, expiresAt: string | null) =>
    post<IssuedToken>("/api/tokens/", { name, expires_at: expiresAt }),
  revokeToken: (id: number) => request<null>("DELETE", `/api/tokens/${id}/`),

  /** A project's webhooks (managers); secrets only in the answers of create and rotate. */
  webhooks: (projectId: number) => get<Page<Webhook>>(`/api/projects/${projectId}/webhooks/?limit=100`),
  createWebhook: (projectId: number, body: WebhookInput) =>
    post<WebhookWithSecret>(`/api/projects/${projectId}/webhooks/`, body),
  updateWebhook: (projectId: number, id: number, body: Partial<WebhookInput>) =>
    request<Webhook>("PATCH", `/api/projects/${projectId}/webhooks/${id}/`, body),
  deleteWebhook: (projectId: number, id: number) =>
    request<null>("DELETE", `/api/projects/${projectId}/webhooks/${id}/`),
  rotateWebhookSecret: (projectId: number, id: number) =>
    post<WebhookWithSecret>(`/api/projects/${projectId}/webhooks/${id}/rotate/`),
  pingWebhook: (projectId: number, id: number) =>
    post<WebhookDelivery>(`/api/projects/${projectId}/webhooks/${id}/ping/`),
  webhookDeliveries: (projectId: number, id: number) =>
    get<Page<WebhookDelivery>>(`/api/projects/${projectId}/webhooks/${id}/deliveries/?limit=50`),
  redeliverWebhook: (projectId: number, id: number, deliveryId: number) =>
    post<WebhookDelivery>(`/api/projects/${projectId}/webhooks/${id}/deliveries/${deliveryId}/redeliver/`),

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
    // 201: a new candidate; 200 with `message`: the same weights are already a version (that one)
    post<WeightSet & { message?: string }>(`/api/projects/${projectId}/weight-sets/`, { source: "public" }),
  /** Make a weight set the active one; a background job recomputes the scores. */
  promoteWeightSet: (projectId: number, id: number) =>
    post<WeightSet>(`/api/projects/${projectId}/weight-sets/${id}/promote/`),
  retireWeightSet: (projectId: number, id: number) =>
    post<WeightSet>(`/api/projects/${projectId}/weight-sets/${id}/retire/`),
  /** Start fitting new weights on the labelled pairs (202: the job to poll). */
  refit: (projectId: number, settings: RefitSettings) => post<Job>(`/api/projects/${projectId}/refit/`, settings),
  /** Whether a refit with these settings can run and be measured now, and why not. */
  refitReadiness: (projectId: number, settings: Pick<RefitSettings, "features" | "test_fraction" | "seed" | "min_pairs">) => {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(settings)) {
      if (typeof v === "string" || (typeof v === "number" && Number.isFinite(v))) query.set(k, String(v));
    }
    return get<RefitReadiness>(`/api/projects/${projectId}/refit/readiness/?${query}`);
  },
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
  /** What a dominance-pair rule would yield on a project now (nothing is written). */
  dominanceStats: (projectId: number, body: DominanceStatsRequest) =>
    post<DominanceStats>(`/api/projects/${projectId}/datasets/dominance-stats/`, body),
  /** What changed from version `against` (A) to version `id` (B); both must be ready. */
  datasetDiff: (id: number, against: number, signal?: AbortSignal) =>
    get<DatasetDiff>(`/api/dataset-versions/${id}/diff/?against=${against}`, signal),

  /** Build a ready version's zip or tar.gz (202: the archive job to follow; 200: built already). */
  prepareArchive: (id: number, archive: ArchiveFormat) =>
    post<ArchiveStarted>(`/api/dataset-versions/${id}/archives/`, { archive }),

  /** Where a push goes and whether the server has its own token. */
  pushOptions: (id: number) => get<PushOptions>(`/api/dataset-versions/${id}/push/`),
  /** Publish a ready version to the Hub (202: the push job to follow; 400 names the field). */
  pushVersion: (id: number, body: PushRequest) => post<JobDetail>(`/api/dataset-versions/${id}/push/`, body),

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
  updateQualitySettings: (projectId: number, settings: Partial<QualitySettings> & { accept_threshold?: number }) =>
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
  /** What importing this Label Studio export would do (form: export, archive, files, media_key, prompt_key). */
  previewLabelStudio: (projectId: number, form: FormData) => {
    form.set("preview", "true");
    return request<LabelStudioPreview>("POST", `/api/projects/${projectId}/imports/label-studio/`, form);
  },
  /** Start importing a Label Studio export (202: the import job to follow). */
  startLabelStudioImport: (projectId: number, form: FormData) => {
    form.delete("preview");
    return request<Job>("POST", `/api/projects/${projectId}/imports/label-studio/`, form);
  },
  /** Ask a queued or running job to stop (400 when it has finished). */
  cancelJob: (id: number) => post<JobDetail>(`/api/jobs/${id}/cancel/`),
  /** Run a failed or cancelled job again (400 otherwise). */
  retryJob: (id: number) => post<JobDetail>(`/api/jobs/${id}/retry/`),
  /** A page of the project's assets, newest first, of one status ("" is any). */
  assets: (projectId: number, status: AssetStatus | "" = "", offset = 0, limit = 25) =>
    get<Page<AssetDetail>>(
      `/api/projects/${projectId}/assets/?ordering=-id&limit=${limit}&offset=${offset}` + (status ? `&status=${status}` : ""),
    ),
  /** The assets one import job recorded (its first 1,000), in entry order. */
  assetsOfImport: (projectId: number, jobId: number) =>
    get<Page<AssetDetail>>(`/api/projects/${projectId}/assets/?import_job_id=${jobId}&limit=1000`),
  /** Start an import (202: the job to poll); `form` holds files (+ paths), archive, manifest. */
  startImport: (projectId: number, form: FormData, onProgress: (loaded: number, total: number) => void = () => {}) =>
    postForm<Job>(`/api/projects/${projectId}/imports/`, form, onProgress),
  /** Where files are stored: with `direct_uploads`, large files go straight to the bucket. */
  storage: () => get<StorageInfo>("/api/storage/"),
  /** Start a direct upload (201: its part URLs; 409 on the filesystem backend). */
  createUpload: (projectId: number, filename: string, size: number, contentType: string) =>
    post<DirectUpload>(`/api/projects/${projectId}/uploads/`, { filename, size_bytes: size, content_type: contentType }),
  /** A direct upload's state, its stored parts and fresh URLs for the missing ones. */
  upload: (projectId: number, id: string) => get<DirectUpload>(`/api/projects/${projectId}/uploads/${id}/`),
  /** Complete a direct upload (400 names the missing parts). */
  completeUpload: (projectId: number, id: string) => post<DirectUpload>(`/api/projects/${projectId}/uploads/${id}/complete/`),
  /** Abort a direct upload (its parts are deleted). */
  abortUpload: (projectId: number, id: string) => request<null>("DELETE", `/api/projects/${projectId}/uploads/${id}/`),
  /** The models the server can run. */
  models: () => get<Page<ModelSpec>>("/api/models/?limit=100"),
  /** Register a model (staff; 400 names the field). */
  createModel: (body: ModelSpecInput) => post<ModelSpec>("/api/models/", body),
  /** Change a registered model (staff; 400 names the field). */
  updateModel: (name: string, body: Partial<ModelSpecInput>) =>
    request<ModelSpec>("PATCH", `/api/models/${encodeURIComponent(name)}/`, body),
  /** Test-load a model on its queue's worker (staff; 202: the model_check job). */
  testLoadModel: (name: string) => post<JobDetail>(`/api/models/${encodeURIComponent(name)}/test-load/`),
  projectModel: (projectId: number) => get<ProjectModel>(`/api/projects/${projectId}/model/`),
  setProjectModel: (projectId: number, model: string, autoPrefill: boolean) =>
    put<ProjectModel>(`/api/projects/${projectId}/model/`, { model, auto_prefill: autoPrefill }),
  /** Start a pre-fill job (202; 400 names the field). */
  startPrefill: (projectId: number, body: PrefillRequest) => post<JobDetail>(`/api/projects/${projectId}/prefill/`, body),
  /** How many predictions a model has made for the project's assets. */
  predictionCount: (projectId: number, modelName: string) =>
    get<Page<unknown>>(`/api/projects/${projectId}/predictions/?model_name=${encodeURIComponent(modelName)}&limit=1`).then(
      (p) => p.count,
    ),
  /** Ready dataset versions, newest first: what research jobs train and evaluate on. */
  readyDatasetVersions: () => get<Page<DatasetVersion>>("/api/dataset-versions/?state=ready&limit=100"),
  /** Start fine-tuning a model on a dataset version (202: the job to follow). */
  startFinetune: (body: FinetuneRequest) => post<Job>("/api/finetune/", body),
  /** Start evaluating a model and/or a weight set on a dataset version (202: the job to follow). */
  startEvaluate: (body: EvaluateRequest) => post<Job>("/api/evaluate/", body),

  // Setting a project up (the "New project" form and the project's settings).
  /** Loaded checklist versions for a media type (built-in ones and uploaded ones), newest first by key. */
  checklists: (mediaType: string) =>
    get<Page<ChecklistVersion>>(`/api/checklists/?media_type=${encodeURIComponent(mediaType)}&limit=200`),
  /** Dry run of an upload: the preview, or a 400 whose `errors.file` lists each problem with its line. */
  validateChecklist: (content: string, filename: string) =>
    post<ChecklistPreview>("/api/checklists/validate/", { content, filename }),
  /** Load a checklist file as a version (identical content returns the existing version). */
  loadChecklist: (content: string, filename: string) =>
    post<ChecklistVersion>("/api/checklists/", { content, filename }),
  createProject: (body: Partial<Project>) => post<Project>("/api/projects/", body),
  updateProject: (projectId: number, body: Partial<Project>) =>
    request<Project>("PATCH", `/api/projects/${projectId}/`, body),
  /** What changing the project's checklist does (`confirm: false`), or make the change (`confirm: true`). */
  changeChecklist: (projectId: number, checklistVersion: number, confirm: boolean) =>
    post<ChecklistChange>(`/api/projects/${projectId}/checklist/`, { checklist_version: checklistVersion, confirm }),
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
