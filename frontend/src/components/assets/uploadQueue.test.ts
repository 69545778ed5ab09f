import { describe, expect, it } from "vitest";
import {
  type Picked,
  applyJob,
  batchManifest,
  batchesOf,
  csvRecords,
  filesLoaded,
  humanBytes,
  normalizePath,
  parseManifest,
  planUpload,
  remapLines,
  retryable,
  totals,
} from "./uploadQueue";

const file = (name: string, size = 10, type = "") => new File([new Uint8Array(size)], name.split("/").pop() as string, { type });
const picked = (path: string, size = 10, extra: Partial<Picked> = {}): Picked => ({ file: file(path, size), path, ...extra });

describe("parseManifest", () => {
  it("reads JSONL rows with their lines and raw text, and names bad lines", () => {
    const m = parseManifest(
      "m.jsonl",
      '{"file": "a.jpg", "prompt": "a cat"}\n\n{"file": "b.jpg"}\nnot json\n[1]\n{"prompt": "x"}\n{"file": "./a.jpg"}\n',
    );
    expect(m.rows.map((r) => [r.line, r.file, r.prompt])).toEqual([
      [1, "a.jpg", "a cat"],
      [3, "b.jpg", ""],
      [7, "./a.jpg", ""],
    ]);
    expect(m.rows[0].raw).toBe('{"file": "a.jpg", "prompt": "a cat"}');
    expect(m.problems).toEqual([
      expect.stringMatching(/^manifest line 4: bad JSON/),
      "manifest line 5: expected a JSON object with `file`",
      "manifest line 6: missing `file`",
      "manifest line 7: `./a.jpg` is already named on line 1",
    ]);
  });

  it("reads CSV with quoted commas, quotes and line breaks, counting lines as the server does", () => {
    const text = 'file,prompt,seed\r\na.jpg,"a cat, ""sitting""",1\r\nb.jpg,"two\nlines",2\r\n\r\nc.jpg,,3\r\n';
    const m = parseManifest("prompts.csv", text);
    expect(m.problems).toEqual([]);
    expect(m.header).toBe("file,prompt,seed");
    expect(m.rows.map((r) => [r.line, r.file, r.prompt])).toEqual([
      [2, "a.jpg", 'a cat, "sitting"'],
      [3, "b.jpg", "two\nlines"],
      [6, "c.jpg", ""],
    ]);
    expect(m.rows[1].raw).toBe('b.jpg,"two\nlines",2');
  });

  it("names a CSV without a file column and an unclosed quote", () => {
    expect(parseManifest("m.csv", "name,prompt\na,b\n").problems).toEqual([
      "manifest line 1: the header has no `file` column (columns: name, prompt)",
    ]);
    expect(csvRecords('file\n"a.jpg\n').problem).toBe("manifest line 2: a quoted field is not closed");
  });
});

describe("planUpload", () => {
  it("names files relative to the manifest's folder, gives them prompts and lists what is not sent", () => {
    const plan = planUpload(
      [
        picked("shoot/cats/a.jpg"),
        picked("shoot/b.png"),
        picked("shoot/extra.jpg"),
        picked("shoot/.DS_Store"),
        picked("shoot/notes.txt"),
        picked("shoot/old.7z"),
        picked("shoot/empty.jpg", 0),
      ],
      [{ path: "shoot/manifest.jsonl", text: '{"file":"cats/a.jpg","prompt":"a cat"}\n{"file":"b.png","prompt":"a dog"}\n' }],
    );
    expect(plan.problems).toEqual([]);
    expect(plan.items.map((i) => [i.name, i.prompt, i.manifestLine])).toEqual([
      ["cats/a.jpg", "a cat", 1],
      ["b.png", "a dog", 2],
    ]);
    expect(Object.fromEntries(plan.skipped.map((s) => [s.path, s.reason]))).toEqual({
      "shoot/.DS_Store": "a hidden or system file",
      "shoot/notes.txt": "not an image or video file (by its name)",
      "shoot/old.7z": "only .zip, .tar and .tar.gz archives can be imported; unpack it or zip it again",
      "shoot/empty.jpg": "the file is empty",
      "extra.jpg": "not named in the manifest `shoot/manifest.jsonl`",
    });
  });

  it("sends a file chosen one by one whatever its name, and refuses a row naming nothing", () => {
    const plan = planUpload([picked("scan.raw", 5, { oneByOne: true })], [{ path: "m.csv", text: "file,prompt\nscan.raw,x\nmissing.jpg,y\n" }]);
    expect(plan.items.map((i) => i.name)).toEqual(["scan.raw"]);
    expect(plan.problems).toEqual(["manifest line 3: `missing.jpg` is not among the chosen files"]);
  });

  it("leaves rows that name no chosen file to a zip, and wants one zip with a manifest", () => {
    const plan = planUpload([picked("a.jpg"), picked("batch.zip")], [{ path: "m.jsonl", text: '{"file":"a.jpg"}\n{"file":"in/zip.jpg"}\n' }]);
    expect(plan.problems).toEqual([]);
    expect(plan.items.map((i) => [i.name, i.role])).toEqual([
      ["a.jpg", "media"],
      ["batch.zip", "archive"],
    ]);
    expect(plan.archiveRows.map((r) => r.file)).toEqual(["in/zip.jpg"]);
    const two = planUpload([picked("a.zip"), picked("b.zip")], [{ path: "m.jsonl", text: "" }]);
    expect(two.problems[0]).toMatch(/at most one .zip/);
  });

  it("keeps the first of two files with the same name and counts prompts", () => {
    const plan = planUpload([picked("x/a.jpg"), picked("x/a.jpg")], []);
    expect(plan.items).toHaveLength(1);
    expect(plan.skipped[0].reason).toBe("another chosen file has the same name `x/a.jpg`");
    expect(totals(plan.items)).toMatchObject({ files: 1, bytes: 10, withPrompt: 0 });
  });
});

