import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, api, errorMessages } from "../../api";
import type { JobDetail, StorageInfo } from "../../types";
import { forgetUpload, sendDirect } from "./directUpload";
import { isTarName, readTar } from "./tar";
import {
  type Picked,
  type Plan,
  type Skipped,
  type QueueItem,
  applyJob,
  batchManifest,
  batchesOf,
  filesLoaded,
  isManifestName,
  planUpload,
  remapLines,
  resetForRetry,
  retryable,
} from "./uploadQueue";

// The Assets screen's upload: the chosen files (and their plan), then the queue as it is sent —
// one import request per batch, one after the other, with XMLHttpRequest's upload progress — and
// each batch's import job followed until it ends. When the storage takes direct uploads
// (VR_STORAGE=s3, GET /api/storage/), each media file larger than one part goes straight to the
// bucket instead (directUpload.ts: multipart, resumable), and those files are imported together
// by one call naming their upload ids. Smaller files stay in the batched requests: one request
// carries up to 50 of them, where a direct upload costs three API calls and a PUT per file.

export const POLL_MS = 1000;
const PROGRESS_MS = 150;

/** An import job this upload started, and the files it carries. */
export interface UploadJob {
  id: number;
  itemIds: number[];
  job: JobDetail | null;
}

export interface Upload {
  plan: Plan | null;
  items: QueueItem[];
  jobs: UploadJob[];
  /** Sending or following a job. */
  busy: boolean;
  /** A problem of the whole upload (not of one file). */
  error: string;
  add: (files: Picked[], oneByOne?: boolean) => Promise<void>;
  clear: () => void;
  start: () => void;
  retry: () => void;
  cancel: () => void;
}

/** Everything chosen so far (before an upload starts): files, manifests' text, tar entries not read. */
interface Chosen {
  picked: Picked[];
  manifests: { path: string; text: string }[];
  skipped: Skipped[];
}
const NOTHING: Chosen = { picked: [], manifests: [], skipped: [] };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const basename = (path: string) => path.slice(path.lastIndexOf("/") + 1);
const finished = (job: JobDetail | null) => !!job && !["queued", "running"].includes(job.state);

