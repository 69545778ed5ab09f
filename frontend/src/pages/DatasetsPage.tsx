import { useCallback, useContext, useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { useSearchParams } from "react-router-dom";
import { api } from "../api";
import { archiveKey } from "../components/datasets/ArchiveLinks";
import DiffPanel from "../components/datasets/DiffPanel";
import DisclosureSection from "../components/DisclosureSection";
import DominanceForm from "../components/datasets/DominanceForm";
import ExportForm from "../components/datasets/ExportForm";
import PublishDialog from "../components/datasets/PublishDialog";
import { useJobs } from "../components/datasets/useJobs";
import VersionDetails from "../components/datasets/VersionDetails";
import VersionTable, { isBuilding, type Comparison } from "../components/datasets/VersionTable";
import { count, message } from "../components/weights/format";
import { SessionContext } from "../session";
import { humanBytes } from "../components/assets/uploadQueue";
import type { ArchiveFormat, DatasetVersion, DatasetVersionState, ExportStarted, Job, Page, Project } from "../types";

// Dataset versions for managers and researchers: every version they may see (all of whose
// projects they manage or research), its state while the export job builds it, its files to
// download; a form to export a new version; what changed between two versions.

const PAGE_SIZE = 50;
const STATES: DatasetVersionState[] = ["queued", "building", "ready", "failed", "duplicate"];
// The same capability table as annotator/permissions.py (RESEARCH) and the projects page.
const canExport = (role: string | null) => ["manager", "researcher", "admin"].includes(role ?? "");

interface Filter {
  name: string;
  state: DatasetVersionState | "";
}

export default function DatasetsPage({ pollMs = 1000 }: { pollMs?: number }) {
  const [params] = useSearchParams();
  const projectParam = Number(params.get("project"));
  const initialProject = params.get("project") && Number.isInteger(projectParam) && projectParam > 0 ? projectParam : null;
  const isStaff = !!useContext(SessionContext)?.user.is_staff;

  const [page, setPage] = useState<Page<DatasetVersion> | null>(null);
  const [listError, setListError] = useState("");
  const [loading, setLoading] = useState(false);
  const [offset, setOffset] = useState(0);
  const [filter, setFilter] = useState<Filter>({ name: "", state: "" });
  const [filterDraft, setFilterDraft] = useState<Filter>({ name: "", state: "" });
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [projectsError, setProjectsError] = useState("");
  const [formOpen, setFormOpen] = useState(initialProject != null);
  const [dominanceOpen, setDominanceOpen] = useState(false);
  const [selectedId, setSelectedId] = useState<number | null>(null);
  const [comparison, setComparison] = useState<Comparison | null>(null);
  const [status, setStatus] = useState("");
  const [outcomeError, setOutcomeError] = useState("");
  const [publishing, setPublishing] = useState<DatasetVersion | null>(null);
  const [preparing, setPreparing] = useState<Record<string, boolean>>({});
  const [prepareErrors, setPrepareErrors] = useState<Record<string, string>>({});
  /** Labels of every version seen (and of duplicates' originals fetched one by one). */
  const [labels, setLabels] = useState<Record<number, string>>({});
  const asked = useRef(new Set<number>());
  const live = useRef(true);
  const listHeading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    live.current = true;
    return () => {
      live.current = false;
    };
  }, []);

  const loadVersions = useCallback(async (): Promise<DatasetVersion[] | null> => {
    setLoading(true);
    try {
      const next = await api.datasetVersions(offset, filter);
      if (!live.current) return null;
      setPage(next);
      setListError("");
      setLabels((all) => ({ ...all, ...Object.fromEntries(next.results.map((v) => [v.id, v.label])) }));
      return next.results;
    } catch (exc) {
      if (live.current) setListError(message(exc));
      return null;
    } finally {
      if (live.current) setLoading(false);
    }
  }, [offset, filter]);

  useEffect(() => {
    loadVersions();
  }, [loadVersions]);

  useEffect(() => {
    let on = true;
    api.projects().then(
      (p) => on && setProjects(p.results),
      (exc) => on && setProjectsError(message(exc)),
    );
    return () => {
      on = false;
    };
  }, []);

  const labelOf = useCallback((id: number) => labels[id] ?? `version #${id}`, [labels]);
  const projectName = useCallback(
    (id: number) => projects?.find((p) => p.id === id)?.name ?? `project #${id}`,
    [projects],
  );
  const exportable = useMemo(
    () => (projects ?? []).filter((p) => isStaff || canExport(p.my_role)),
    [projects, isStaff],
  );

  const onJobFinished = useCallback(
    (job: Job) => {
      loadVersions().then((list) => {
        if (!live.current) return;
        if (job.kind === "archive") {
          const v = list?.find((x) => Object.values(x.archives ?? {}).some((a) => a?.job === job.id));
          const archive = v && Object.values(v.archives ?? {}).find((a) => a?.job === job.id);
          const what = v && archive ? `The ${archive.format} of ${v.label}` : `The archive (job #${job.id})`;
          if (job.state === "succeeded")
            setStatus(`${what} is ready to download${archive?.size != null ? ` (${humanBytes(archive.size)})` : ""}.`);
          else if (job.state === "cancelled") setStatus(`${what} was cancelled; nothing partial was kept.`);
          else setOutcomeError(`${what} was not built: job #${job.id} ${job.state}${job.error ? `: ${job.error}` : "."}`);
          return;
        }
        const v = list?.find((x) => x.job === job.id);
        if (v?.state === "ready") setStatus(`${v.label} is ready to download.`);
        else if (v?.state === "duplicate")
          setStatus(
            `${v.label} has the same content as ${v.duplicate_of != null ? labelOf(v.duplicate_of) : "another version"}; no second copy was kept.`,
          );
        else if (v?.state === "failed") setOutcomeError(`${v.label} failed: ${v.error || job.error || job.message || "no reason given"}`);
        else if (job.state === "succeeded") setStatus(`The export (job #${job.id}) has finished.`);
        else setOutcomeError(`The export (job #${job.id}) ${job.state}${job.error ? `: ${job.error}` : "."}`);
      });
    },
    [loadVersions, labelOf],
  );
  const { jobs, errors: jobErrors, follow, watch } = useJobs(onJobFinished, pollMs);

  const versions = useMemo(() => page?.results ?? [], [page]);

  // Versions still building: follow their jobs (each once).
  useEffect(() => {
    for (const v of versions) if (isBuilding(v) && v.job != null) watch(v.job);
  }, [versions, watch]);

  // Archives still being prepared: follow their jobs too.
  useEffect(() => {
    for (const v of versions)
      for (const a of Object.values(v.archives ?? {})) if (a?.state === "building" && a.job != null) watch(a.job);
  }, [versions, watch]);

  const prepare = (v: DatasetVersion, format: ArchiveFormat) => {
    const key = archiveKey(v.id, format);
    setPreparing((all) => ({ ...all, [key]: true }));
    setPrepareErrors(({ [key]: _, ...rest }) => rest);
    api.prepareArchive(v.id, format).then(
      (started) => {
        if (!live.current) return;
        setOutcomeError("");
        if (started.job) {
          setStatus(`Preparing the ${format} of ${v.label}: job #${started.job.id}. Its progress shows in the list.`);
          follow(started.job);
        } else {
          const size = started.archive.size != null ? ` (${humanBytes(started.archive.size)})` : "";
          setStatus(`The ${format} of ${v.label} is ready to download${size}.`);
        }
        loadVersions();
      },
      (exc) => live.current && setPrepareErrors((all) => ({ ...all, [key]: message(exc) })),
    ).finally(() => live.current && setPreparing(({ [key]: _, ...rest }) => rest));
  };

  const cancelArchive = (v: DatasetVersion, format: ArchiveFormat, job: Job) => {
    const key = archiveKey(v.id, format);
    setPreparing((all) => ({ ...all, [key]: true }));
    api.cancelJob(job.id).then(
      // unless its poll has already seen it end
      () => live.current && setStatus((s) => (s.includes(" was cancelled;") ? s : `Cancelling the ${format} of ${v.label} (job #${job.id})…`)),
      (exc) => live.current && setPrepareErrors((all) => ({ ...all, [key]: message(exc) })),
    ).finally(() => live.current && setPreparing(({ [key]: _, ...rest }) => rest));
  };

  // A duplicate names the version it repeats, which may be on another page.
  useEffect(() => {
    for (const v of versions) {
      const id = v.duplicate_of;
      if (v.state !== "duplicate" || id == null || labels[id] || asked.current.has(id)) continue;
      asked.current.add(id);
      api.datasetVersion(id).then(
        (other) => live.current && setLabels((all) => ({ ...all, [other.id]: other.label })),
        () => undefined, // "version #id" then
      );
    }
  }, [versions, labels]);

  const onStarted = (started: ExportStarted) => {
    const v = started.dataset_version;
    setOutcomeError("");
    setLabels((all) => ({ ...all, [v.id]: v.label }));
    setStatus(`${v.label} is ${v.state}: export job #${started.job.id}. Its progress shows in the list.`);
    follow(started.job);
    if (offset !== 0) setOffset(0);
    else loadVersions();
  };

  const applyFilter = (event: FormEvent) => {
    event.preventDefault();
    setOffset(0);
    setFilter({ name: filterDraft.name.trim(), state: filterDraft.state });
  };

  const compare = (v: DatasetVersion, otherId: number) =>
    // The older one (smaller id) is A unless swapped afterwards.
    setComparison({ from: Math.min(v.id, otherId), to: Math.max(v.id, otherId) });

  const closeComparison = () => {
    setComparison(null);
    listHeading.current?.focus();
  };

  // diffs compare annotation versions (not dominance pairs)
  const comparable = versions.filter((v) => v.state === "ready" && (v.settings?.kind ?? "annotations") === "annotations");
  const selected = versions.find((v) => v.id === selectedId) ?? null;
  const filtered = !!(filter.name || filter.state);
  const first = offset + 1;
  const last = offset + versions.length;

  return (
    <section className="datasets-page manage-page" aria-labelledby="datasets-title">
      <div className="page-head">
        <h1 id="datasets-title">Datasets</h1>
      </div>
      <p className="muted intro">
        Versions of the Hugging Face datasets exported from your projects&apos; annotations: checklist answers, rated
        pairs and their scores, with a dataset card. A version never changes once built.
      </p>

      <p role="status" className="ok page-status">
        {status}
      </p>
      {outcomeError && (
        <p role="alert" className="error">
          {outcomeError}
        </p>
      )}

      <DisclosureSection id="new-version" title="New dataset version" open={formOpen} onToggle={() => setFormOpen((o) => !o)}>
        {projectsError ? (
          <p role="alert" className="error">
            The projects cannot be read: {projectsError}
          </p>
        ) : !projects ? (
          <p role="status">Loading projects…</p>
        ) : (
          <ExportForm projects={exportable} initialProjects={initialProject != null ? [initialProject] : []} onStarted={onStarted} />
        )}
      </DisclosureSection>

      <DisclosureSection id="dominance" title="Dominance pairs" open={dominanceOpen} onToggle={() => setDominanceOpen((o) => !o)}>
        {dominanceOpen &&
          projects &&
          (exportable.length ? (
            <DominanceForm projects={exportable} onStarted={onStarted} />
          ) : (
            <p className="muted">You manage or research no project, so there is nothing you can export.</p>
          ))}
      </DisclosureSection>

      <section aria-labelledby="versions-title" className="card manage-section">
        <h2 id="versions-title" ref={listHeading} tabIndex={-1}>
          Versions
        </h2>
        <form role="search" aria-label="Filter dataset versions" className="version-filter" onSubmit={applyFilter}>
          <div className="field">
            <label htmlFor="version-filter-name">Dataset name</label>
            <input
              id="version-filter-name"
              value={filterDraft.name}
              autoComplete="off"
              onChange={(e) => setFilterDraft((f) => ({ ...f, name: e.target.value }))}
            />
          </div>
          <div className="field">
            <label htmlFor="version-filter-state">State</label>
            <select
              id="version-filter-state"
              value={filterDraft.state}
              onChange={(e) => setFilterDraft((f) => ({ ...f, state: e.target.value as Filter["state"] }))}
            >
              <option value="">Any</option>
              {STATES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
          <button type="submit">Filter</button>
          {loading && page && (
            <span role="status" className="muted">
              Updating…
            </span>
          )}
        </form>
        {listError && (
          <p role="alert" className="error">
            {listError}
          </p>
        )}
        {!page && !listError && <p role="status">Loading dataset versions…</p>}
        {page && !versions.length && (
          <p className="muted" data-testid="no-versions">
            {filtered ? "No version matches." : "No dataset versions yet: export one with New dataset version."}
          </p>
        )}
        {versions.length > 0 && (
          <>
            <VersionTable
              versions={versions}
              projectName={projectName}
              labelOf={labelOf}
              jobs={jobs}
              jobErrors={jobErrors}
              selectedId={selectedId}
              onSelect={(v) => setSelectedId((id) => (id === v.id ? null : v.id))}
              comparable={comparable}
              comparison={comparison}
              onCompare={compare}
              archives={{ onPrepare: prepare, onCancel: cancelArchive, preparing, prepareErrors }}
            />
            {(page?.next || page?.previous) && (
              <div className="pager">
                <button type="button" onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))} disabled={!page.previous || loading}>
                  Previous
                </button>
                <span className="muted">
                  {count(first)}–{count(last)} of {count(page.count)}
                </span>
                <button type="button" onClick={() => setOffset(offset + PAGE_SIZE)} disabled={!page.next || loading}>
                  Next
                </button>
              </div>
            )}
          </>
        )}
        {selected && (
          <VersionDetails
            version={selected}
            projectName={projectName}
            labelOf={labelOf}
            onPublish={() => setPublishing(selected)}
          />
        )}
        {publishing && (
          <PublishDialog
            version={publishing}
            pollMs={pollMs}
            onPublished={(push) => {
              setStatus(`${publishing.label} is published at ${push.url}.`);
              loadVersions();
            }}
            onClose={() => setPublishing(null)}
          />
        )}
      </section>

      {comparison && (
        <section aria-labelledby="diff-title" className="card manage-section" data-testid="diff-panel">
          <div className="page-head">
            <h2 id="diff-title" tabIndex={-1}>
              Changes from {labelOf(comparison.from)} to {labelOf(comparison.to)}
            </h2>
            <button type="button" onClick={closeComparison}>
              Close comparison
            </button>
          </div>
          <DiffPanel
            comparison={comparison}
            labelOf={labelOf}
            onSwap={() => setComparison((c) => (c ? { from: c.to, to: c.from } : c))}
          />
        </section>
      )}
    </section>
  );
}
