import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { api, ApiError, uuid4 } from "../api";
import {
  acceptPredictions,
  gates as gatesOf,
  missing,
  missingFor,
  rowsFor,
  valueOf,
  withValue,
  type Row,
} from "../checklist";
import ChecklistPanel from "../components/ChecklistPanel";
import ImageViewer from "../components/ImageViewer";
import type { MediaControls } from "../components/media";
import SkipDialog from "../components/SkipDialog";
import VideoPlayer, { VideoSync } from "../components/VideoPlayer";
import type { AnswerState, Asset, Assignment, ChecklistVersion, Project } from "../types";
import { draftBody, DraftSaver, dropLocalDraft, outbox, restoreDraft, type OutboxItem, type SaveState } from "../work";

interface Current {
  assignment: Assignment;
  answer: AnswerState;
  shownAt: number;
  restoredFrom: "server" | "device" | "none";
}

const preloaded = new Set<string>();
// `?prefetch=0` turns fetching ahead off (the baseline of bench/annotate_keys.py).
const PREFETCH = typeof location === "undefined" || new URLSearchParams(location.search).get("prefetch") !== "0";

/** Warm the browser cache with what the next task will show first. */
function preload(asset: Asset | null | undefined) {
  if (!asset) return;
  const urls = asset.kind === "image" ? [asset.urls.original ?? asset.urls.display] : [asset.urls.poster];
  for (const frame of asset.urls.frames ?? []) urls.push(frame.url);
  for (const url of urls) {
    if (!url || preloaded.has(url)) continue;
    preloaded.add(url);
    const img = new Image();
    img.src = url;
  }
  if (asset.kind === "video" && asset.urls.display && !preloaded.has(asset.urls.display)) {
    preloaded.add(asset.urls.display);
    void fetch(asset.urls.display, { credentials: "same-origin" }).catch(() => undefined);
  }
}

function isTyping(target: EventTarget | null) {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable;
}

function mark(name: string) {
  try {
    performance.mark(name);
  } catch {
    /* marks are a nicety for the benchmark */
  }
}

