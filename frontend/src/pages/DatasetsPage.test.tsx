import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import axe from "axe-core";
import { MemoryRouter } from "react-router-dom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import App from "../App";
import DatasetsPage from "./DatasetsPage";
import { SessionContext } from "../session";
import { renderAt } from "../test/render";
import type { ArchiveFormat, DatasetArchive, DatasetDiff, DatasetVersion, Job, WeightSet } from "../types";

const project = (id: number, name: string, my_role: string, checklist_version = 3) => ({
  id,
  name,
  description: "",
  instructions: "",
  media_type: "image",
  checklist_version,
  overlap: 3,
  lease_seconds: 600,
  archived: false,
  my_role,
  my_progress: null,
});

const PROJECTS = [
  project(7, "Street photos", "manager"),
  project(8, "Portraits", "researcher"),
  project(9, "Landscapes", "annotator"),
  project(10, "Clips", "manager", 5),
];

const HASH = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2";
const SETTINGS: DatasetVersion["settings"] = {
  states: ["reviewed", "submitted"],
  combine: "majority",
  split_ratios: { train: 0.8, validation: 0.1, test: 0.1 },
  seed: 0,
  embed_media: true,
  embed_frames: false,
  shard_rows: 10000,
  balanced_cap: 1000,
  license: "other",
};

function version(id: number, name: string, n: number, state: DatasetVersion["state"], extra: Partial<DatasetVersion> = {}): DatasetVersion {
  return {
    id,
    name,
    version: n,
    label: `${name} v${n}`,
    description: "",
    projects: [7],
    checklist_version: 3,
    settings: SETTINGS,
    weight_set: 30,
    state,
    content_hash: state === "ready" || state === "duplicate" ? HASH : "",
    duplicate_of: null,
    row_counts: {},
    stats: {},
    files: [],
    error: "",
    job: 20 + id,
    created_by: "carol",
    created_at: `2025-12-0${id}T08:00:00Z`,
    finished_at: state === "queued" || state === "building" ? null : `2025-12-0${id}T08:05:00Z`,
    download:
      state === "ready" ? { zip: `/api/dataset-versions/${id}/download/?archive=zip`, tar: `/api/dataset-versions/${id}/download/?archive=tar` } : null,
    ...extra,
  };
}

function archive(format: ArchiveFormat, state: DatasetArchive["state"], jobId: number, size: number | null = null): DatasetArchive {
  return { format, state, size, job: jobId, error: state === "failed" ? "cancelled" : "", built_at: state === "ready" ? "2025-12-09T09:00:00Z" : null };
}

const COUNTS = {
  default: { train: 800, validation: 100, test: 100 },
  visionreward: { train: 800, validation: 100, test: 100 },
  pairs: { train: 40, test: 5 },
  balanced_qa: { train: 300, validation: 40, test: 20 },
};

function initialVersions(): DatasetVersion[] {
  return [
    version(6, "portraits", 2, "duplicate", { projects: [8], duplicate_of: 99, row_counts: COUNTS }),
    version(5, "street-photos", 4, "ready", {
      content_hash: "ffee" + HASH.slice(4),
      row_counts: { ...COUNTS, default: { train: 830, validation: 105, test: 105 } },
    }),
    version(3, "street-photos", 3, "failed", { error: "No annotations in the chosen states." }),
    version(2, "street-photos", 2, "duplicate", { duplicate_of: 1, row_counts: COUNTS }),
    version(1, "street-photos", 1, "ready", {
      description: "First export for the reward model.",
      row_counts: COUNTS,
      archives: { zip: archive("zip", "ready", 61, 12_345_678), tar: null },
      files: ["README.md", "data/train-00000-of-00001.parquet", "checklist.json"],
      stats: {
        items: 1000,
        annotations: 3000,
        annotators: 5,
        gold: 40,
        mean_percent_agreement: 0.8123,
        mean_kappa: 0.612,
        questions: { q1: { n_items: 900, percent_agreement: 0.8, kappa: 0.6 } },
      },
    }),
  ];
}

const WEIGHT_SETS = [
  { id: 31, project: 7, version: 2, label: "more pairs", status: "candidate" },
  { id: 30, project: 7, version: 1, label: "first fit", status: "active" },
] as unknown as WeightSet[];

const DIFF: DatasetDiff = {
  from: 1,
  to: 5,
  rows_a: 1000,
  rows_b: 1040,
  added: { count: 45, examples: ["1101", "1102"] },
  removed: { count: 5, examples: ["7", "8", "9", "10", "11"] },
  changed: { count: 12, examples: [{ id: "20", questions: ["q1", "q3"] }] },
  moved_split: { count: 2, examples: [{ id: "30", from: "train", to: "test" }] },
  unchanged: 983,
  questions: {
    q1: { yes_a: 600, yes_b: 610, diff: 10, changed: 4 },
    q2: { yes_a: 500, yes_b: 470, diff: -30, changed: 8 },
    q3: { yes_a: 100, yes_b: 101, diff: 1, changed: 1 },
    q4: { yes_a: 300, yes_b: 300, diff: 0, changed: 0 },
  },
};