describe("batches and their manifests", () => {
  it("cuts batches by count and bytes; a zip and a large file go alone", () => {
    const plan = planUpload([picked("1.jpg", 40), picked("2.jpg", 40), picked("big.mp4", 500), picked("3.jpg", 10), picked("p.zip", 5)], []);
    const sizes = batchesOf(plan.items, { maxFiles: 2, maxBytes: 100 }).map((b) => b.map((i) => i.name));
    expect(sizes).toEqual([["1.jpg", "2.jpg"], ["big.mp4"], ["p.zip"], ["3.jpg"]]);
  });

  it("gives each batch its rows as written, and maps the server's lines back", () => {
    const text = 'file,prompt\r\na.jpg,one\r\nb.jpg,"multi\nline"\r\nc.jpg,three\r\n';
    const plan = planUpload([picked("a.jpg"), picked("b.jpg"), picked("c.jpg")], [{ path: "dir/m.csv", text }]);
    const [first, second] = batchesOf(plan.items, { maxFiles: 2, maxBytes: 1e9 });
    const one = batchManifest(plan, first);
    expect(one?.name).toBe("m.csv");
    expect(one?.text).toBe('file,prompt\r\na.jpg,one\r\nb.jpg,"multi\nline"\r\n');
    expect(one?.lineMap).toEqual([1, 2, 3, 4]);
    const two = batchManifest(plan, second);
    expect(two?.text).toBe("file,prompt\r\nc.jpg,three\r\n");
    expect(remapLines("manifest line 2, column `prompt`: too long; manifest line 9: x", two?.lineMap)).toBe(
      "manifest line 5, column `prompt`: too long; manifest line 9: x",
    );
    expect(batchManifest({ ...plan, manifest: null }, first)).toBeNull();
  });
});

describe("progress and outcomes", () => {
  it("splits a request's bytes among its files in the order they are sent", () => {
    const sizes = [
      { size: 1000, nameLength: 0 },
      { size: 1000, nameLength: 0 },
    ];
    const total = 2000 + 2 * 160;
    expect(filesLoaded(sizes, 0, total)).toEqual([0, 0]);
    expect(filesLoaded(sizes, 660, total)).toEqual([500, 0]);
    expect(filesLoaded(sizes, 1160 + 160 + 250, total)).toEqual([1000, 250]);
    expect(filesLoaded(sizes, total, total)).toEqual([1000, 1000]);
  });

  it("takes each file's fate from its job: imported, failed with the reason, cancelled", () => {
    const plan = planUpload([picked("a.jpg"), picked("bad.jpg")], []);
    const running = applyJob(plan.items, { id: 9, state: "running" });
    expect(running.map((i) => i.state)).toEqual(["importing", "importing"]);
    const done = applyJob(plan.items, {
      id: 9,
      state: "succeeded",
      result: { imported: 1, failed: 1, failures: [{ file: "bad.jpg", reason: "not an image: cannot identify the file" }] },
    });
    expect(done.map((i) => [i.state, i.reason, i.jobId])).toEqual([
      ["imported", "", 9],
      ["failed", "not an image: cannot identify the file", 9],
    ]);
    expect(retryable(done).map((i) => i.name)).toEqual(["bad.jpg"]);
    expect(applyJob(plan.items, { id: 9, state: "failed", error: "archive too large" })[0].reason).toBe("archive too large");
    expect(applyJob(plan.items, { id: 9, state: "cancelled" })[1].state).toBe("cancelled");
  });

  it("formats sizes and paths", () => {
    expect([humanBytes(999), humanBytes(1500), humanBytes(2_500_000)]).toEqual(["999 B", "1.5 kB", "2.5 MB"]);
    expect(normalizePath("./a//b\\c/../d.jpg")).toBe("a/b/d.jpg");
  });
});
