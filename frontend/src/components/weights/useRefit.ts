import { useCallback, useEffect, useRef, useState } from "react";
import { api, fieldErrors } from "../../api";
import type { Job, RefitReadiness, RefitSettings } from "../../types";
import { message } from "./format";

export const FINISHED: Job["state"][] = ["succeeded", "failed", "cancelled"];
export const isFinished = (job: Job | null) => !!job && FINISHED.includes(job.state);

/**
 * Start a refit and follow its job: poll GET /api/jobs/:id/ every `pollMs` until it has finished
 * (a poll that cannot reach the server is retried), then call `onFinished` once.
 */
export function useRefit(projectId: number, onFinished: (job: Job) => void, pollMs = 1000) {
  const [job, setJob] = useState<Job | null>(null);
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const live = useRef(true);
  const finished = useRef(onFinished);
  finished.current = onFinished;

  useEffect(() => {
    live.current = true;
    return () => {
      live.current = false;
      clearTimeout(timer.current);
    };
  }, []);

  const follow = useCallback(
    (current: Job) => {
      setJob(current);
      if (isFinished(current)) {
        finished.current(current);
        return;
      }
      timer.current = setTimeout(() => {
        api.job(current.id).then(
          (next) => live.current && follow(next),
          (exc) => {
            if (!live.current) return;
            if (exc?.retryable) follow(current);
            else setError(`The refit's progress cannot be read: ${message(exc)}`);
          },
        );
      }, pollMs);
    },
    [pollMs],
  );

  const start = useCallback(
    async (settings: RefitSettings) => {
      clearTimeout(timer.current);
      setStarting(true);
      setError("");
      setErrors({});
      setJob(null);
      try {
        const created = await api.refit(projectId, settings);
        if (live.current) follow(created);
      } catch (exc) {
        if (!live.current) return;
        setError(message(exc));
        setErrors(fieldErrors(exc));
      } finally {
        if (live.current) setStarting(false);
      }
    },
    [projectId, follow],
  );

  /** Follow a refit that was already running (started elsewhere or before a reload). */
  const resume = useCallback(
    (running: Job) => {
      if (isFinished(running)) return;
      clearTimeout(timer.current);
      follow(running);
    },
    [follow],
  );

  return { job, running: !!job && !isFinished(job), starting, error, errors, start, resume };
}

export type Refit = ReturnType<typeof useRefit>;

/**
 * The readiness of a refit with these settings (GET …/refit/readiness/), fetched again when they
 * change (after a short pause while typing) or when `reloadKey` changes (e.g. after a refit).
 */
export function useRefitReadiness(
  projectId: number,
  settings: Pick<RefitSettings, "features" | "test_fraction" | "seed"> | null,
  reloadKey: number,
  delayMs = 200,
) {
  const [readiness, setReadiness] = useState<RefitReadiness | null>(null);
  const [error, setError] = useState("");
  const key = settings ? JSON.stringify(settings) : "";
  const first = useRef(true);
  useEffect(() => {
    if (!key) return;
    let live = true;
    const wanted = JSON.parse(key) as Pick<RefitSettings, "features" | "test_fraction" | "seed">;
    const timer = setTimeout(
      () =>
        api.refitReadiness(projectId, wanted).then(
          (r) => {
            if (!live) return;
            setReadiness(r);
            setError("");
          },
          (exc) => live && setError(`Whether a refit can run cannot be read: ${message(exc)}`),
        ),
      first.current ? 0 : delayMs,
    );
    first.current = false;
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [projectId, key, reloadKey, delayMs]);
  return { readiness, error };
}
