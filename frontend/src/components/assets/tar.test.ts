import { describe, expect, it } from "vitest";
import { paxRecords, tarEntries, tarNumber } from "./tar";

// Tars built here byte by byte, as tar(1) writes them: a 512-byte ustar header per entry, the
// data padded to 512, two zero blocks at the end.

const enc = new TextEncoder();

function header(name: string, size: number, type = "0", extra: { prefix?: string } = {}): Uint8Array {
  const h = new Uint8Array(512);
  const put = (at: number, value: string) => h.set(enc.encode(value), at);
  put(0, name);
  put(100, "0000644\0");
  put(108, "0000000\0");
  put(116, "0000000\0");
  put(124, size.toString(8).padStart(11, "0") + "\0");
  put(136, "00000000000\0");
  put(156, type);
  put(257, "ustar\0");
  put(263, "00");
  if (extra.prefix) put(345, extra.prefix);
  h.fill(32, 148, 156);
  const sum = h.reduce((a, b) => a + b, 0);
  put(148, sum.toString(8).padStart(6, "0") + "\0 ");
  return h;
}

function entry(name: string, data: Uint8Array | string, type = "0", extra = {}): Uint8Array[] {
  const bytes = typeof data === "string" ? enc.encode(data) : data;
  const padded = new Uint8Array(Math.ceil(bytes.length / 512) * 512);
  padded.set(bytes);
  return [header(name, bytes.length, type, extra), padded];
}

const tar = (...parts: Uint8Array[][]) => new Blob([...parts.flat(), new Uint8Array(1024)] as BlobPart[]);
const textOf = async (f: File) => new TextDecoder().decode(new Uint8Array(await f.arrayBuffer()));

describe("tarEntries", () => {
  it("reads regular files with their paths and passes over directories", async () => {
    const blob = tar(entry("shoot/", "", "5"), entry("shoot/a.jpg", "AAAA"), entry("shoot/m.jsonl", '{"file":"a.jpg"}\n'));
    const { files, skipped } = await tarEntries(blob, "shoot.tar");
    expect(skipped).toEqual([]);
    expect(files.map((f) => [f.path, f.file.name, f.file.size])).toEqual([
      ["shoot/a.jpg", "a.jpg", 4],
      ["shoot/m.jsonl", "m.jsonl", 17],
    ]);
    expect(await textOf(files[0].file)).toBe("AAAA");
  });

  it("understands ustar prefixes, pax paths and GNU long names", async () => {
    const long = `${"d".repeat(120)}/b.png`;
    const pax = `${(" path=" + long + "\n").length + 3} path=${long}\n`;
    const blob = tar(
      entry("a.jpg", "1", "0", { prefix: "deep/er" }),
      entry("PaxHeader", pax, "x"),
      entry("ignored-name", "22"),
      entry("././@LongLink", long.replace("b.png", "c.png") + "\0", "L"),
      entry("short", "333"),
    );
    const { files } = await tarEntries(blob, "t.tar");
    expect(files.map((f) => f.path)).toEqual(["deep/er/a.jpg", long, long.replace("b.png", "c.png")]);
    expect(files.map((f) => f.file.size)).toEqual([1, 2, 3]);
    expect(paxRecords(enc.encode(pax))).toEqual({ path: long });
  });

  it("skips links with a reason and stops at a damaged header or a truncated file", async () => {
    const withLink = await tarEntries(tar(entry("link.jpg", "", "2"), entry("a.jpg", "x")), "t.tar");
    expect(withLink.files.map((f) => f.path)).toEqual(["a.jpg"]);
    expect(withLink.skipped).toEqual([{ path: "link.jpg", reason: "not a regular file in t.tar (links and devices are not imported)" }]);

    const damaged = new Uint8Array(1024);
    damaged.set(enc.encode("garbage"), 0);
    expect((await tarEntries(new Blob([damaged]), "bad.tar")).skipped[0].reason).toBe(
      "not a readable tar archive (a damaged header at byte 0)",
    );
    const [h] = entry("big.jpg", "x".repeat(2000));
    expect((await tarEntries(new Blob([h as BlobPart, new Uint8Array(512)]), "cut.tar")).skipped[0]).toEqual({
      path: "cut.tar: big.jpg",
      reason: "the archive ends inside this file (truncated)",
    });
  });

  it("reads base-256 sizes", () => {
    expect(tarNumber(Uint8Array.from([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0]))).toBe(2 * 65536);
    expect(tarNumber(enc.encode("00000000017\0"))).toBe(15);
  });
  // .tar.gz goes through the browser's DecompressionStream: tests/e2e/test_assets.py drops one in Chromium.
});