export default function AnnotatePage() {
  const projectId = Number(useParams().projectId);
  const [project, setProject] = useState<Project | null>(null);
  const [checklist, setChecklist] = useState<ChecklistVersion | null>(null);
  const [current, setCurrent] = useState<Current | null>(null);
  const [finished, setFinished] = useState(false);
  const [loadError, setLoadError] = useState("");
  const [focused, setFocused] = useState<string | null>(null);
  const [saveState, setSaveState] = useState<SaveState>("saved");
  const [saveDetail, setSaveDetail] = useState("");
  const [problem, setProblem] = useState("");
  const [announce, setAnnounce] = useState("");
  const [queue, setQueue] = useState<OutboxItem[]>([]);
  const [landedCount, setLandedCount] = useState(0);
  const [skipping, setSkipping] = useState(false);
  const [showHelp, setShowHelp] = useState(false);
  const [showInstructions, setShowInstructions] = useState(false);
  const ahead = useRef<Assignment | null>(null);
  const prefetching = useRef<Promise<void> | null>(null);
  const saver = useRef<DraftSaver | null>(null);
  const mediaA = useRef<MediaControls | null>(null);
  const mediaB = useRef<MediaControls | null>(null);
  const videoSync = useMemo(() => new VideoSync(), []);
  const currentRef = useRef<Current | null>(null);
  currentRef.current = current;

  const def = checklist?.definition ?? null;
  const task = current?.assignment.task ?? null;
  const pair = task?.kind === "pair";
  const rows: Row[] = useMemo(() => (def ? rowsFor(def, pair) : []), [def, pair]);
  const gateMap = useMemo(
    () => (def && current && !pair ? gatesOf(def, current.answer.options) : {}),
    [def, current, pair],
  );
  const missingRows = useMemo(
    () => (def && current ? missingFor(def, current.answer, pair) : []),
    [def, current, pair],
  );
  const prediction = !pair ? current?.assignment.prediction ?? null : null;

  // --- loading, claiming and fetching ahead -------------------------------------------------

  const prefetch = useCallback(
    (holding: number) => {
      if (!PREFETCH || ahead.current || prefetching.current) return;
      // A submit still on its way holds a live lease on the server; fetch ahead once it lands
      // (the outbox listener calls back), rather than be refused for holding too many.
      if (outbox.pendingAssignmentIds(projectId).length) return;
      const exclude = [holding];
      prefetching.current = api
        .nextTask(projectId, exclude)
        .then((next) => {
          const shown = currentRef.current?.assignment.id;
          if (next && next.id !== shown && next.id !== holding && !outbox.pendingAssignmentIds().includes(next.id)) {
            ahead.current = next;
            preload(next.task.asset);
            preload(next.task.asset_b);
          }
        })
        .catch(() => undefined) // the cap or the network: fetched on demand instead
        .finally(() => {
          prefetching.current = null;
        });
    },
    [projectId],
  );

  const show = useCallback(
    (assignment: Assignment, defn: ChecklistVersion["definition"]) => {
      saver.current?.close();
      const isPair = assignment.task.kind === "pair";
      const restored = restoreDraft(assignment.id, assignment.draft, assignment.draft_saved_at);
      const next: Current = {
        assignment,
        answer: restored.answer,
        shownAt: performance.now(),
        restoredFrom: restored.from,
      };
      saver.current = new DraftSaver(assignment.id, isPair, (state, detail) => {
        setSaveState(state);
        setSaveDetail(detail ?? "");
      });
      if (restored.from === "device") saver.current.change(restored.answer); // push the newer device copy
      else setSaveState("saved");
      setCurrent(next);
      setProblem("");
      const todo = missingFor(defn, restored.answer, isPair);
      setFocused(todo[0] ?? rowsFor(defn, isPair)[0]?.key ?? null);
      setAnnounce(
        restored.from === "none"
          ? `Task ${assignment.task.id} loaded.`
          : `Task ${assignment.task.id} loaded with your saved draft.`,
      );
      mark(`vr:task-shown:${assignment.id}`);
      prefetch(assignment.id);
    },
    [prefetch],
  );

  const claim = useCallback(
    async (defn: ChecklistVersion["definition"]) => {
      setLoadError("");
      try {
        const assignment = await api.nextTask(projectId, outbox.pendingAssignmentIds(projectId));
        if (!assignment) {
          setCurrent(null);
          setFinished(true);
          return;
        }
        setFinished(false);
        show(assignment, defn);
      } catch (exc) {
        setLoadError(exc instanceof Error ? exc.message : String(exc));
      }
    },
    [projectId, show],
  );

  useEffect(() => {
    let cancelled = false;
    (async () => {
      try {
        const p = await api.project(projectId);
        const c = await api.checklist(p.checklist_version);
        if (cancelled) return;
        setProject(p);
        setChecklist(c);
        await claim(c.definition);
      } catch (exc) {
        if (!cancelled) setLoadError(exc instanceof Error ? exc.message : String(exc));
      }
    })();
    return () => {
      cancelled = true;
      saver.current?.close();
    };
  }, [projectId, claim]);

  useEffect(
    () =>
      outbox.subscribe((items, landed) => {
        setQueue(items.filter((i) => i.projectId === projectId));
        if (landed && landed.item.projectId === projectId) {
          setLandedCount((n) => n + 1);
          const holding = currentRef.current?.assignment.id;
          if (holding) prefetch(holding);
        }
      }),
    [projectId, prefetch],
  );

  // Keep the leases of the task on screen and the one fetched ahead.
  // Keyed on the assignment, not the answer: a timer restarted on every key would never fire.
  const shownId = current?.assignment.id;
  useEffect(() => {
    if (!shownId || !project) return;
    const every = Math.max(15, Math.min(300, project.lease_seconds / 3)) * 1000;
    const timer = setInterval(() => {
      void api.heartbeat(shownId).catch(() => undefined);
      if (ahead.current) void api.heartbeat(ahead.current.id).catch(() => undefined);
    }, every);
    return () => clearInterval(timer);
  }, [shownId, project]);

  // --- answering --------------------------------------------------------------------------------

  const update = useCallback((answer: AnswerState) => {
    setCurrent((c) => (c ? { ...c, answer } : c));
    saver.current?.change(answer);
    setProblem("");
  }, []);

  const applicable = useCallback(
    (answer: AnswerState) => {
      if (!def || pair) return rows;
      const g = gatesOf(def, answer.options);
      return rows.filter((r) => g[r.key] !== "closed");
    },
    [def, pair, rows],
  );

  const chooseOption = useCallback(
    (key: string, code: number | null, advance: boolean) => {
      const c = currentRef.current;
      if (!c || !def) return;
      const answer = withValue(def, c.answer, key, code, pair);
      update(answer);
      const list = applicable(answer);
      const i = list.findIndex((r) => r.key === key);
      if (advance && i >= 0 && i < list.length - 1) setFocused(list[i + 1].key);
      else
        // The choice made the highlighted row inapplicable (e.g. "no lighting"): move on.
        setFocused((f) => (f && list.some((r) => r.key === f) ? f : (list[i + 1] ?? list[0])?.key ?? null));
    },
    [def, pair, update, applicable],
  );

  const moveFocus = useCallback(
    (delta: number) => {
      const c = currentRef.current;
      if (!c) return;
      const list = applicable(c.answer);
      const i = list.findIndex((r) => r.key === focused);
      const next = list[Math.max(0, Math.min(list.length - 1, (i < 0 ? 0 : i) + delta))];
      if (next) setFocused(next.key);
    },
    [applicable, focused],
  );

  const acceptAll = useCallback(() => {
    const c = currentRef.current;
    if (!c || !def || !c.assignment.prediction || pair) return;
    const options = acceptPredictions(def, c.answer.options, c.assignment.prediction);
    const answer = { ...c.answer, options };
    update(answer);
    const todo = missing(def, options);
    setFocused(todo[0] ?? focused);
    setAnnounce(
      todo.length
        ? `Pre-fill accepted; ${todo.length} sub-dimension${todo.length > 1 ? "s" : ""} still to answer.`
        : "Pre-fill accepted; press Enter to submit.",
    );
  }, [def, pair, update, focused]);

  const advanceToNext = useCallback(async () => {
    if (!def) return;
    // A fetch-ahead still in flight will answer with the very task a claim now would get:
    // wait for it rather than race it (which could show that task twice).
    if (prefetching.current) await prefetching.current;
    const next = ahead.current;
    ahead.current = null;
    if (next) show(next, def);
    else {
      setCurrent(null);
      await claim(def);
    }
  }, [def, show, claim]);

  const submit = useCallback(() => {
    const c = currentRef.current;
    if (!c || !def) return;
    if (missingRows.length) {
      const titles = missingRows.map((k) => rows.find((r) => r.key === k)?.title ?? k);
      setProblem(
        `Answer ${missingRows.length} more before submitting: ${titles.slice(0, 4).join(", ")}${titles.length > 4 ? "…" : ""}`,
      );
      setFocused(missingRows[0]);
      return;
    }
    mark(`vr:submit:${c.assignment.id}`);
    saver.current?.close();
    outbox.enqueue({
      assignmentId: c.assignment.id,
      projectId,
      taskId: c.assignment.task.id,
      body: {
        client_id: uuid4(),
        ...draftBody(c.answer, pair),
        time_spent_ms: Math.round(performance.now() - c.shownAt),
      },
    });
    setAnnounce(`Task ${c.assignment.task.id} submitted.`);
    void advanceToNext();
  }, [def, missingRows, rows, projectId, pair, advanceToNext]);

  const skip = useCallback(
    async (reason: string) => {
      const c = currentRef.current;
      setSkipping(false);
      if (!c) return;
      try {
        await api.skip(c.assignment.id, reason);
        saver.current?.close();
        dropLocalDraft(c.assignment.id);
        setAnnounce(`Task ${c.assignment.task.id} skipped.`);
        await advanceToNext();
      } catch (exc) {
        setProblem(exc instanceof ApiError ? `Skip failed: ${exc.message}` : String(exc));
      }
    },
    [advanceToNext],
  );

  // --- keys -------------------------------------------------------------------------------------

  const eachMedia = useCallback((fn: (m: MediaControls) => void) => {
    for (const m of [mediaA.current, mediaB.current]) if (m) fn(m);
  }, []);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (skipping || event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
      const c = currentRef.current;
      if (!c) return;
      const inChecklist = (event.target as HTMLElement | null)?.closest?.(".checklist");
      const row = rows.find((r) => r.key === focused);
      const key = event.key;
      let handled = true;
      if (/^[1-9]$/.test(key) && row) {
        const option = row.options[Number(key) - 1];
        if (option) chooseOption(row.key, option.code, true);
      } else if (key === "ArrowDown" || key === "j") moveFocus(1);
      else if (key === "ArrowUp" || key === "k") moveFocus(-1);
      else if (key === "Tab" && (inChecklist || event.target === document.body)) {
        const list = applicable(c.answer);
        const i = list.findIndex((r) => r.key === focused);
        const atEdge = event.shiftKey ? i <= 0 : i >= list.length - 1;
        if (atEdge) handled = false;
        else moveFocus(event.shiftKey ? -1 : 1);
      } else if ((key === "ArrowRight" || key === "ArrowLeft") && row) {
        const current = valueOf(c.answer, row.key, pair);
        const i = row.options.findIndex((o) => o.code === current);
        const j = i < 0 ? 0 : Math.max(0, Math.min(row.options.length - 1, i + (key === "ArrowRight" ? 1 : -1)));
        chooseOption(row.key, row.options[j].code, false);
      } else if (key === "Backspace" || key === "Delete") {
        if (row) chooseOption(row.key, null, false);
      } else if (key === "n") {
        if (missingRows.length) setFocused(missingRows[0]);
      } else if (key === "a") acceptAll();
      else if (key === "Enter") {
        const target = event.target as HTMLElement;
        if (target.tagName === "BUTTON" && !inChecklist && !target.closest(".checklist")) handled = false;
        else submit();
      } else if (key === "s") setSkipping(true);
      else if (key === "?") setShowHelp((v) => !v);
      else if (key === "i") setShowInstructions((v) => !v);
      else if (key === " ") eachMedia((m) => m.togglePlay());
      else if (key === ",") eachMedia((m) => m.step(-1));
      else if (key === ".") eachMedia((m) => m.step(1));
      else if (key === "[") eachMedia((m) => m.changeSpeed(-1));
      else if (key === "]") eachMedia((m) => m.changeSpeed(1));
      else if (key === "l") eachMedia((m) => m.toggleLoop());
      else if (key === "+" || key === "=") eachMedia((m) => m.zoom(1));
      else if (key === "-") eachMedia((m) => m.zoom(-1));
      else if (key === "z") eachMedia((m) => m.fit());
      else handled = false;
      if (handled) event.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [rows, focused, pair, skipping, missingRows, chooseOption, moveFocus, applicable, acceptAll, submit, eachMedia]);

  // --- rendering --------------------------------------------------------------------------------

  const pending = queue.filter((i) => !i.error);
  const refused = queue.filter((i) => i.error);
  let stateLabel: string;
  let stateClass: string;
  if (saveState === "offline" || pending.some((i) => i.attempts > 0)) {
    stateLabel = pending.length ? `Offline — ${pending.length} submit${pending.length > 1 ? "s" : ""} waiting` : "Offline — saved on this device";
    stateClass = "offline";
  } else if (saveState === "saving" || pending.length) {
    stateLabel = pending.length ? "Submitting…" : "Saving…";
    stateClass = "saving";
  } else if (saveState === "error") {
    stateLabel = "Not saved on the server";
    stateClass = "offline";
  } else {
    stateLabel = "Saved";
    stateClass = "saved";
  }

  if (loadError && !current)
    return (
      <div className="card" role="alert">
        <p className="error">{loadError}</p>
        <button type="button" onClick={() => def && void claim(def)}>
          Try again
        </button>{" "}
        <Link to="/projects">Back to projects</Link>
      </div>
    );
  if (finished)
    return (
      <div className="card" data-testid="no-more-tasks">
        <h1>Nothing left for you here</h1>
        <p>
          You have answered every task available to you in {project?.name}.
          {pending.length > 0 && ` ${pending.length} submit(s) are still being sent.`}
        </p>
        <button type="button" onClick={() => def && void claim(def)}>
          Check again
        </button>{" "}
        <Link to="/projects">Back to projects</Link>
      </div>
    );
  if (!current || !def || !task) return <p role="status">Loading the next task…</p>;

  const viewer = (asset: Asset, i: number, label?: string) =>
    asset.kind === "video" ? (
      <VideoPlayer key={asset.id} asset={asset} label={label} sync={pair ? videoSync : undefined} ref={i === 0 ? mediaA : mediaB} />
    ) : (
      <ImageViewer key={asset.id} asset={asset} label={label} ref={i === 0 ? mediaA : mediaB} />
    );

  const applicableRows = pair ? rows : rows.filter((r) => gateMap[r.key] !== "closed");
  const answeredCount = applicableRows.filter((r) => valueOf(current.answer, r.key, pair) !== undefined).length;
  return (
    <div className="annotate" data-testid="annotate" data-assignment-id={current.assignment.id} data-task-id={task.id}>
      <section className="media-pane" aria-label="Media">
        <div className="prompt">
          <span className="label">Prompt</span>
          <span data-testid="prompt">{task.asset.prompt || "(no prompt)"}</span>
        </div>
        {pair && task.asset_b ? (
          <div className="pair-media">
            <div>
              <div className="side-label">A</div>
              {viewer(task.asset, 0, "A")}
            </div>
            <div>
              <div className="side-label">B</div>
              {viewer(task.asset_b, 1, "B")}
            </div>
          </div>
        ) : (
          viewer(task.asset, 0)
        )}
      </section>
      <section className="side" aria-label={pair ? "Preference" : "Checklist"}>
        <div className="side-head">
          <strong className="grow">{project?.name}</strong>
          <span className={`save-state ${stateClass}`} role="status" aria-live="polite" data-testid="save-state" title={saveDetail || undefined}>
            {stateLabel}
          </span>
          <span className="muted" data-testid="session-count" title="Submitted in this session">
            {landedCount} done
          </span>
          <Link to="/projects" className="muted">
            Exit
          </Link>
        </div>
        {current.restoredFrom !== "none" && (
          <p className="muted" style={{ margin: "0.25rem 0.75rem" }} data-testid="draft-restored">
            Your draft was restored ({current.restoredFrom === "device" ? "from this device" : "from the server"}).
          </p>
        )}
        {(project?.instructions || def.instructions) && (
          <div className="instructions">
            <button type="button" className="link" aria-expanded={showInstructions} onClick={() => setShowInstructions((v) => !v)}>
              {showInstructions ? "Hide instructions" : "Show instructions"} <kbd>i</kbd>
            </button>
            {showInstructions && (
              <div className="instructions-text" data-testid="instructions">
                {[project?.instructions, def.instructions].filter(Boolean).map((text, i) => (
                  <p key={i}>{text}</p>
                ))}
              </div>
            )}
          </div>
        )}
        {prediction && (
          <p className="pred-note" style={{ margin: "0.25rem 0.75rem" }}>
            Pre-filled by {prediction.model_name}
            {prediction.model_version && ` ${prediction.model_version}`}: press <kbd>a</kbd> to accept the remaining guesses.
          </p>
        )}
        <ChecklistPanel
          rows={rows}
          gates={gateMap}
          value={(key) => valueOf(current.answer, key, pair)}
          focused={focused}
          prediction={prediction?.options}
          modelName={prediction?.model_name}
          onChoose={(key, code) => chooseOption(key, code, true)}
          onFocusRow={setFocused}
        />
        <div className="side-foot">
          {problem && (
            <p className="problems" role="alert">
              {problem}
            </p>
          )}
          {refused.map((item) => (
            <p className="problems" role="alert" key={item.assignmentId}>
              The server refused the submit of task {item.taskId}: {item.error}{" "}
              <button type="button" className="link" onClick={() => outbox.dismiss(item.assignmentId)}>
                Dismiss
              </button>
            </p>
          ))}
          <div className="buttons">
            <button type="button" className="primary" onClick={submit} disabled={missingRows.length > 0} data-testid="submit">
              Submit <kbd>Enter</kbd>
            </button>
            {prediction && !pair && (
              <button type="button" onClick={acceptAll}>
                Accept pre-fill <kbd>a</kbd>
              </button>
            )}
            <button type="button" onClick={() => setSkipping(true)}>
              Skip <kbd>s</kbd>
            </button>
            <span className="muted" data-testid="answered-count">
              {pair ? (missingRows.length ? "choose a preference" : "ready") : `${answeredCount}/${applicableRows.length} answered`}
            </span>
          </div>
          <div className="hints" aria-label="Keyboard shortcuts">
            <span>
              <kbd>1</kbd>–<kbd>9</kbd> choose &amp; next
            </span>
            <span>
              <kbd>↑</kbd>
              <kbd>↓</kbd>/<kbd>Tab</kbd> move
            </span>
            <span>
              <kbd>←</kbd>
              <kbd>→</kbd> change
            </span>
            <span>
              <kbd>n</kbd> next unanswered
            </span>
            <span>
              <kbd>i</kbd> instructions
            </span>
            <span>
              <kbd>?</kbd> all keys
            </span>
          </div>
          <label className="comment">
            <span className="muted">Comment (optional)</span>
            <textarea
              rows={1}
              value={current.answer.comment}
              maxLength={5000}
              onChange={(e) => update({ ...current.answer, comment: e.target.value })}
              onKeyDown={(e) => {
                if (e.key === "Escape") (e.target as HTMLTextAreaElement).blur();
              }}
              placeholder="Anything a reviewer should know (Esc returns to the keys)"
              data-testid="comment"
            />
          </label>
          {showHelp && (
            <div className="hints" data-testid="help">
              <span>
                <kbd>Backspace</kbd> clear
              </span>
              <span>
                <kbd>a</kbd> accept pre-fill
              </span>
              <span>
                <kbd>s</kbd> skip
              </span>
              <span>
                <kbd>Space</kbd> play/pause
              </span>
              <span>
                <kbd>,</kbd>
                <kbd>.</kbd> frame −/+
              </span>
              <span>
                <kbd>[</kbd>
                <kbd>]</kbd> speed
              </span>
              <span>
                <kbd>l</kbd> loop
              </span>
              <span>
                <kbd>+</kbd>
                <kbd>−</kbd>
                <kbd>z</kbd> zoom/fit
              </span>
            </div>
          )}
        </div>
      </section>
      <div className="sr-only" aria-live="polite" data-testid="announce">
        {announce}
      </div>
      {skipping && <SkipDialog onSkip={(r) => void skip(r)} onCancel={() => setSkipping(false)} />}
    </div>
  );
}