export function useUpload(projectId: number, onImported: () => void, pollMs = POLL_MS): Upload {
  const chosen = useRef<Chosen>(NOTHING);
  const sendingRef = useRef(false);
  const [plan, setPlan] = useState<Plan | null>(null);
  const [items, setItemsState] = useState<QueueItem[]>([]);
  const [jobs, setJobsState] = useState<UploadJob[]>([]);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState("");
  const itemsRef = useRef<QueueItem[]>([]);
  const jobsRef = useRef<UploadJob[]>([]);
  const cancelled = useRef(false);
  const abortCurrent = useRef<(() => void) | null>(null);
  const live = useRef(true);
  const started = useRef(false);
  const storage = useRef<StorageInfo | null | undefined>(undefined);

  useEffect(() => {
    live.current = true;
    return () => {
      live.current = false;
      abortCurrent.current?.();
    };
  }, []);

  const setItems = useCallback((update: (items: QueueItem[]) => QueueItem[]) => {
    itemsRef.current = update(itemsRef.current);
    if (live.current) setItemsState(itemsRef.current);
  }, []);
  const patch = useCallback(
    (ids: Set<number>, change: (item: QueueItem) => QueueItem) =>
      setItems((all) => all.map((i) => (ids.has(i.id) ? change(i) : i))),
    [setItems],
  );
  const setJobs = useCallback((update: (jobs: UploadJob[]) => UploadJob[]) => {
    jobsRef.current = update(jobsRef.current);
    if (live.current) setJobsState(jobsRef.current);
  }, []);

  const replan = useCallback(({ picked, manifests, skipped }: Chosen) => {
    const next = planUpload(picked, manifests);
    next.skipped = [...skipped, ...next.skipped];
    setPlan(next);
    itemsRef.current = next.items;
    setItemsState(next.items);
  }, []);

  const add = useCallback(
    async (files: Picked[], chosenOneByOne = false) => {
      if (sendingRef.current) return;
      if (started.current) {
        // a finished upload: what is chosen now is a new one
        started.current = false;
        chosen.current = NOTHING;
        jobsRef.current = [];
        setJobsState([]);
      }
      setError("");
      files = files.map((p) => ({ ...p, oneByOne: chosenOneByOne }));
      // a tar's files are read here (the API takes zips): each becomes a file with its path
      const unpacked: Picked[] = [];
      const notRead: Skipped[] = [];
      for (const p of files) {
        if (!isTarName(p.path || p.file.name)) {
          unpacked.push(p);
          continue;
        }
        const { files: entries, skipped } = await readTar(p.file, p.path || p.file.name);
        unpacked.push(...entries);
        notRead.push(...skipped);
      }
      files = unpacked;
      const newManifests = files.filter((p) => isManifestName(p.path || p.file.name));
      let read: { path: string; text: string }[];
      try {
        read = await Promise.all(newManifests.map(async (p) => ({ path: p.path || p.file.name, text: await p.file.text() })));
      } catch (exc) {
        setError(`The manifest could not be read: ${exc instanceof Error ? exc.message : String(exc)}`);
        return;
      }
      // read after the await: another choice may have been added meanwhile
      const before = chosen.current;
      const media = files.filter((p) => !newManifests.includes(p));
      const next = {
        picked: [...before.picked, ...media],
        manifests: [...before.manifests.filter((t) => !read.some((r) => r.path === t.path)), ...read],
        skipped: [...before.skipped, ...notRead],
      };
      chosen.current = next;
      replan(next);
    },
    [replan],
  );

  const clear = useCallback(() => {
    if (sendingRef.current) return;
    started.current = false;
    chosen.current = NOTHING;
    setPlan(null);
    setError("");
    itemsRef.current = [];
    setItemsState([]);
    jobsRef.current = [];
    setJobsState([]);
  }, []);

  const follow = useCallback(
    async (jobId: number, batch: QueueItem[]) => {
      const ids = new Set(batch.map((i) => i.id));
      for (;;) {
        if (!live.current) return;
        let job: JobDetail;
        try {
          job = await api.jobDetail(jobId);
        } catch (exc) {
          if (exc instanceof ApiError && !exc.retryable) {
            patch(ids, (i) => ({ ...i, state: "failed", reason: `job ${jobId} cannot be read: ${exc.message}` }));
            return;
          }
          await sleep(pollMs * 3);
          continue;
        }
        setJobs((all) => all.map((j) => (j.id === jobId ? { ...j, job } : j)));
        let outcome = applyJob(batch, job);
        if (finished(job) && job.state !== "succeeded") {
          // what a cancelled or failed job recorded before it stopped stays; the rest can be retried
          try {
            const page = await api.assetsOfImport(projectId, jobId);
            const recorded = new Map(page.results.map((a) => [a.original_name, a]));
            outcome = outcome.map((item) => {
              const asset = recorded.get(item.name);
              if (!asset || item.role !== "media") return item;
              return asset.status === "ready"
                ? { ...item, state: "imported", reason: "" }
                : { ...item, state: "failed", reason: asset.failure_reason };
            });
          } catch {
            // keep the job's own verdict
          }
        }
        const byId = new Map(outcome.map((i) => [i.id, i]));
        setItems((all) => all.map((i) => (ids.has(i.id) && byId.has(i.id) ? { ...i, ...pick(byId.get(i.id) as QueueItem) } : i)));
        if (finished(job)) {
          onImported();
          return;
        }
        await sleep(pollMs);
      }
    },
    [projectId, patch, setItems, setJobs, onImported, pollMs],
  );

  /** Files larger than one part go straight to the bucket, when the storage takes them. */
  const directOnes = useCallback(async (queue: QueueItem[]) => {
    if (storage.current === undefined) {
      try {
        storage.current = await api.storage();
      } catch {
        storage.current = null; // unknown: every file goes through the import request
      }
    }
    const info = storage.current;
    if (!info?.direct_uploads) return [];
    return queue.filter((i) => i.role === "media" && i.size > info.part_bytes);
  }, []);

  /** Send `items` as direct uploads, one file after another (its parts three at a time), then
   * import the ones that reached the bucket with one call; returns the job's follower. */
  const sendDirectly = useCallback(
    async (items: QueueItem[]): Promise<Promise<void> | null> => {
      if (!plan) return null;
      const controller = new AbortController();
      abortCurrent.current = () => controller.abort();
      const sent: { item: QueueItem; id: string }[] = [];
      try {
        for (const item of items) {
          const one = new Set([item.id]);
          if (cancelled.current || !live.current) {
            patch(one, (i) => ({ ...i, state: "cancelled", reason: "the upload was cancelled before it was sent" }));
            continue;
          }
          patch(one, (i) => ({ ...i, state: "uploading", loaded: 0, reason: "" }));
          let shownAt = 0;
          try {
            const id = await sendDirect(projectId, item.file, item.name, {
              signal: controller.signal,
              onProgress: (loaded) => {
                const now = Date.now();
                if (loaded < item.size && now - shownAt < PROGRESS_MS) return;
                shownAt = now;
                patch(one, (i) => ({ ...i, loaded }));
              },
            });
            sent.push({ item, id });
          } catch (exc) {
            if (exc instanceof DOMException && exc.name === "AbortError") {
              patch(one, (i) => ({ ...i, state: "cancelled", reason: "the upload was cancelled" }));
            } else {
              const reason = exc instanceof Error ? exc.message : String(exc);
              patch(one, (i) => ({ ...i, state: "failed", reason }));
            }
          }
        }
      } finally {
        abortCurrent.current = null;
      }
      if (!sent.length) return null;
      const batch = sent.map((s) => s.item);
      const ids = new Set(batch.map((i) => i.id));
      if (cancelled.current || !live.current) {
        // they stay in the bucket: a retry imports them without sending them again
        patch(ids, (i) => ({ ...i, state: "cancelled", reason: "the upload was cancelled before its import" }));
        return null;
      }
      const form = new FormData();
      for (const { id } of sent) form.append("uploads", id);
      const manifest = batchManifest(plan, batch);
      if (manifest) form.append("manifest", new Blob([manifest.text], { type: "text/plain" }), manifest.name);
      try {
        const job = await api.startImport(projectId, form).promise;
        for (const item of batch) forgetUpload(projectId, item.name, item.file);
        patch(ids, (i) => ({ ...i, state: "uploaded", loaded: i.size, jobId: job.id }));
        setJobs((all) => [...all, { id: job.id, itemIds: batch.map((i) => i.id), job: null }]);
        return follow(job.id, batch);
      } catch (exc) {
        const lines =
          exc instanceof ApiError && exc.errors ? errorMessages(exc.errors) : [exc instanceof Error ? exc.message : String(exc)];
        const reason = remapLines(lines.join("; "), manifest?.lineMap);
        patch(ids, (i) => ({ ...i, state: "failed", reason }));
        return null;
      }
    },
    [plan, projectId, patch, setJobs, follow],
  );

  const send = useCallback(
    async (queue: QueueItem[]) => {
      if (!plan || !queue.length) return;
      started.current = true;
      cancelled.current = false;
      sendingRef.current = true;
      setSending(true);
      setError("");
      const followers: Promise<void>[] = [];
      const direct = await directOnes(queue);
      queue = queue.filter((i) => !direct.includes(i));
      for (const batch of batchesOf(queue)) {
        const ids = new Set(batch.map((i) => i.id));
        if (cancelled.current || !live.current) {
          patch(ids, (i) => ({ ...i, state: "cancelled", reason: "the upload was cancelled before it was sent" }));
          continue;
        }
        const form = new FormData();
        for (const item of batch) {
          if (item.role === "archive") form.append("archive", item.file, basename(item.name));
          else {
            form.append("files", item.file, basename(item.name));
            form.append("paths", item.name);
          }
        }
        const manifest = batchManifest(plan, batch);
        if (manifest) form.append("manifest", new Blob([manifest.text], { type: "text/plain" }), manifest.name);
        patch(ids, (i) => ({ ...i, state: "uploading", loaded: 0, reason: "" }));
        const sizes = batch.map((i) => ({ size: i.size, nameLength: basename(i.name).length * 2 + 40 }));
        let shownAt = 0;
        const { promise, abort } = api.startImport(projectId, form, (loaded, total) => {
          // at most a few renders a second: a drop of thousands of files redraws its whole list
          const now = Date.now();
          if (loaded < total && now - shownAt < PROGRESS_MS) return;
          shownAt = now;
          const each = filesLoaded(sizes, loaded, total || loaded);
          const byId = new Map(batch.map((item, k) => [item.id, each[k]]));
          setItems((all) => all.map((i) => (byId.has(i.id) ? { ...i, loaded: byId.get(i.id) as number } : i)));
        });
        abortCurrent.current = abort;
        try {
          const job = await promise;
          patch(ids, (i) => ({ ...i, state: "uploaded", loaded: i.size, jobId: job.id }));
          setJobs((all) => [...all, { id: job.id, itemIds: batch.map((i) => i.id), job: null }]);
          followers.push(follow(job.id, batch));
        } catch (exc) {
          if (exc instanceof DOMException && exc.name === "AbortError") {
            patch(ids, (i) => ({ ...i, state: "cancelled", loaded: 0, reason: "the upload was cancelled" }));
          } else {
            const lines =
              exc instanceof ApiError && exc.errors ? errorMessages(exc.errors) : [exc instanceof Error ? exc.message : String(exc)];
            const reason = remapLines(lines.join("; "), manifest?.lineMap);
            patch(ids, (i) => ({ ...i, state: "failed", loaded: 0, reason }));
          }
        } finally {
          abortCurrent.current = null;
        }
      }
      if (direct.length) {
        const follower = await sendDirectly(direct);
        if (follower) followers.push(follower);
      }
      await Promise.all(followers);
      sendingRef.current = false;
      if (live.current) setSending(false);
    },
    [plan, projectId, patch, setItems, setJobs, follow, directOnes, sendDirectly],
  );

  const start = useCallback(() => {
    if (!sending && plan && !plan.problems.length) void send(itemsRef.current.filter((i) => i.state === "waiting"));
  }, [sending, plan, send]);

  const retry = useCallback(() => {
    if (sending) return;
    const again = retryable(itemsRef.current);
    const ids = new Set(again.map((i) => i.id));
    setItems((all) => all.map((i) => (ids.has(i.id) ? resetForRetry(i) : i)));
    void send(itemsRef.current.filter((i) => ids.has(i.id)));
  }, [sending, send, setItems]);

  const cancel = useCallback(() => {
    cancelled.current = true;
    abortCurrent.current?.();
    for (const upload of jobsRef.current) {
      if (!finished(upload.job)) api.cancelJob(upload.id).catch(() => undefined); // a finished one answers 400
    }
  }, []);

  return { plan, items, jobs, busy: sending, error, add, clear, start, retry, cancel };
}

/** The fields a job's outcome sets (the upload's own progress stays). */
function pick(item: QueueItem): Partial<QueueItem> {
  return { state: item.state, reason: item.reason, jobId: item.jobId };
}
