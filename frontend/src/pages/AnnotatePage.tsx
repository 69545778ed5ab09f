import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useParams } from "react-router-dom";
import { api, ApiError, uuid4 } from "../api";
import {
  acceptSummary,
  gates as gatesOf,
  localized,
  missingFor,
  planAccept,
  rowsFor,
  valueOf,
  withValue,
  type Row,
} from "../checklist";
import AnnotateHeader from "../components/annotate/AnnotateHeader";
import CommentField from "../components/annotate/CommentField";
import { mark, preload, PREFETCH } from "../components/annotate/fetchAhead";
import Instructions from "../components/annotate/Instructions";
import { AllKeys, KeyHints } from "../components/annotate/KeyHints";
import MediaPane from "../components/annotate/MediaPane";
import { LoadFailed, NoMoreTasks } from "../components/annotate/StatusScreens";
import SubmitBar from "../components/annotate/SubmitBar";
import SubmitProblems from "../components/annotate/SubmitProblems";
import useAnnotateKeys from "../components/annotate/useAnnotateKeys";
import ChecklistPanel from "../components/ChecklistPanel";
import type { MediaControls } from "../components/media";
import SkipDialog from "../components/SkipDialog";
import { useLanguage, useT } from "../i18n";
import { usePreferences } from "../preferences";
import { VideoSync } from "../components/VideoPlayer";
import type { AnswerState, Assignment, ChecklistVersion, Project } from "../types";
import { draftBody, DraftSaver, dropLocalDraft, outbox, restoreDraft, type OutboxItem, type SaveState } from "../work";

// The annotate screen: claims a task (and fetches the next one ahead), shows its media and its
// checklist, saves the draft as it changes, and sends the submit through the outbox. The keys are
// in components/annotate/useAnnotateKeys.ts; the panes and bars in components/annotate/.

interface Current {
  assignment: Assignment;
  answer: AnswerState;
  shownAt: number;
  restoredFrom: "server" | "device" | "none";
}