interface Call {
  method: string;
  url: string;
  body: unknown;
}

let calls: Call[];
let versions: DatasetVersion[];
let jobs: Record<number, Job>;
/** The answer to POST /api/exports/: null → 202 with a new queued version. */
let exportAnswer: { status: number; body: unknown } | null;

const json = (data: unknown, status = 200) =>
  new Response(JSON.stringify(data), { status, headers: { "Content-Type": "application/json" } });
const job = (id: number, state: Job["state"], progress = 0, message = ""): Job => ({
  id,
  kind: "export",
  state,
  progress,
  message,
  created_at: "2025-12-09T08:00:00Z",
  project: 7,
});

beforeEach(() => {
  calls = [];
  versions = initialVersions();
  jobs = {};
  exportAnswer = null;
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      const method = init?.method ?? "GET";
      const body = init?.body ? JSON.parse(String(init.body)) : undefined;
      calls.push({ method, url, body });
      if (url === "/api/auth/session/") return json({ user: { id: 1, username: "carol", is_staff: false } });
      if (url === "/api/projects/?limit=200") return json({ count: PROJECTS.length, next: null, previous: null, results: PROJECTS });
      if (url === "/api/projects/7/weight-sets/?limit=50") return json({ count: 2, next: null, previous: null, results: WEIGHT_SETS });
      if (url === "/api/projects/8/weight-sets/?limit=50") return json({ count: 0, next: null, previous: null, results: [] });
      if (url.startsWith("/api/dataset-versions/?limit=50&offset=0")) {
        const state = new URL(url, "http://x").searchParams.get("state");
        const rows = state ? versions.filter((v) => v.state === state) : versions;
        return json({ count: rows.length, next: null, previous: null, results: rows });
      }
      if (url === "/api/dataset-versions/99/") return json(version(99, "old-portraits", 7, "ready"));
      const diff = url.match(/^\/api\/dataset-versions\/(\d+)\/diff\/\?against=(\d+)$/);
      if (diff) return json({ ...DIFF, to: Number(diff[1]), from: Number(diff[2]) });
      if (url === "/api/exports/" && method === "POST") {
        if (exportAnswer) return json(exportAnswer.body, exportAnswer.status);
        const created = version(7, body.name, 5, "queued", { projects: body.projects, job: 40 });
        versions = [created, ...versions];
        jobs[40] = job(40, "queued", 0, "queued: street-photos v5");
        return json({ dataset_version: created, job: jobs[40] }, 202);
      }
      const prepare = url.match(/^\/api\/dataset-versions\/(\d+)\/archives\/$/);
      if (prepare && method === "POST") {
        const id = Number(prepare[1]);
        const fmt = body.archive as ArchiveFormat;
        const started = archive(fmt, "building", 50);
        versions = versions.map((v) => (v.id === id ? { ...v, archives: { ...(v.archives ?? { zip: null, tar: null }), [fmt]: started } } : v));
        jobs[50] = { ...job(50, "queued", 0, `queued: the ${fmt}`), kind: "archive" };
        return json({ detail: "being built", archive: started, job: jobs[50] }, 202);
      }
      const cancel = url.match(/^\/api\/jobs\/(\d+)\/cancel\/$/);
      if (cancel && method === "POST") {
        const id = Number(cancel[1]);
        jobs[id] = { ...jobs[id], state: "cancelled", message: "cancelled by carol" };
        versions = versions.map((v) => ({
          ...v,
          archives: v.archives && {
            zip: v.archives.zip?.job === id ? archive("zip", "failed", id) : v.archives.zip,
            tar: v.archives.tar?.job === id ? archive("tar", "failed", id) : v.archives.tar,
          },
        }));
        return json(jobs[id]);
      }
      const jobMatch = url.match(/^\/api\/jobs\/(\d+)\/$/);
      if (jobMatch && jobs[Number(jobMatch[1])]) return json(jobs[Number(jobMatch[1])]);
      return json({ detail: `unexpected ${method} ${url}` }, 404);
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
});

function renderPage(url = "/datasets", staff = false) {
  if (!staff) return renderAt(url, "/datasets", <DatasetsPage pollMs={5} />);
  return render(
    <SessionContext.Provider value={{ user: { id: 1, username: "root", is_staff: true }, logout: () => undefined }}>
      <MemoryRouter initialEntries={[url]}>
        <DatasetsPage pollMs={5} />
      </MemoryRouter>
    </SessionContext.Provider>,
  );
}

async function ready(url = "/datasets") {
  const utils = renderPage(url);
  await screen.findByRole("table", { name: /Dataset versions, newest first/ });
  return utils;
}

