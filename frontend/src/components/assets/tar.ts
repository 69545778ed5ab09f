// A .tar (or .tar.gz / .tgz) chosen or dropped is read here, in the browser, into its files:
// the import API takes .zip archives, and a tar's entries are sent as files with their paths
// (each a slice of the chosen file, not a copy). ustar, POSIX pax (`path`, `size`) and GNU long
// names are understood; directories are passed over, links and devices are skipped with a reason.

import type { Picked, Skipped } from "./uploadQueue";

const BLOCK = 512;
export const MAX_TAR_ENTRIES = 100_000;

export const isTarName = (name: string) => /\.(tar|tar\.gz|tgz)$/i.test(name);
const gzipped = (name: string) => /\.(tar\.gz|tgz)$/i.test(name);

const decoder = new TextDecoder();
const text = (bytes: Uint8Array) => {
  const end = bytes.indexOf(0);
  return decoder.decode(end < 0 ? bytes : bytes.subarray(0, end));
};

/** A header's numeric field: octal text, or base-256 when its first byte has the high bit set. */
export function tarNumber(bytes: Uint8Array): number {
  if (bytes[0] & 0x80) {
    let value = bytes[0] & 0x7f;
    for (let i = 1; i < bytes.length; i++) value = value * 256 + bytes[i];
    return value;
  }
  const digits = text(bytes).trim();
  return digits ? parseInt(digits, 8) : 0;
}

function checksumOk(header: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i];
  return sum === tarNumber(header.subarray(148, 156));
}

/** pax extended header records: "<length> <key>=<value>\n". */
export function paxRecords(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < bytes.length) {
    const space = bytes.indexOf(0x20, at);
    if (space < 0) break;
    const length = parseInt(decoder.decode(bytes.subarray(at, space)), 10);
    if (!Number.isFinite(length) || length <= 0) break;
    const record = decoder.decode(bytes.subarray(space + 1, at + length - 1));
    const eq = record.indexOf("=");
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    at += length;
  }
  return out;
}

async function bytesOf(blob: Blob, start: number, end: number): Promise<Uint8Array> {
  return new Uint8Array(await blob.slice(start, end).arrayBuffer());
}

/** The files of a tar held in `blob`; what is not a regular file, or cannot be read, is listed in `skipped`. */
export async function tarEntries(blob: Blob, archiveName: string): Promise<{ files: Picked[]; skipped: Skipped[] }> {
  const files: Picked[] = [];
  const skipped: Skipped[] = [];
  let offset = 0;
  let longName = "";
  let pax: Record<string, string> = {};
  while (offset + BLOCK <= blob.size) {
    const header = await bytesOf(blob, offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break; // the end-of-archive blocks
    if (!checksumOk(header)) {
      skipped.push({ path: archiveName, reason: `not a readable tar archive (a damaged header at byte ${offset})` });
      break;
    }
    const type = String.fromCharCode(header[156] || 48);
    const prefix = decoder.decode(header.subarray(257, 263)).startsWith("ustar") ? text(header.subarray(345, 500)) : "";
    const name = pax.path || longName || (prefix ? `${prefix}/${text(header.subarray(0, 100))}` : text(header.subarray(0, 100)));
    const size = pax.size !== undefined ? Number(pax.size) : tarNumber(header.subarray(124, 136));
    const start = offset + BLOCK;
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
    if (start + size > blob.size) {
      skipped.push({ path: `${archiveName}: ${name}`, reason: "the archive ends inside this file (truncated)" });
      break;
    }
    if (type === "x" || type === "g") {
      if (type === "x") pax = paxRecords(await bytesOf(blob, start, start + size));
      continue;
    }
    if (type === "L") {
      longName = text(await bytesOf(blob, start, start + size));
      continue;
    }
    longName = "";
    pax = {};
    if (type === "5") continue;
    if (type !== "0" && type !== "7") {
      skipped.push({ path: name, reason: `not a regular file in ${archiveName} (links and devices are not imported)` });
      continue;
    }
    if (files.length >= MAX_TAR_ENTRIES) {
      skipped.push({ path: archiveName, reason: `more than ${MAX_TAR_ENTRIES.toLocaleString("en-US")} files: the rest are not read` });
      break;
    }
    const base = name.slice(name.lastIndexOf("/") + 1);
    files.push({ file: new File([blob.slice(start, start + size)], base), path: name });
  }
  return { files, skipped };
}

/** A chosen tar's files: a .tar.gz is first decompressed (DecompressionStream) into a Blob. */
export async function readTar(file: File, path: string): Promise<{ files: Picked[]; skipped: Skipped[] }> {
  let blob: Blob = file;
  if (gzipped(file.name)) {
    if (typeof DecompressionStream === "undefined") {
      return { files: [], skipped: [{ path, reason: "this browser cannot decompress .tar.gz: unpack it or choose a .zip" }] };
    }
    try {
      blob = await new Response(file.stream().pipeThrough(new DecompressionStream("gzip"))).blob();
    } catch (exc) {
      return { files: [], skipped: [{ path, reason: `not a readable .tar.gz (${exc instanceof Error ? exc.message : String(exc)})` }] };
    }
  }
  return tarEntries(blob, path);
}
