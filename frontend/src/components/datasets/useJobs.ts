import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "../../api";
import type { Job } from "../../types";
import { message } from "../weights/format";
import { isFinished } from "../weights/useRefit";

/**
 * Follow any number of jobs (the exports still building): poll GET /api/jobs/:id/ every `pollMs`
 * until each has finished (a poll that cannot reach the server is retried), then call
 * `onFinished` once per job. `jobs` holds the latest state of each, `errors` why one cannot be read.
 */
export function useJobs(onFinished: (job: Job) => void, pollMs = 1000) {
  const [jobs, setJobs] = useState<Record<number, Job>>({});
  const [errors, setErrors] = useState<Record<number, string>>({});
  /** The jobs being followed, each with its next poll. */
  const timers = useRef(new Map<number, ReturnType<typeof setTimeout>>());
  /** Jobs seen finished: never followed again. */
  const done = useRef(new Set<number>());
  const live = useRef(true);
  const finished = useRef(onFinished);
  finished.current = onFinished;
  const every = useRef(pollMs);
  every.current = pollMs;

  useEffect(() => {
    live.current = true;
    const pending = timers.current;
    return () => {
      live.current = false;
      pending.forEach((t) => clearTimeout(t));
      pending.clear();
    };
  }, []);

  // A job's new state and its next poll call each other: both live in one stable ref.
  const step = useRef({
    take(job: Job) {
      setJobs((all) => ({ ...all, [job.id]: job }));
      if (isFinished(job)) {
        clearTimeout(timers.current.get(job.id));
        timers.current.delete(job.id);
        if (!done.current.has(job.id)) {
          done.current.add(job.id);
          finished.current(job);
        }
        return;
      }
      step.current.poll(job.id, every.current);
    },
    poll(id: number, wait: number) {
      clearTimeout(timers.current.get(id));
      timers.current.set(
        id,
        setTimeout(() => {
          api.job(id).then(
            (next) => live.current && step.current.take(next),
            (exc) => {
              if (!live.current) return;
              if (exc?.retryable) {
                step.current.poll(id, every.current);
              } else {
                timers.current.delete(id);
                setErrors((all) => ({ ...all, [id]: `The progress of job #${id} cannot be read: ${message(exc)}` }));
              }
            },
          );
        }, wait),
      );
    },
  });

  /** Follow a job whose state is known (just started). */
  const follow = useCallback((job: Job) => {
    if (done.current.has(job.id)) return;
    step.current.take(job);
  }, []);

  /** Follow a job known by id only (a version listed as queued or building); no-op when already followed. */
  const watch = useCallback((id: number) => {
    if (done.current.has(id) || timers.current.has(id)) return;
    step.current.poll(id, 0);
  }, []);

  return { jobs, errors, follow, watch };
}
