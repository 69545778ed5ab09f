// Direct uploads (VR_STORAGE=s3): a large file goes from the browser straight to the bucket as
// an S3 multipart upload, never through the web server. The server starts it and answers one
// presigned URL per part; the parts are PUT (three at a time, each with its progress), then the
// server completes it, listing the parts itself. The import is then one call with the upload ids.
//
// Resumable: `{project, name, size, lastModified} → upload id` is kept in localStorage, so the
// same file chosen again (after a dropped connection, a reload, "Retry failed") sends only the
// parts the bucket does not hold yet (the server's GET lists them and signs fresh URLs).

import { ApiError, api } from "../../api";
import type { DirectUpload } from "../../types";

/** Parts in flight at once, per file. */
export const PARTS_IN_FLIGHT = 3;
/** A failed part is sent again this many times (with a growing pause) before the file fails. */
export const PART_RETRIES = 3;
/** The first pause before a part is sent again (doubled each time); tests shorten it. */
export const retryTiming = { baseMs: 500 };

const KEY_PREFIX = "vr-direct-upload:";

export function resumeKey(projectId: number, name: string, file: File): string {
  return `${KEY_PREFIX}${JSON.stringify([projectId, name, file.size, file.lastModified])}`;
}

export function rememberedUpload(projectId: number, name: string, file: File): string | null {
  try {
    return localStorage.getItem(resumeKey(projectId, name, file));
  } catch {
    return null; // storage disabled: no resume, the upload still works
  }
}

function remember(projectId: number, name: string, file: File, id: string) {
  try {
    localStorage.setItem(resumeKey(projectId, name, file), id);
  } catch {
    // storage full or disabled: no resume
  }
}

/** Forget a file's upload (once it is imported, or when the server no longer has it). */
export function forgetUpload(projectId: number, name: string, file: File) {
  try {
    localStorage.removeItem(resumeKey(projectId, name, file));
  } catch {
    // nothing kept
  }
}

export class PartError extends Error {
  status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const abortError = () => new DOMException("The upload was cancelled.", "AbortError");

/** PUT one part's bytes to its presigned URL with XMLHttpRequest (for the upload progress). No
 * cookies and no CSRF header: the bucket is another origin, and the URL is its own credential. */
export function putPart(url: string, body: Blob, onProgress: (loaded: number) => void, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const xhr = new XMLHttpRequest();
    const onAbort = () => xhr.abort();
    signal?.addEventListener("abort", onAbort);
    const done = () => signal?.removeEventListener("abort", onAbort);
    xhr.open("PUT", url);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onerror = () => {
      done();
      reject(new PartError(0, "the storage cannot be reached"));
    };
    xhr.onabort = () => {
      done();
      reject(abortError());
    };
    xhr.onload = () => {
      done();
      if (xhr.status >= 200 && xhr.status < 300) return resolve();
      reject(new PartError(xhr.status, `the storage answered HTTP ${xhr.status}`));
    };
    xhr.send(body);
  });
}

export interface DirectOptions {
  /** Bytes of the file the bucket holds (stored parts + parts in flight). */
  onProgress?: (loaded: number) => void;
  signal?: AbortSignal;
  sleep?: (ms: number) => Promise<void>;
}

const pause = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(abortError());
    });
  });

/** The upload to continue for this file: the remembered one if the server still has it (created
 * or complete), else a new one. */
async function openUpload(projectId: number, name: string, file: File): Promise<DirectUpload> {
  const known = rememberedUpload(projectId, name, file);
  if (known) {
    try {
      const upload = await api.upload(projectId, known);
      if (upload.state === "created" || upload.state === "complete") return upload;
    } catch (exc) {
      if (!(exc instanceof ApiError) || exc.retryable) throw exc;
      // 404 (gone) or refused: start again
    }
    forgetUpload(projectId, name, file);
  }
  const upload = await api.createUpload(projectId, name, file.size, file.type);
  remember(projectId, name, file, upload.id);
  return upload;
}

/** Send `file` as the direct upload named `name` (its import name); resolves with the completed
 * upload's id. Rejects with an Error whose message is the reason (or an AbortError). */
export async function sendDirect(projectId: number, file: File, name: string, options: DirectOptions = {}): Promise<string> {
  const { onProgress = () => {}, signal } = options;
  const sleep = options.sleep ?? ((ms: number) => pause(ms, signal));
  let upload = await openUpload(projectId, name, file);
  if (upload.state === "complete") {
    onProgress(file.size);
    return upload.id;
  }
  const size = upload.part_bytes;
  const partSize = (n: number) => Math.min(size, file.size - (n - 1) * size);
  const stored = new Map<number, number>(upload.parts_done.map((p) => [p.number, p.size]));
  const inFlight = new Map<number, number>();
  const report = () => {
    let loaded = 0;
    for (const s of stored.values()) loaded += s;
    for (const s of inFlight.values()) loaded += s;
    onProgress(Math.min(loaded, file.size));
  };
  report();
  let urls = new Map(upload.parts.map((p) => [p.number, p.url]));
  const queue = upload.parts.map((p) => p.number).filter((n) => !stored.has(n));

  const sendOne = async (n: number) => {
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw abortError();
      try {
        const url = urls.get(n);
        if (!url) throw new PartError(0, `no URL for part ${n}`);
        const start = (n - 1) * size;
        await putPart(url, file.slice(start, start + partSize(n)), (loaded) => {
          inFlight.set(n, loaded);
          report();
        }, signal);
        inFlight.delete(n);
        stored.set(n, partSize(n));
        report();
        return;
      } catch (exc) {
        inFlight.delete(n);
        report();
        if (exc instanceof DOMException && exc.name === "AbortError") throw exc;
        if (attempt >= PART_RETRIES) {
          const why = exc instanceof Error ? exc.message : String(exc);
          throw new Error(`part ${n} of ${upload.part_count} could not be sent (${why})`);
        }
        await sleep(retryTiming.baseMs * 2 ** attempt);
        if (exc instanceof PartError && (exc.status === 403 || exc.status === 400)) {
          // the URL may have expired: ask for fresh ones (also the parts the bucket holds now)
          upload = await api.upload(projectId, upload.id);
          urls = new Map(upload.parts.map((p) => [p.number, p.url]));
          if (upload.parts_done.some((p) => p.number === n)) {
            stored.set(n, partSize(n));
            return;
          }
        }
      }
    }
  };

  let failure: unknown = null;
  const worker = async () => {
    while (queue.length && failure === null) {
      const n = queue.shift() as number;
      try {
        await sendOne(n);
      } catch (exc) {
        failure ??= exc;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARTS_IN_FLIGHT, queue.length) }, worker));
  if (failure !== null) throw failure;
  try {
    const done = await api.completeUpload(projectId, upload.id);
    onProgress(file.size);
    return done.id;
  } catch (exc) {
    if (exc instanceof ApiError && exc.status === 404) forgetUpload(projectId, name, file);
    throw exc;
  }
}
