import { useCallback, useEffect, useId, useMemo, useRef, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { api, ApiError } from "../api";
import { TabList, TabPanel, useTab, type TabDef } from "../components/Tabs";
import HistoryTable, { StatusBadge } from "../components/weights/HistoryTable";
import Modal from "../components/weights/Modal";
import RefitPanel from "../components/weights/RefitPanel";
import RefitStart from "../components/weights/RefitStart";
import ScoresPanel from "../components/weights/ScoresPanel";
import { MetricCards, WeightCharts, WeightSetFacts, setName } from "../components/weights/WeightSetView";
import { message, percent1, when } from "../components/weights/format";
import { DEFAULT_SETTINGS, settingsFromForm, type SettingKey, type SettingsForm } from "../components/weights/settings";
import { useRefit, useRefitReadiness } from "../components/weights/useRefit";
import type { Job, Project, WeightSet } from "../types";

// The weight sets of a project for researchers and managers. At the top, what a manager reads at
// a glance: the active set and its held-out accuracy, the rated pairs, and the one refit control
// (whether a refit can run and be measured, Start refit, its progress). Below, tabs (kept in the
// URL): the active weights by dimension, every set so far (promote / retire, a selected set
// against the active one), the fit settings and automatic refits, and the assets by score.

type Confirm = { action: "promote" | "retire"; set: WeightSet };

const TABS: TabDef[] = [
  { key: "active", label: "Active weights" },
  { key: "history", label: "History" },
  { key: "settings", label: "Fit settings" },
  { key: "scores", label: "Scores" },
];

export default function WeightsPage({ pollMs = 1000 }: { pollMs?: number }) {
  const { projectId: projectParam } = useParams();
  const projectId = Number(projectParam);
  const confirmTitle = useId();

  const [project, setProject] = useState<Project | null>(null);
  const [sets, setSets] = useState<WeightSet[] | null>(null);
  const [setsError, setSetsError] = useState("");
  /** The weight sets are not this user's to see (or the project does not exist). */
  const [denied, setDenied] = useState(false);
  const [selectedId, setSelectedId] = useState<number | null>(null);
  const [status, setStatus] = useState("");
  const [actionError, setActionError] = useState("");
  const [busy, setBusy] = useState(false);
  const [confirm, setConfirm] = useState<Confirm | null>(null);
  const [scoresKey, setScoresKey] = useState(0);
  const [policyKey, setPolicyKey] = useState(0);
  const [form, setForm] = useState<SettingsForm>(DEFAULT_SETTINGS);
  const [problems, setProblems] = useState<Partial<Record<SettingKey, string>>>({});
  const edited = useRef(false);
  const live = useRef(true);
  const historyHeading = useRef<HTMLHeadingElement>(null);
  const refitHeading = useRef<HTMLHeadingElement>(null);
  const [tab, setTab] = useTab(TABS);
  const [promoteWithoutHoldout, setPromoteWithoutHoldout] = useState(false);

  useEffect(() => {
    live.current = true;
    return () => {
      live.current = false;
    };
  }, []);

  const loadSets = useCallback(async (): Promise<WeightSet[] | null> => {
    try {
      const page = await api.weightSets(projectId);
      if (!live.current) return null;
      setSets(page.results);
      setSetsError("");
      return page.results;
    } catch (exc) {
      if (live.current) {
        setSetsError(message(exc));
        setDenied(exc instanceof ApiError && (exc.status === 403 || exc.status === 404));
      }
      return null;
    }
  }, [projectId]);

  useEffect(() => {
    if (!Number.isFinite(projectId)) return;
    let on = true;
    api.project(projectId).then(
      (p) => on && setProject(p),
      () => undefined, // the weight sets request reports access problems
    );
    loadSets();
    return () => {
      on = false;
    };
  }, [projectId, loadSets]);

  const onRefitFinished = useCallback(
    (job: Job) => {
      setScoresKey((k) => k + 1);
      setPolicyKey((k) => k + 1);
      loadSets().then((list) => {
        const fitted = list?.find((s) => s.job === job.id);
        if (fitted) setSelectedId(fitted.id);
      });
    },
    [loadSets],
  );
  const refit = useRefit(projectId, onRefitFinished, pollMs);
  const { resume } = refit;

  // A refit still running (from before a reload, or started by the policy) shows its progress.
  useEffect(() => {
    if (!Number.isFinite(projectId)) return;
    let on = true;
    api.jobs(projectId).then(
      (page) => {
        const running = page.results.find((j) => j.kind === "refit" && (j.state === "queued" || j.state === "running"));
        if (on && running) resume(running);
      },
      () => undefined, // only a convenience
    );
    return () => {
      on = false;
    };
  }, [projectId, resume]);

  const onFormChange = useCallback((next: SettingsForm, fromUser: boolean) => {
    // Saved policy settings fill the form until someone edits it.
    if (fromUser) edited.current = true;
    else if (edited.current) return;
    setForm(next);
  }, []);

  // The readiness follows the settings that decide which pairs count and how they are split.
  const readinessSettings = useMemo(() => {
    const { settings, problems: bad } = settingsFromForm(form);
    if (bad.test_fraction || bad.seed) return null;
    return { features: settings.features, test_fraction: settings.test_fraction, seed: settings.seed };
  }, [form]);
  const readiness = useRefitReadiness(projectId, readinessSettings, policyKey);

  const startRefit = useCallback(() => {
    const { settings, problems: bad } = settingsFromForm(form);
    setProblems(bad);
    if (Object.keys(bad).length) {
      setActionError("Correct the fit settings first.");
      setTab("settings");
      return;
    }
    setStatus("");
    setActionError("");
    refit.start(promoteWithoutHoldout && readiness.readiness && !readiness.readiness.can_measure
      ? { ...settings, promote_without_holdout: true }
      : settings);
    refitHeading.current?.focus();
  }, [form, refit, promoteWithoutHoldout, readiness.readiness, setTab]);

  const active = useMemo(() => sets?.find((s) => s.status === "active") ?? null, [sets]);
  const selected = useMemo(() => sets?.find((s) => s.id === selectedId) ?? null, [sets, selectedId]);
  const dimensionTitles = useMemo(() => new Map((active?.dimensions ?? []).map((d) => [d.key, d.title])), [active]);

  /** After an action re-rendered the row away, keep the focus in the history. */
  const keepFocus = () => {
    if (!document.activeElement || document.activeElement === document.body) historyHeading.current?.focus();
  };

  const loadPublic = async () => {
    setBusy(true);
    setStatus("");
    setActionError("");
    try {
      const created = await api.loadPublicWeights(projectId);
      await loadSets();
      setSelectedId(created.id);
      setTab("history");
      setStatus(
        created.message
          ? `${created.message} It is selected under History.`
          : `The published VisionReward weights were added as version ${created.version} (${created.status}). Promote it to score the assets.`,
      );
    } catch (exc) {
      setActionError(message(exc));
    } finally {
      setBusy(false);
    }
  };

  const act = async ({ action, set }: Confirm) => {
    setConfirm(null);
    setBusy(true);
    setStatus("");
    setActionError("");
    try {
      if (action === "promote") {
        const done = await api.promoteWeightSet(projectId, set.id);
        setStatus(`Version ${done.version} is now active; the scores of all assets are being recomputed.`);
      } else {
        const done = await api.retireWeightSet(projectId, set.id);
        setStatus(`Version ${done.version} is retired.`);
      }
      await loadSets();
      setScoresKey((k) => k + 1);
    } catch (exc) {
      setActionError(message(exc));
    } finally {
      setBusy(false);
      setTimeout(keepFocus, 0);
    }
  };

  const retire = (set: WeightSet) => {
    // Retiring the active set leaves the project without scores: ask first.
    if (set.status === "active") setConfirm({ action: "retire", set });
    else act({ action: "retire", set });
  };

  if (!Number.isFinite(projectId)) return <p role="alert" className="error">No such project.</p>;

  const head = (
    <div className="page-head">
      <h1 id="weights-title">Weights{project ? `: ${project.name}` : ""}</h1>
      <Link className="button" to={`/projects/${projectId}/manage`}>
        Statistics
      </Link>
    </div>
  );
  if (denied) {
    return (
      <section className="weights-page manage-page" aria-labelledby="weights-title">
        {head}
        <p role="alert" className="error">
          {setsError}
        </p>
      </section>
    );
  }

  return (
    <section className="weights-page manage-page" aria-labelledby="weights-title">
      {head}

      <p role="status" className="ok page-status">
        {status}
      </p>
      {actionError && (
        <p role="alert" className="error">
          {actionError}
        </p>
      )}
      {setsError && (
        <p role="alert" className="error">
          {setsError}
        </p>
      )}
      {!sets && !setsError && <p role="status">Loading weight sets…</p>}

      <div className="summary-strip" data-testid="weights-summary">
        <section aria-labelledby="glance-active-title" className="card glance-card" data-testid="glance-active">
          <h2 id="glance-active-title">Active set</h2>
          {active ? (
            <>
              <p className="stat-value">{setName(active)}</p>
              <p className="muted">
                held-out accuracy {percent1(active.metrics?.test?.accuracy_diff)}
                {active.promoted_at ? `, promoted ${when(active.promoted_at)}` : ""}
              </p>
            </>
          ) : (
            <p className="muted">{sets ? "None: the assets have no scores." : "—"}</p>
          )}
          {sets && <p className="muted">{sets.length.toLocaleString("en-US")} weight set{sets.length === 1 ? "" : "s"} in all</p>}
        </section>
        <section aria-labelledby="glance-pairs-title" className="card glance-card" data-testid="glance-pairs">
          <h2 id="glance-pairs-title">Rated pairs</h2>
          <p className="stat-value">{readiness.readiness ? readiness.readiness.rated_pairs.toLocaleString("en-US") : "—"}</p>
          {readiness.readiness && (
            <p className="muted">
              {readiness.readiness.decisive_pairs.toLocaleString("en-US")} with a preference, on{" "}
              {readiness.readiness.prompts.toLocaleString("en-US")} prompt{readiness.readiness.prompts === 1 ? "" : "s"}
            </p>
          )}
        </section>
        <RefitStart
          refit={refit}
          readiness={readiness}
          sets={sets}
          promoteWithoutHoldout={promoteWithoutHoldout}
          onPromoteWithoutHoldout={setPromoteWithoutHoldout}
          onStart={startRefit}
          headingRef={refitHeading}
        />
      </div>

      <TabList base="weights" label="Weights" tabs={TABS} current={tab} onSelect={setTab} />

      <TabPanel base="weights" tab="active" current={tab}>
        {sets && (
          <section aria-labelledby="active-title" className="card manage-section">
            <h2 id="active-title">Active weights</h2>
            {active ? (
              <>
                <p className="muted" data-testid="active-summary">
                  {setName(active)}, {active.source}
                  {active.promoted_at ? `, promoted ${when(active.promoted_at)}` : ""}
                  {active.promoted_by ? ` by ${active.promoted_by}` : ""}.{" "}
                  {active.encoding === "binary"
                    ? "A yes adds the question's weight to the score; a no or not applicable adds nothing."
                    : active.encoding === "unmasked"
                      ? "A yes adds the question's weight to the score; a no or not applicable subtracts it."
                      : "A yes adds the question's weight to the score, a no subtracts it, not applicable counts 0."}
                </p>
                <MetricCards set={active} />
                <details className="weight-details">
                  <summary>How version {active.version} was made</summary>
                  <WeightSetFacts set={active} />
                  {active.decision && <p>{active.decision}</p>}
                </details>
                <WeightCharts set={active} />
              </>
            ) : (
              <div data-testid="no-active">
                <p>
                  No weight set is active, so the assets have no scores. Start from the weights published with
                  VisionReward (added as a candidate to look at and promote), or fit weights on the pairs labelled in
                  this project with <strong>Start refit</strong> above.
                </p>
                <div className="actions">
                  <button type="button" className="primary" onClick={loadPublic} disabled={busy}>
                    Load the published VisionReward weights
                  </button>
                </div>
              </div>
            )}
          </section>
        )}
      </TabPanel>

      <TabPanel base="weights" tab="history" current={tab}>
        {sets && (
          <section aria-labelledby="history-title" className="card manage-section">
            <h2 id="history-title" ref={historyHeading} tabIndex={-1}>
              History
            </h2>
            <HistoryTable
              sets={sets}
              selectedId={selectedId}
              onSelect={(s) => setSelectedId((id) => (id === s.id ? null : s.id))}
              onPromote={(s) => setConfirm({ action: "promote", set: s })}
              onRetire={retire}
              busy={busy}
            />
            {selected && (
              <div className="selected-set" data-testid="selected-set">
                <h3>
                  {setName(selected)} <StatusBadge status={selected.status} />
                  {active && active.id !== selected.id && <span className="muted"> against {setName(active)}, active</span>}
                </h3>
                {selected.decision && <p>{selected.decision}</p>}
                <MetricCards set={selected} level={4} />
                <WeightSetFacts set={selected} level={4} />
                {active && active.id === selected.id ? (
                  <p className="muted">
                    This is the active set: its weights are under{" "}
                    <button type="button" className="link" onClick={() => setTab("active")}>
                      Active weights
                    </button>
                    .
                  </p>
                ) : (
                  <WeightCharts set={selected} base={active} headingLevel={4} />
                )}
              </div>
            )}
          </section>
        )}
      </TabPanel>

      <TabPanel base="weights" tab="settings" current={tab} keepMounted>
        <section aria-labelledby="refit-settings-title" className="card manage-section">
          <h2 id="refit-settings-title">Fit settings and automatic refits</h2>
          <RefitPanel
            projectId={projectId}
            form={form}
            onFormChange={onFormChange}
            refit={refit}
            reloadKey={policyKey}
            problems={problems}
          />
        </section>
      </TabPanel>

      <TabPanel base="weights" tab="scores" current={tab}>
        <section aria-labelledby="scores-title" className="card manage-section">
          <div className="page-head">
            <h2 id="scores-title">Scores</h2>
            <button type="button" onClick={() => setScoresKey((k) => k + 1)}>
              Reload scores
            </button>
          </div>
          <ScoresPanel projectId={projectId} reloadKey={scoresKey} dimensionTitles={dimensionTitles} />
        </section>
      </TabPanel>

      {confirm && (
        <Modal labelledBy={confirmTitle} onClose={() => setConfirm(null)} testId="confirm-dialog" returnFocus={() => historyHeading.current}>
          <h2 id={confirmTitle}>
            {confirm.action === "promote" ? `Promote version ${confirm.set.version}?` : `Retire version ${confirm.set.version}?`}
          </h2>
          <p>
            {confirm.action === "promote"
              ? "Scores of all assets will be recomputed."
              : "The project will have no active weight set and its assets no scores until another one is promoted."}
          </p>
          <div className="actions">
            <button type="button" className={confirm.action === "promote" ? "primary" : "danger"} onClick={() => act(confirm)}>
              {confirm.action === "promote" ? "Promote" : "Retire"}
            </button>
            <button type="button" data-autofocus onClick={() => setConfirm(null)}>
              Cancel
            </button>
          </div>
        </Modal>
      )}
    </section>
  );
}