export default function AnnotatePage() {
  const projectId = Number(useParams().projectId);
  const t = useT();
  const language = useLanguage();
  const { keymap, preferences } = usePreferences();
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
  const rows: Row[] = useMemo(() => (def ? rowsFor(def, pair, language) : []), [def, pair, language]);
  const gateMap = useMemo(
    () => (def && current && !pair ? gatesOf(def, current.answer.options) : {}),
    [def, current, pair],
  );
  const missingRows = useMemo(
    () => (def && current ? missingFor(def, current.answer, pair) : []),
    [def, current, pair],
  );
  const prediction = !pair ? current?.assignment.prediction ?? null : null;
  // `a` accepts the guesses at or above the project's threshold; a server without the setting
  // (older) has none, and `a` accepts every guess as it did there.
  const acceptThreshold = project?.accept_threshold ?? 0;
  const [acceptNote, setAcceptNote] = useState("");
  const acceptPlan = useMemo(
    () => (def && current && prediction ? planAccept(def, current.answer.options, prediction, acceptThreshold) : null),
    [def, current, prediction, acceptThreshold],
  );

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
      setAcceptNote("");
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
    const plan = planAccept(def, c.answer.options, c.assignment.prediction, acceptThreshold);
    update({ ...c.answer, options: plan.options });
    // the first uncertain row is the one to check first; else the first left to answer
    setFocused(plan.uncertain[0] ?? plan.left[0] ?? focused);
    const summary = acceptSummary(plan);
    setAcceptNote(summary);
    setAnnounce(
      acceptThreshold > 0
        ? summary
        : plan.left.length
          ? `Pre-fill accepted; ${plan.left.length} sub-dimension${plan.left.length > 1 ? "s" : ""} still to answer.`
          : "Pre-fill accepted; press Enter to submit.",
    );
  }, [def, pair, update, focused, acceptThreshold]);

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
        t("annotate.answerMore", { n: missingRows.length, list: `${titles.slice(0, 4).join(", ")}${titles.length > 4 ? "…" : ""}` }),
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
  }, [def, missingRows, rows, projectId, pair, advanceToNext, t]);

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

  useAnnotateKeys({
    keymap,
    singleKey: preferences.single_key_shortcuts,
    currentRef,
    rows,
    focused,
    pair,
    skipping,
    missingRows,
    chooseOption,
    moveFocus,
    applicable,
    acceptAll,
    submit,
    setFocused,
    setSkipping,
    setShowHelp,
    setShowInstructions,
    mediaA,
    mediaB,
  });

  // --- rendering --------------------------------------------------------------------------------

  const pending = queue.filter((i) => !i.error);
  const refused = queue.filter((i) => i.error);

  if (loadError && !current) return <LoadFailed error={loadError} onRetry={() => def && void claim(def)} />;
  if (finished)
    return <NoMoreTasks projectName={project?.name} pending={pending.length} onCheckAgain={() => def && void claim(def)} />;
  if (!current || !def || !task) return <p role="status">{t("annotate.loadingTask")}</p>;

  const applicableRows = pair ? rows : rows.filter((r) => gateMap[r.key] !== "closed");
  const answeredCount = applicableRows.filter((r) => valueOf(current.answer, r.key, pair) !== undefined).length;
  return (
    <div className="annotate" data-testid="annotate" data-assignment-id={current.assignment.id} data-task-id={task.id}>
      <MediaPane task={task} pair={pair} videoSync={videoSync} mediaA={mediaA} mediaB={mediaB} />
      <section className="side" aria-label={pair ? t("annotate.preference") : t("annotate.checklist")}>
        <AnnotateHeader
          projectName={project?.name}
          saveState={saveState}
          saveDetail={saveDetail}
          pending={pending}
          landedCount={landedCount}
        />
        {current.restoredFrom !== "none" && (
          <p className="muted" style={{ margin: "0.25rem 0.75rem" }} data-testid="draft-restored">
            {current.restoredFrom === "device" ? t("annotate.draftDevice") : t("annotate.draftServer")}
          </p>
        )}
        <Instructions
          texts={[project?.instructions, localized(def, "instructions", language)]}
          shown={showInstructions}
          onToggle={() => setShowInstructions((v) => !v)}
        />
        {prediction && (
          <p className="pred-note" style={{ margin: "0.25rem 0.75rem" }} data-testid="prefill-note">
            {/* the model's name only: its version can hold a server path, which is not the annotator's business */}
            Pre-filled by {prediction.model_name}:{" "}
            {acceptThreshold > 0 && acceptPlan ? (
              acceptPlan.accepted.length ? (
                <>
                  press <kbd>a</kbd> to accept the {acceptPlan.accepted.length} guess{acceptPlan.accepted.length === 1 ? "" : "es"} at
                  or above {Math.round(acceptThreshold * 100)}% confidence
                  {acceptPlan.uncertain.length > 0 &&
                    `; ${acceptPlan.uncertain.length} uncertain, marked "uncertain — check", stay for you`}
                  .
                </>
              ) : (
                <>
                  no guess at or above {Math.round(acceptThreshold * 100)}% confidence is left to accept
                  {acceptPlan.uncertain.length > 0 &&
                    `; ${acceptPlan.uncertain.length} uncertain, marked "uncertain — check", for you to check`}
                  .
                </>
              )
            ) : (
              <>
                press <kbd>a</kbd> to accept the remaining guesses.
              </>
            )}
          </p>
        )}
        {acceptNote && (
          <p role="status" className="accept-note" data-testid="accept-note">
            {acceptNote}
          </p>
        )}
        <ChecklistPanel
          rows={rows}
          gates={gateMap}
          value={(key) => valueOf(current.answer, key, pair)}
          focused={focused}
          prediction={prediction?.options}
          modelName={prediction?.model_name}
          acceptThreshold={acceptThreshold}
          onChoose={(key, code) => chooseOption(key, code, true)}
          onFocusRow={setFocused}
        />
        <div className="side-foot">
          <SubmitProblems problem={problem} refused={refused} />
          <SubmitBar
            pair={pair}
            missing={missingRows.length}
            answered={answeredCount}
            applicable={applicableRows.length}
            canAccept={!!prediction && !pair}
            onSubmit={submit}
            onAccept={acceptAll}
            onSkip={() => setSkipping(true)}
          />
          <KeyHints options={Math.max(...rows.map((r) => r.options.length), 1)} />
          <CommentField value={current.answer.comment} onChange={(comment) => update({ ...current.answer, comment })} />
          {showHelp && <AllKeys acceptThreshold={acceptThreshold} />}
        </div>
      </section>
      <div className="sr-only" aria-live="polite" data-testid="announce">
        {announce}
      </div>
      {skipping && <SkipDialog onSkip={(r) => void skip(r)} onCancel={() => setSkipping(false)} />}
    </div>
  );
}