const gets = (url: string) => calls.filter((c) => c.method === "GET" && c.url === url).length;
const posts = () => calls.filter((c) => c.method !== "GET");
const LIST = "/api/dataset-versions/?limit=50&offset=0";
const row = (id: number) => screen.getByRole("table", { name: /Dataset versions/ }).querySelector<HTMLElement>(`tr[data-version="${id}"]`)!;
const form = () => screen.getByRole("form", { name: "New dataset version" });
const openForm = async (user: ReturnType<typeof userEvent.setup>) => {
  await user.click(screen.getByRole("button", { name: /New dataset version/ }));
  await within(form()).findByRole("group", { name: "Projects" });
};

describe("DatasetsPage", () => {
  it("lists the versions with their state, rows, hash and downloads", async () => {
    const user = userEvent.setup();
    await ready();
    expect(screen.getByRole("heading", { level: 1, name: "Datasets" })).toBeInTheDocument();
    const rows = within(screen.getByRole("table", { name: /Dataset versions/ })).getAllByRole("row").slice(1);
    expect(rows.map((r) => r.getAttribute("data-version"))).toEqual(["6", "5", "3", "2", "1"]);
    expect(within(screen.getByRole("table", { name: /Dataset versions/ })).getAllByRole("columnheader").map((c) => c.textContent)).toEqual([
      "Version",
      "State",
      "Projects",
      "Created",
      "Rows",
      "Hash",
      "Download",
      "Compare",
    ]);

    // Ready: rows of the default config, the other configs, the short hash, the archives.
    const v1 = row(1);
    expect(within(v1).getByRole("rowheader")).toHaveTextContent("street-photos v1");
    expect(within(v1).getByText("ready")).toHaveClass("badge", "state-ready");
    expect(within(v1).getByTestId("rows")).toHaveTextContent("1,000visionreward 1,000pairs 45balanced_qa 360");
    expect(within(v1).getByTestId("hash")).toHaveTextContent(/^a1b2c3d4e5f6$/);
    expect(within(v1).getByTestId("hash")).toHaveAttribute("title", HASH);
    expect(v1).toHaveTextContent("Street photos");
    expect(v1).toHaveTextContent("by carol");
    const zip = within(v1).getByRole("link", { name: "zip of street-photos v1" });
    expect(zip).toHaveAttribute("href", "/api/dataset-versions/1/download/?archive=zip");
    expect(zip).toHaveAttribute("download");
    expect(zip.closest("li")).toHaveTextContent("zip of street-photos v1 12.3 MB");
    // The tar is not built yet: a button prepares it (no link that would build it in the request).
    expect(within(v1).queryByRole("link", { name: "tar of street-photos v1" })).toBeNull();
    expect(within(v1).getByRole("button", { name: "Prepare tar of street-photos v1" })).toBeEnabled();

    // A duplicate points at the version it repeats (fetched when it is not in the list) and has no files.
    expect(within(row(2)).getByTestId("state")).toHaveTextContent("duplicatesame content as street-photos v1");
    expect(within(row(2)).queryAllByRole("link")).toEqual([]);
    await waitFor(() => expect(within(row(6)).getByTestId("state")).toHaveTextContent("same content as old-portraits v7"));
    expect(row(6)).toHaveTextContent("Portraits");
    expect(gets("/api/dataset-versions/99/")).toBe(1);

    // A failed one says why.
    expect(within(row(3)).getByTestId("state")).toHaveTextContent("failedNo annotations in the chosen states.");
    expect(within(row(3)).queryAllByRole("link")).toEqual([]);
    expect(within(row(3)).queryByRole("combobox")).toBeNull();

    // Ready versions compare with the other ready ones.
    const compare = within(row(5)).getByRole("combobox", { name: "Compare street-photos v4 with" });
    expect(within(compare).getAllByRole("option").map((o) => o.textContent)).toEqual(["Compare with…", "street-photos v1"]);

    // A version's details: how it was made, rows per split, statistics and the JSON.
    await user.click(within(v1).getByRole("button", { name: "street-photos v1" }));
    expect(within(v1).getByRole("button", { name: "street-photos v1" })).toHaveAttribute("aria-pressed", "true");
    const details = screen.getByTestId("version-details");
    expect(details).toHaveTextContent("First export for the reward model.");
    expect(within(details).getByTestId("version-stats")).toHaveTextContent(
      "Items1,000Annotations3,000Annotators5Gold answers40Mean agreement81.2%Mean Fleiss κ0.61",
    );
    const counts = within(details).getByRole("table", { name: "Rows per config and split" });
    expect(within(within(counts).getByRole("rowheader", { name: "pairs" }).closest("tr")!).getAllByRole("cell").map((c) => c.textContent)).toEqual([
      "40",
      "0",
      "5",
      "45",
    ]);
    expect(within(details).getByTestId("stats-json").textContent).toContain('"percent_agreement": 0.8');
    expect(within(details).getByText("Files (3)")).toBeInTheDocument();
    expect(details).toHaveTextContent("Splitstrain 0.8, validation 0.1, test 0.1");
    // only the built archive downloads from here; the tar is prepared in the list
    expect(within(details).getByRole("link", { name: "Download street-photos v1 (zip, 12.3 MB)" })).toHaveAttribute(
      "href",
      "/api/dataset-versions/1/download/?archive=zip",
    );
    expect(within(details).queryByRole("link", { name: /\(tar/ })).toBeNull();
    expect(details).toHaveTextContent("Archives not built yet are prepared from the Download column of the list.");
  });

  it("filters the list by state", async () => {
    const user = userEvent.setup();
    await ready();
    await user.selectOptions(screen.getByLabelText("State"), "failed");
    await user.click(screen.getByRole("button", { name: "Filter" }));
    await waitFor(() => expect(calls.map((c) => c.url)).toContain(`${LIST}&state=failed`));
    await waitFor(() =>
      expect(within(screen.getByRole("table", { name: /Dataset versions/ })).getAllByRole("row")).toHaveLength(2),
    );
    expect(row(3)).toBeInTheDocument();
  });

  it("offers the projects the user may export, the one in the URL chosen", async () => {
    await ready("/datasets?project=8");
    // Opened by ?project=: Portraits is chosen, its (empty) weight sets are read.
    const projects = within(form()).getByRole("group", { name: "Projects" });
    expect(within(projects).getAllByRole("checkbox").map((c) => c.closest("label")!.textContent)).toEqual([
      " Street photos (image, checklist version 3)",
      " Portraits (image, checklist version 3)",
      " Clips (image, checklist version 5)",
    ]);
    expect(within(projects).getByRole("checkbox", { name: /Portraits/ })).toBeChecked();
    expect(within(projects).getByRole("checkbox", { name: /Street photos/ })).not.toBeChecked();
    await waitFor(() => expect(gets("/api/projects/8/weight-sets/?limit=50")).toBe(1));
    expect(await within(form()).findByLabelText("Weight set")).toHaveAccessibleDescription(/no active weight set/);
  });

  it("offers every project to staff", async () => {
    renderPage("/datasets?project=9", true);
    const projects = await within(await screen.findByRole("form", { name: "New dataset version" })).findByRole("group", { name: "Projects" });
    expect(within(projects).getAllByRole("checkbox")).toHaveLength(4);
    expect(within(projects).getByRole("checkbox", { name: /Landscapes/ })).toBeChecked();
  });

  it("posts exactly the settings chosen", async () => {
    const user = userEvent.setup();
    await ready("/datasets?project=7");
    const f = form();
    expect(within(f).getByRole("checkbox", { name: /Street photos/ })).toBeChecked();
    // The defaults, as the server's.
    expect(within(f).getByRole("radio", { name: "Majority" })).toBeChecked();
    expect(within(f).getByRole("radio", { name: "Majority" })).toHaveAccessibleDescription("One row per item: each question's majority answer.");
    expect(within(f).getByLabelText("Submitted")).toBeChecked();
    expect(within(f).getByLabelText("Reviewed")).toBeChecked();
    expect(within(f).getAllByTestId("split-row").map((r) => [...r.querySelectorAll("input")].map((i) => i.value))).toEqual([
      ["train", "0.8"],
      ["validation", "0.1"],
      ["test", "0.1"],
    ]);
    expect(within(f).getByLabelText("Embed images")).toBeChecked();
    expect(within(f).getByLabelText("Embed video frames")).not.toBeChecked();
    expect(within(f).getByLabelText("Balanced question subset")).toBeChecked();
    expect(within(f).getByLabelText("Rows per answer and question, at most")).toHaveValue(1000);
    expect(within(f).getByLabelText("License")).toHaveValue("other");
    const weightSet = within(f).getByLabelText("Weight set");
    await waitFor(() =>
      expect(within(weightSet).getAllByRole("option").map((o) => o.textContent)).toEqual([
        "The active one: Version 1 (first fit)",
        "Version 2 (more pairs), candidate",
        "Version 1 (first fit), active",
      ]),
    );

    await user.click(within(f).getByRole("checkbox", { name: /Portraits/ }));
    await user.selectOptions(weightSet, "Version 2 (more pairs), candidate");
    await user.type(within(f).getByLabelText("Name"), "street-photos");
    await user.type(within(f).getByLabelText("Description"), "Gold answers only");
    await user.click(within(f).getByRole("radio", { name: "Gold" }));
    await user.click(within(f).getByLabelText("Submitted"));
    await user.clear(within(f).getByLabelText("Split 2 share"));
    await user.type(within(f).getByLabelText("Split 2 share"), "0.05");
    await user.click(within(f).getByRole("button", { name: "Add split" }));
    await user.type(within(f).getByLabelText("Split 4 name"), "holdout");
    await user.type(within(f).getByLabelText("Split 4 share"), "0.05");
    await user.clear(within(f).getByLabelText("Seed"));
    await user.type(within(f).getByLabelText("Seed"), "7");
    await user.click(within(f).getByLabelText("Embed images"));
    await user.click(within(f).getByLabelText("Embed video frames"));
    await user.click(within(f).getByLabelText("Balanced question subset"));
    expect(within(f).getByLabelText("Rows per answer and question, at most")).toBeDisabled();
    await user.clear(within(f).getByLabelText("License"));
    await user.type(within(f).getByLabelText("License"), "cc-by-4.0");
    await user.click(within(f).getByRole("button", { name: "Start export" }));

    await waitFor(() => expect(posts()).toHaveLength(1));
    expect(posts()[0]).toEqual({
      method: "POST",
      url: "/api/exports/",
      body: {
        name: "street-photos",
        description: "Gold answers only",
        projects: [7, 8],
        weight_set: 31,
        settings: {
          states: ["reviewed"],
          combine: "gold",
          split_ratios: { train: 0.8, validation: 0.05, test: 0.1, holdout: 0.05 },
          seed: 7,
          embed_media: false,
          embed_frames: true,
          balanced_cap: null,
          license: "cc-by-4.0",
        },
      },
    });
    expect(await screen.findByText("street-photos v5 is queued: export job #40. Its progress shows in the list.")).toHaveAttribute(
      "role",
      "status",
    );
  });

  it("sends the defaults as they are and the active weight set by leaving it out", async () => {
    const user = userEvent.setup();
    await ready("/datasets?project=7");
    await user.type(within(form()).getByLabelText("Name"), "street-photos");
    await user.click(within(form()).getByRole("button", { name: "Start export" }));
    await waitFor(() => expect(posts()).toHaveLength(1));
    expect(posts()[0].body).toEqual({
      name: "street-photos",
      description: "",
      projects: [7],
      settings: {
        states: ["submitted", "reviewed"],
        combine: "majority",
        split_ratios: { train: 0.8, validation: 0.1, test: 0.1 },
        seed: 0,
        embed_media: true,
        embed_frames: false,
        balanced_cap: 1000,
        license: "other",
      },
    });
  });

  it("checks the form before sending it: the name, the projects and that the shares sum to 1", async () => {
    const user = userEvent.setup();
    await ready();
    await openForm(user);
    const f = form();
    await user.click(within(f).getByRole("button", { name: "Start export" }));
    expect(within(f).getByRole("group", { name: "Projects" })).toHaveAccessibleDescription(/Choose at least one project\./);
    expect(within(f).getByLabelText("Name")).toHaveAccessibleDescription(/Enter a name\./);
    // The focus goes to the first problem.
    expect(within(f).getByRole("checkbox", { name: /Street photos/ })).toHaveFocus();

    await user.click(within(f).getByRole("checkbox", { name: /Street photos/ }));
    await user.click(within(f).getByRole("checkbox", { name: /Clips/ }));
    await user.type(within(f).getByLabelText("Name"), "Street Photos");
    await user.clear(within(f).getByLabelText("Split 3 share"));
    await user.type(within(f).getByLabelText("Split 3 share"), "0.2");
    const splits = within(f).getByRole("group", { name: "Splits" });
    expect(splits).toHaveAccessibleDescription(/Sum of the shares: 1\.1 \(must be 1\)/);
    await user.click(within(f).getByRole("button", { name: "Start export" }));
    expect(within(f).getByRole("group", { name: "Projects" })).toHaveAccessibleDescription(
      /These projects use different checklist versions; export them separately\./,
    );
    expect(within(f).getByLabelText("Name")).toHaveAttribute("aria-invalid", "true");
    expect(within(f).getByLabelText("Name")).toHaveAccessibleDescription(/Use lower-case letters, digits/);
    expect(splits).toHaveAccessibleDescription(/The shares sum to 1\.1; they must sum to 1\./);
    expect(within(f).getByLabelText("Split 3 share")).toHaveAttribute("aria-invalid", "true");

    await user.click(within(f).getByRole("checkbox", { name: /Clips/ }));
    await user.clear(within(f).getByLabelText("Name"));
    await user.type(within(f).getByLabelText("Name"), "street-photos");
    await user.click(within(f).getByRole("button", { name: "Remove split 3" }));
    await user.click(within(f).getByRole("button", { name: "Start export" }));
    expect(splits).toHaveAccessibleDescription(/The shares sum to 0\.9; they must sum to 1\./);
    // The focus goes to the splits.
    expect(within(f).getByLabelText("Split 1 name")).toHaveFocus();
    await user.clear(within(f).getByLabelText("Split 2 share"));
    await user.type(within(f).getByLabelText("Split 2 share"), "0.2");
    await user.clear(within(f).getByLabelText("Split 2 name"));
    await user.type(within(f).getByLabelText("Split 2 name"), "Test set");
    await user.click(within(f).getByRole("button", { name: "Start export" }));
    expect(splits).toHaveAccessibleDescription(/Split names are lower-case letters, digits and _ \(“Test set” is not\)\./);
    expect(posts()).toEqual([]);
  });

  it("shows the server's messages next to their fields", async () => {
    const user = userEvent.setup();
    exportAnswer = {
      status: 400,
      body: {
        detail: "settings.split_ratios: Split name 'all' is reserved.; weight_set: Weight set 31 was made for another checklist version.",
        errors: {
          "settings.split_ratios": ["Split name 'all' is reserved."],
          weight_set: ["Weight set 31 was made for another checklist version."],
        },
      },
    };
    const { container } = await ready("/datasets?project=7");
    const f = form();
    await user.type(within(f).getByLabelText("Name"), "street-photos");
    await user.clear(within(f).getByLabelText("Split 1 name"));
    await user.type(within(f).getByLabelText("Split 1 name"), "all");
    await user.click(within(f).getByRole("button", { name: "Start export" }));
    expect(await within(f).findByRole("alert")).toHaveTextContent("settings.split_ratios: Split name 'all' is reserved.");
    expect(within(f).getByRole("group", { name: "Splits" })).toHaveAccessibleDescription(/Split name 'all' is reserved\./);
    expect(within(f).getByTestId("error-settings.split_ratios").closest("fieldset")).toBe(within(f).getByRole("group", { name: "Splits" }));
    expect(within(f).getByLabelText("Split 1 share")).toHaveAttribute("aria-invalid", "true");
    expect(within(f).getByLabelText("Weight set")).toHaveAccessibleDescription(/Weight set 31 was made for another checklist version\./);
    expect(within(f).getByLabelText("Weight set")).toHaveAttribute("aria-invalid", "true");
    expect(within(f).getByLabelText("Name")).not.toHaveAttribute("aria-invalid");
    expect(screen.queryByRole("progressbar")).toBeNull();

    // A bare DRF body works the same.
    exportAnswer = { status: 400, body: { name: ["A version of this name is being built."] } };
    await user.click(within(f).getByRole("button", { name: "Start export" }));
    await waitFor(() => expect(within(f).getByLabelText("Name")).toHaveAccessibleDescription(/A version of this name is being built\./));
    expect(within(f).getByRole("group", { name: "Splits" })).not.toHaveAccessibleDescription(/reserved/);

    const results = await axe.run(container, { rules: { "color-contrast": { enabled: false } } });
    expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
  });

  it("prepares an archive with a job, shows its progress, then the download link with the size", async () => {
    const user = userEvent.setup();
    await ready();
    await user.click(within(row(1)).getByRole("button", { name: "Prepare tar of street-photos v1" }));
    expect(posts()).toEqual([{ method: "POST", url: "/api/dataset-versions/1/archives/", body: { archive: "tar" } }]);
    expect(await screen.findByText("Preparing the tar of street-photos v1: job #50. Its progress shows in the list.")).toHaveAttribute(
      "role",
      "status",
    );
    const bar = await within(row(1)).findByRole("progressbar", { name: "tar of street-photos v1" });
    expect(bar).toHaveAttribute("aria-valuenow", "0");
    jobs[50] = { ...jobs[50], state: "running", progress: 0.4, message: "the tar of street-photos v1: 1/3 files, 4.0/10.0 MB" };
    await waitFor(() =>
      expect(within(row(1)).getByRole("progressbar", { name: "tar of street-photos v1" })).toHaveAttribute("aria-valuenow", "40"),
    );
    expect(row(1)).toHaveTextContent("Job #50 running, 40%: the tar of street-photos v1: 1/3 files, 4.0/10.0 MB");
    // the zip, built already, keeps its link meanwhile
    expect(within(row(1)).getByRole("link", { name: "zip of street-photos v1" })).toBeInTheDocument();

    versions = versions.map((v) => (v.id === 1 ? { ...v, archives: { ...v.archives!, tar: archive("tar", "ready", 50, 9_876_543) } } : v));
    jobs[50] = { ...jobs[50], state: "succeeded", progress: 1, message: "ready" };
    expect(await screen.findByText("The tar of street-photos v1 is ready to download (9.9 MB).")).toHaveAttribute("role", "status");
    const tar = within(row(1)).getByRole("link", { name: "tar of street-photos v1" });
    expect(tar).toHaveAttribute("href", "/api/dataset-versions/1/download/?archive=tar");
    expect(tar).toHaveAttribute("download");
    expect(within(row(1)).queryByRole("progressbar")).toBeNull();
    expect(within(row(1)).queryByRole("button", { name: /Prepare/ })).toBeNull();
  });

  it("cancels an archive being prepared: the button comes back, and nothing is downloadable", async () => {
    const user = userEvent.setup();
    await ready();
    await user.click(within(row(1)).getByRole("button", { name: "Prepare tar of street-photos v1" }));
    await within(row(1)).findByRole("progressbar", { name: "tar of street-photos v1" });
    await user.click(within(row(1)).getByRole("button", { name: "Cancel the tar of street-photos v1" }));
    expect(posts().at(-1)).toEqual({ method: "POST", url: "/api/jobs/50/cancel/", body: {} });
    expect(await screen.findByText("The tar of street-photos v1 was cancelled; nothing partial was kept.")).toHaveAttribute(
      "role",
      "status",
    );
    expect(within(row(1)).getByRole("button", { name: "Prepare tar of street-photos v1" })).toBeEnabled();
    expect(row(1)).toHaveTextContent("The last tar was cancelled");
    expect(within(row(1)).queryByRole("link", { name: "tar of street-photos v1" })).toBeNull();
  });

  it("offers the button again, with the reason, after a failed or cancelled archive; a refusal is an alert", async () => {
    const user = userEvent.setup();
    versions = versions.map((v) => (v.id === 5 ? { ...v, archives: { zip: archive("zip", "failed", 49), tar: null } } : v));
    await ready();
    expect(row(5)).toHaveTextContent("The last zip was cancelled");
    const realFetch = globalThis.fetch;
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: RequestInfo | URL, init?: RequestInit) =>
        String(input).endsWith("/archives/")
          ? json({ detail: "state: street-photos v4 is building; only ready versions have files to archive.", errors: { state: ["street-photos v4 is building; only ready versions have files to archive."] } }, 400)
          : realFetch(input, init),
      ),
    );
    await user.click(within(row(5)).getByRole("button", { name: "Prepare zip of street-photos v4" }));
    expect(await within(row(5)).findByRole("alert")).toHaveTextContent("only ready versions have files to archive");
    expect(within(row(5)).getByRole("button", { name: "Prepare zip of street-photos v4" })).toBeEnabled();
  });

  it("follows a new version's job until it succeeds, then reloads the list", async () => {
    const user = userEvent.setup();
    await ready("/datasets?project=7");
    await user.type(within(form()).getByLabelText("Name"), "street-photos");
    await user.click(within(form()).getByRole("button", { name: "Start export" }));

    const bar = await screen.findByRole("progressbar", { name: "Export of street-photos v5" });
    expect(bar).toHaveAttribute("aria-valuenow", "0");
    expect(within(row(7)).getByText("queued")).toHaveClass("state-queued");
    jobs[40] = job(40, "running", 0.5, "Writing the default config");
    await waitFor(() => expect(screen.getByRole("progressbar", { name: "Export of street-photos v5" })).toHaveAttribute("aria-valuenow", "50"));
    expect(within(row(7)).getByTestId("state")).toHaveTextContent("Job #40 running, 50%: Writing the default config");
    expect(gets("/api/jobs/40/")).toBeGreaterThan(0);

    // Done: the list is read again and shows the version ready, with its archives.
    const loads = gets(LIST);
    versions = versions.map((v) =>
      v.id === 7 ? version(7, "street-photos", 5, "ready", { job: 40, row_counts: COUNTS, content_hash: "0123456789abcdef" }) : v,
    );
    jobs[40] = job(40, "succeeded", 1, "Done");
    expect(await screen.findByText("street-photos v5 is ready to download.")).toHaveAttribute("role", "status");
    expect(gets(LIST)).toBe(loads + 1);
    expect(within(row(7)).getByText("ready")).toHaveClass("state-ready");
    expect(within(row(7)).getByRole("link", { name: "zip of street-photos v5" })).toHaveAttribute("download");
    expect(screen.queryByRole("progressbar")).toBeNull();
    // No more polling once it has finished.
    const polls = gets("/api/jobs/40/");
    await act(() => new Promise((r) => setTimeout(r, 30)));
    expect(gets("/api/jobs/40/")).toBe(polls);
    expect(gets(LIST)).toBe(loads + 1);
  });

  it("follows a version that was already building and says why it failed", async () => {
    versions = [version(8, "street-photos", 6, "building", { job: 41 }), ...versions];
    jobs[41] = job(41, "running", 0.3, "Reading annotations");
    await ready();
    expect(await screen.findByRole("progressbar", { name: "Export of street-photos v6" })).toHaveAttribute("aria-valuenow", "30");
    versions = versions.map((v) => (v.id === 8 ? { ...v, state: "failed", error: "The media folder is not readable." } : v));
    jobs[41] = { ...job(41, "failed", 0.3), error: "The media folder is not readable." };
    expect(await screen.findByRole("alert")).toHaveTextContent("street-photos v6 failed: The media folder is not readable.");
    expect(within(row(8)).getByTestId("state")).toHaveTextContent("failedThe media folder is not readable.");
    expect(posts()).toEqual([]);
  });

  it("compares two versions: counts with examples and yes answers per question", async () => {
    const user = userEvent.setup();
    await ready();
    await user.selectOptions(within(row(1)).getByRole("combobox", { name: "Compare street-photos v1 with" }), "street-photos v4");
    // The older version is A.
    await waitFor(() => expect(calls.map((c) => c.url)).toContain("/api/dataset-versions/5/diff/?against=1"));
    const panel = screen.getByRole("region", { name: "Changes from street-photos v1 to street-photos v4" });
    await within(panel).findByTestId("diff");
    expect(within(row(1)).getByRole("combobox", { name: /Compare street-photos v1/ })).toHaveValue("5");
    expect(within(row(5)).getByRole("combobox", { name: /Compare street-photos v4/ })).toHaveValue("1");
    expect(within(panel).getByTestId("diff-rows")).toHaveTextContent(
      "street-photos v1 has 1,000 rows, street-photos v4 has 1,040; 983 items are unchanged.",
    );
    expect(within(panel).getByTestId("diff-added")).toHaveTextContent("45");
    expect(within(panel).getByTestId("diff-removed")).toHaveTextContent("5");
    expect(within(panel).getByTestId("diff-changed")).toHaveTextContent("12");
    expect(within(panel).getByTestId("diff-moved_split")).toHaveTextContent("2");
    expect(within(panel).getByTestId("diff-unchanged")).toHaveTextContent("983");
    expect(within(panel).getByText("First 2 examples").closest("details")).toHaveTextContent("11011102");
    expect(within(panel).getByText("20: q1, q3")).toBeInTheDocument();
    expect(within(panel).getByText("30: train → test")).toBeInTheDocument();

    const table = within(panel).getByRole("table", { name: /Yes answers per question/ });
    const order = () => within(table).getAllByRole("rowheader").map((h) => h.textContent);
    expect(within(table).getAllByRole("columnheader").map((c) => c.textContent)).toEqual([
      "Question ▲",
      "Yes in street-photos v1",
      "Yes in street-photos v4",
      "Difference ↕",
      "Items changed",
    ]);
    expect(order()).toEqual(["q1", "q2", "q3", "q4"]);
    expect(within(within(table).getByRole("rowheader", { name: "q2" }).closest("tr")!).getAllByRole("cell").map((c) => c.textContent)).toEqual([
      "500",
      "470",
      "−30",
      "8",
    ]);
    await user.click(within(table).getByRole("button", { name: /Difference/ }));
    expect(order()).toEqual(["q2", "q1", "q3", "q4"]);
    expect(within(table).getByRole("columnheader", { name: /Difference/ })).toHaveAttribute("aria-sort", "descending");
    expect(table).toHaveAccessibleName(/by the size of the difference, largest first/);
    await user.click(within(table).getByRole("button", { name: /Difference/ }));
    expect(order()).toEqual(["q4", "q3", "q1", "q2"]);
    expect(within(table).getByRole("columnheader", { name: /Difference/ })).toHaveAttribute("aria-sort", "ascending");
    await user.click(within(table).getByRole("button", { name: /Question/ }));
    expect(order()).toEqual(["q1", "q2", "q3", "q4"]);

    await user.click(within(panel).getByRole("button", { name: "Swap A and B" }));
    await waitFor(() => expect(calls.map((c) => c.url)).toContain("/api/dataset-versions/1/diff/?against=5"));
    expect(screen.getByRole("region", { name: "Changes from street-photos v4 to street-photos v1" })).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Close comparison" }));
    expect(screen.queryByTestId("diff-panel")).toBeNull();
    expect(screen.getByRole("heading", { name: "Versions" })).toHaveFocus();
  });

  it("says why two versions cannot be compared", async () => {
    const user = userEvent.setup();
    await ready();
    vi.mocked(fetch).mockImplementationOnce(async () =>
      json({ detail: "street-photos v1 is failed; only ready versions compare.", errors: { against: ["street-photos v1 is failed; only ready versions compare."] } }, 400),
    );
    await user.selectOptions(within(row(5)).getByRole("combobox", { name: /Compare street-photos v4/ }), "street-photos v1");
    expect(await screen.findByRole("alert")).toHaveTextContent("street-photos v1 is failed; only ready versions compare.");
  });

  it("has no axe violations", async () => {
    const user = userEvent.setup();
    const { container } = await ready("/datasets?project=7");
    const check = async () => {
      const results = await axe.run(container, { rules: { "color-contrast": { enabled: false } } });
      return results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    };
    await within(form()).findByRole("option", { name: "Version 2 (more pairs), candidate" });
    await user.click(within(row(1)).getByRole("button", { name: "street-photos v1" }));
    for (const summary of container.querySelectorAll("summary")) await user.click(summary);
    expect(await check()).toEqual([]);

    // Problems in the form.
    await user.clear(within(form()).getByLabelText("Split 1 share"));
    await user.click(within(form()).getByRole("button", { name: "Start export" }));
    expect(await check()).toEqual([]);

    await user.selectOptions(within(row(5)).getByRole("combobox", { name: /Compare street-photos v4/ }), "street-photos v1");
    await screen.findByTestId("diff");
    for (const summary of screen.getByTestId("diff").querySelectorAll("summary")) await user.click(summary);
    expect(await check()).toEqual([]);
  });

  it("is linked from the top bar", async () => {
    const user = userEvent.setup();
    render(
      <MemoryRouter initialEntries={["/projects"]}>
        <App />
      </MemoryRouter>,
    );
    const nav = await screen.findByRole("navigation", { name: "Main" });
    await user.click(await within(nav).findByRole("link", { name: "Datasets" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Datasets" })).toBeInTheDocument();
    expect(within(nav).getByRole("link", { name: "Datasets" })).toHaveAttribute("aria-current", "page");
  });
});
