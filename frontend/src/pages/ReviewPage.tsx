import { useCallback, useEffect, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from "react";
import { Link, useParams } from "react-router-dom";
import { ApiError, api } from "../api";
import { missing, rowsOf, withValue } from "../checklist";
import ComparisonTable from "../components/review/ComparisonTable";
import GoldCheckControls from "../components/review/GoldCheckControls";
import ReviewMedia from "../components/review/ReviewMedia";
import { majorityAnswer } from "../components/review/answers";
import type { AnswerState, ChecklistDefinition, Page, Project, ReviewItem } from "../types";

// The reviewer's screen: the annotations of one task side by side, disagreements marked, and
// a gold answer made by accepting one annotation or by correcting the majority answer.

type ReviewState = "pending" | "reviewed" | "all";
const FILTERS: { key: ReviewState; label: string }[] = [
  { key: "pending", label: "Pending" },
  { key: "reviewed", label: "Reviewed" },
  { key: "all", label: "All" },
];
const PAGE_SIZE = 20;

const message = (exc: unknown) => (exc instanceof Error ? exc.message : String(exc));

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || !!target.closest("input, select, textarea");
}

function formatDate(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

function GoldInfo({ item }: { item: ReviewItem }) {
  const gold = item.gold;
  if (!gold) return <p className="gold-info muted">No gold answer yet.</p>;
  const source = item.annotations.find((a) => a.id === gold.source_annotation);
  return (
    <p className="gold-info" data-testid="gold-info">
      <span className="badge gold-badge">gold</span>{" "}
      {gold.source === "accepted"
        ? `Accepted ${source ? `${source.username}'s answer` : `annotation ${gold.source_annotation ?? "?"}`}`
        : "Corrected"}
      {gold.reviewed_by ? ` by ${gold.reviewed_by}` : ""}
      {gold.updated_at ? `, ${formatDate(gold.updated_at)}` : ""}
      {gold.comment ? ` — “${gold.comment}”` : ""}
    </p>
  );
}

export default function ReviewPage() {
  const { projectId: projectParam } = useParams();
  const projectId = Number(projectParam);

  const [project, setProject] = useState<Project | null>(null);
  const [def, setDef] = useState<ChecklistDefinition | null>(null);
  const [setupError, setSetupError] = useState("");

  const [filter, setFilter] = useState<ReviewState>("pending");
  const [onlyDisagreements, setOnlyDisagreements] = useState(false);
  const [offset, setOffset] = useState(0);
  const [reload, setReload] = useState(0);
  const [page, setPage] = useState<Page<ReviewItem> | null>(null);
  const [listError, setListError] = useState("");
  const [loading, setLoading] = useState(true);
  const [selected, setSelected] = useState(0);
  const selectAfterLoad = useRef<"first" | "last">("first");

  const [draft, setDraft] = useState<AnswerState | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState("");
  const [status, setStatus] = useState("");
  const detailHeading = useRef<HTMLHeadingElement>(null);
  const focusDetail = useRef(false);

  // Managers: which tasks are gold checks (the review items do not say; loaded once).
  const canManage = project?.my_role === "manager" || project?.my_role === "admin";
  const [goldChecks, setGoldChecks] = useState<Set<number> | null>(null);
  const [goldChecksError, setGoldChecksError] = useState("");
  const [goldCheckBusy, setGoldCheckBusy] = useState(false);
  const [goldCheckError, setGoldCheckError] = useState("");

  useEffect(() => {
    let live = true;
    setSetupError("");
    api
      .project(projectId)
      .then(async (p) => {
        if (!live) return;
        setProject(p);
        const version = await api.checklist(p.checklist_version);
        if (live) setDef(version.definition);
      })
      .catch((exc) => live && setSetupError(message(exc)));
    return () => {
      live = false;
    };
  }, [projectId]);

  useEffect(() => {
    if (!canManage) return;
    let live = true;
    setGoldChecks(null);
    setGoldChecksError("");
    api.goldCheckTaskIds(projectId).then(
      (ids) => live && setGoldChecks(new Set(ids)),
      (exc) => live && setGoldChecksError(message(exc)),
    );
    return () => {
      live = false;
    };
  }, [projectId, canManage]);

  useEffect(() => {
    let live = true;
    setLoading(true);
    setListError("");
    api
      .reviewItems(projectId, filter, offset, onlyDisagreements)
      .then((p) => {
        if (!live) return;
        setPage(p);
        setSelected(selectAfterLoad.current === "last" ? Math.max(0, p.results.length - 1) : 0);
        selectAfterLoad.current = "first";
      })
      .catch((exc) => live && setListError(message(exc)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [projectId, filter, offset, onlyDisagreements, reload]);

  const items = page?.results ?? [];
  const item: ReviewItem | undefined = items[selected];
  const pair = item?.task.kind === "pair";

  // A new item starts outside correct mode, without the previous item's error.
  useEffect(() => {
    setDraft(null);
    setActionError("");
    setGoldCheckError("");
    if (focusDetail.current) {
      focusDetail.current = false;
      detailHeading.current?.focus();
    }
  }, [item?.task.id]);

  const loadPage = useCallback((nextOffset: number, select: "first" | "last") => {
    selectAfterLoad.current = select;
    setOffset(nextOffset);
    setReload((r) => r + 1);
  }, []);

  /** Offset of the following page; reviewed items have left a "pending" list already. */
  const nextOffset = offset + items.length - (filter === "pending" ? items.filter((i) => i.gold).length : 0);

  /** Select the following item, across pages; `reviewedNow` items just left a "pending" list. */
  const goNext = useCallback(
    (reviewedNow = 0): boolean => {
      if (selected < items.length - 1) {
        setSelected(selected + 1);
        return true;
      }
      if (page?.next) {
        loadPage(nextOffset - (filter === "pending" ? reviewedNow : 0), "first");
        return true;
      }
      return false;
    },
    [selected, items.length, page?.next, nextOffset, filter, loadPage],
  );

  const goPrev = useCallback(() => {
    if (selected > 0) setSelected(selected - 1);
    else if (offset > 0) loadPage(Math.max(0, offset - PAGE_SIZE), "last");
  }, [selected, offset, loadPage]);

  const changeFilter = (f: ReviewState) => {
    setFilter(f);
    setOffset(0);
    selectAfterLoad.current = "first";
    setStatus("");
  };

  const startCorrection = useCallback(() => {
    if (!item || !def) return;
    setActionError("");
    setDraft(majorityAnswer(def, item.annotations, item.task.kind === "pair"));
  }, [item, def]);

  const toggleCorrect = useCallback(() => {
    if (draft) {
      setDraft(null);
      setActionError("");
    } else startCorrection();
  }, [draft, startCorrection]);

  const send = useCallback(
    async (body: Record<string, unknown>, done: string) => {
      if (!item || busy) return;
      setBusy(true);
      setActionError("");
      setStatus("");
      try {
        const updated = await api.review(projectId, item.task.id, body);
        const next: ReviewItem = updated && updated.task ? updated : item;
        setPage((p) => p && { ...p, results: p.results.map((r) => (r.task.id === item.task.id ? next : r)) });
        setDraft(null);
        focusDetail.current = true;
        const moved = goNext(item.gold ? 0 : 1);
        if (!moved) focusDetail.current = false;
        setStatus(`${done}${moved ? "" : " That was the last item in this list."}`);
      } catch (exc) {
        setActionError(message(exc));
      } finally {
        setBusy(false);
      }
    },
    [item, busy, projectId, goNext],
  );

  const accept = useCallback(
    (annotationId: number) => {
      if (!item) return;
      const who = item.annotations.find((a) => a.id === annotationId)?.username ?? `annotation ${annotationId}`;
      void send({ accept: annotationId }, `Task ${item.task.id}: accepted ${who}'s answer as gold.`);
    },
    [item, send],
  );

  const saveCorrection = () => {
    if (!item || !def || !draft) return;
    const comment = draft.comment.trim();
    let body: Record<string, unknown>;
    if (pair) {
      if (draft.preference == null) {
        setActionError("Choose the overall preference before saving the correction.");
        return;
      }
      body = { preference: draft.preference, dimension_preferences: draft.dimension_preferences };
    } else {
      const gaps = missing(def, draft.options);
      if (gaps.length) {
        const titles = new Map(rowsOf(def).map((r) => [r.key, r.title]));
        setActionError(`Choose an option for: ${gaps.map((k) => titles.get(k) ?? k).join(", ")}.`);
        return;
      }
      body = { options: draft.options };
    }
    if (comment) body.comment = comment;
    void send(body, `Task ${item.task.id}: correction saved as gold.`);
  };

  /** Make the item's task a gold check from its gold answer, or a normal task again. */
  const toggleGoldCheck = async () => {
    if (!item || !goldChecks || goldCheckBusy) return;
    const taskId = item.task.id;
    const was = goldChecks.has(taskId);
    const mark = (isOne: boolean) =>
      setGoldChecks((prev) => {
        const next = new Set(prev);
        if (isOne) next.add(taskId);
        else next.delete(taskId);
        return next;
      });
    setGoldCheckBusy(true);
    setGoldCheckError("");
    setStatus("");
    try {
      if (was) {
        await api.removeGoldCheck(projectId, taskId);
        mark(false);
        setStatus(`Task ${taskId} is a normal task again; its annotations stay.`);
      } else {
        await api.setGoldCheck(projectId, taskId, { from_gold_answer: true });
        mark(true);
        setStatus(`Task ${taskId} is now a gold check, with its gold answer as the expected answer.`);
      }
    } catch (exc) {
      if (was && exc instanceof ApiError && exc.status === 404) {
        // Someone else stopped it already: show it as it is.
        mark(false);
        setStatus(`Task ${taskId} was no longer a gold check.`);
      } else {
        setGoldCheckError(message(exc));
      }
    } finally {
      setGoldCheckBusy(false);
    }
  };

  const changeDraft = (key: string, code: number | null) => {
    if (!def) return;
    setDraft((d) => (d ? withValue(def, d, key, code, pair) : d));
  };

  // Keyboard: j/k move, 1..9 accept the n-th annotator, c toggles correct mode.
  const keyHandler = useRef<(e: KeyboardEvent) => void>(() => undefined);
  keyHandler.current = (e: KeyboardEvent) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
    if (!item || loading) return;
    if (e.key === "j") {
      e.preventDefault();
      goNext();
    } else if (e.key === "k") {
      e.preventDefault();
      goPrev();
    } else if (e.key === "c" && def) {
      e.preventDefault();
      toggleCorrect();
    } else if (/^[1-9]$/.test(e.key)) {
      const annotation = item.annotations[Number(e.key) - 1];
      if (annotation && !busy) {
        e.preventDefault();
        accept(annotation.id);
      }
    }
  };
  useEffect(() => {
    const listener = (e: KeyboardEvent) => keyHandler.current(e);
    window.addEventListener("keydown", listener);
    return () => window.removeEventListener("keydown", listener);
  }, []);

  const onTabKey = (e: ReactKeyboardEvent<HTMLButtonElement>, index: number) => {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
    e.preventDefault();
    const next = (index + (e.key === "ArrowRight" ? 1 : FILTERS.length - 1)) % FILTERS.length;
    changeFilter(FILTERS[next].key);
    document.getElementById(`review-tab-${FILTERS[next].key}`)?.focus();
  };

  if (!Number.isFinite(projectId)) return <p role="alert" className="error">No such project.</p>;
  if (setupError) return <p role="alert" className="error">{setupError}</p>;

  const count = page?.count ?? 0;
  const first = items.length ? offset + 1 : 0;
  const last = offset + items.length;

  return (
    <section className="review-page" aria-labelledby="review-title">
      <div className="page-head">
        <h1 id="review-title">Review{project ? `: ${project.name}` : ""}</h1>
        {project && (
          <Link className="button" to={`/projects/${projectId}/manage`}>
            Statistics
          </Link>
        )}
      </div>
      <div className="review-filters">
        <div className="tabs" role="tablist" aria-label="Which items">
          {FILTERS.map((f, i) => (
            <button
              key={f.key}
              id={`review-tab-${f.key}`}
              type="button"
              role="tab"
              aria-selected={filter === f.key}
              aria-controls="review-panel"
              tabIndex={filter === f.key ? 0 : -1}
              onClick={() => changeFilter(f.key)}
              onKeyDown={(e) => onTabKey(e, i)}
            >
              {f.label}
            </button>
          ))}
        </div>
        <label className="check">
          <input
            type="checkbox"
            checked={onlyDisagreements}
            onChange={(e) => {
              setOnlyDisagreements(e.target.checked);
              setOffset(0);
              selectAfterLoad.current = "first";
            }}
          />{" "}
          Only disagreements
        </label>
        <p className="hints review-hints" id="review-keys">
          <span>
            <kbd>j</kbd>/<kbd>k</kbd> next/previous item
          </span>
          <span>
            <kbd>1</kbd>–<kbd>9</kbd> accept annotator n
          </span>
          <span>
            <kbd>c</kbd> correct
          </span>
        </p>
      </div>

      <div className="review-layout" id="review-panel" role="tabpanel" aria-labelledby={`review-tab-${filter}`}>
        <nav className="review-nav card" aria-label="Review items">
          <h2 className="visually-hidden">Items</h2>
          {listError && (
            <p role="alert" className="error">
              {listError}
            </p>
          )}
          {loading && !page ? (
            <p role="status">Loading items…</p>
          ) : (
            <>
              <p className="muted list-count" aria-live="polite">
                {count ? `Items ${first}–${last} of ${count}` : "No items here."}
                {loading ? " (loading…)" : ""}
              </p>
              <ol className="review-list">
                {items.map((it, i) => (
                  <li key={it.task.id}>
                    <button
                      type="button"
                      className={i === selected ? "current" : undefined}
                      aria-current={i === selected ? "true" : undefined}
                      onClick={() => setSelected(i)}
                    >
                      <span className="item-id">Task {it.task.id}</span>
                      {it.task.kind === "pair" && <span className="badge">pair</span>}
                      {it.disagreements.length > 0 && (
                        <span className="badge disagree-badge">
                          ≠ {it.disagreements.length}
                          <span className="visually-hidden"> disagreements</span>
                        </span>
                      )}
                      {it.gold && <span className="badge gold-badge">gold</span>}
                      {goldChecks?.has(it.task.id) && <span className="badge gold-badge">gold check</span>}
                      <span className="item-prompt">{it.task.asset.prompt}</span>
                    </button>
                  </li>
                ))}
              </ol>
              <div className="pager">
                <button type="button" onClick={() => loadPage(Math.max(0, offset - PAGE_SIZE), "first")} disabled={!page?.previous || loading}>
                  Prev
                </button>
                <button type="button" onClick={() => loadPage(nextOffset, "first")} disabled={!page?.next || loading}>
                  Next
                </button>
              </div>
            </>
          )}
        </nav>

        <div className="review-detail">
          <p role="status" className="ok review-status">
            {status}
          </p>
          {!item ? (
            !loading && <p className="empty">Nothing to review with these filters.</p>
          ) : (
            <article className="card" aria-labelledby="review-item-title" key={item.task.id}>
              <div className="page-head">
                <h2 id="review-item-title" ref={detailHeading} tabIndex={-1}>
                  Task {item.task.id}
                  {pair ? " (pair: A vs B)" : ""}
                </h2>
                <span className="muted">
                  {item.annotations.length} annotation{item.annotations.length === 1 ? "" : "s"}
                  {item.disagreements.length ? `, ${item.disagreements.length} disagreeing` : ", all agree"}
                </span>
              </div>
              <ReviewMedia task={item.task} />
              <GoldInfo item={item} />
              {canManage && (
                <GoldCheckControls
                  item={item}
                  isGoldCheck={goldChecks ? goldChecks.has(item.task.id) : null}
                  busy={goldCheckBusy}
                  error={goldCheckError}
                  loadError={goldChecksError}
                  onToggle={() => void toggleGoldCheck()}
                />
              )}
              {!def ? (
                <p role="status">Loading the checklist…</p>
              ) : (
                <>
                  <ComparisonTable
                    def={def}
                    item={item}
                    draft={draft}
                    onDraftChange={changeDraft}
                    onAccept={accept}
                    busy={busy}
                  />
                  {actionError && (
                    <p role="alert" className="error">
                      {actionError}
                    </p>
                  )}
                  <div className="actions">
                    <button type="button" aria-pressed={!!draft} onClick={toggleCorrect} disabled={busy} aria-keyshortcuts="c">
                      {draft ? "Cancel correction" : "Correct"} <kbd aria-hidden="true">c</kbd>
                    </button>
                  </div>
                  {draft && (
                    <form
                      className="correction"
                      onSubmit={(e) => {
                        e.preventDefault();
                        saveCorrection();
                      }}
                    >
                      <p className="muted">
                        {pair
                          ? "The gold column starts from the annotators' majority preference."
                          : "The gold column starts from the annotators' majority option; sub-dimensions that do not apply are disabled."}
                      </p>
                      <label htmlFor="review-comment">Comment (optional)</label>
                      <textarea
                        id="review-comment"
                        value={draft.comment}
                        onChange={(e) => setDraft({ ...draft, comment: e.target.value })}
                        rows={2}
                      />
                      <div className="actions">
                        <button type="submit" className="primary" disabled={busy}>
                          {busy ? "Saving…" : "Save correction"}
                        </button>
                      </div>
                    </form>
                  )}
                </>
              )}
            </article>
          )}
        </div>
      </div>
    </section>
  );
}
