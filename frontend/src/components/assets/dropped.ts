// What was dropped or chosen, as files with their paths: a drop's folders are walked
// (DataTransferItem.webkitGetAsEntry, FileSystemDirectoryReader.readEntries until it returns
// nothing), a folder chosen with <input webkitdirectory> carries webkitRelativePath.

import type { Picked } from "./uploadQueue";

/** The parts of the File and Directory Entries API used here (Chromium, Firefox, Safari). */
interface Entry {
  isFile: boolean;
  isDirectory: boolean;
  name: string;
  fullPath: string;
}
interface FileEntry extends Entry {
  file(success: (file: File) => void, failure?: (error: unknown) => void): void;
}
interface DirectoryEntry extends Entry {
  createReader(): { readEntries(success: (entries: Entry[]) => void, failure?: (error: unknown) => void): void };
}

const entryPath = (entry: Entry) => (entry.fullPath || entry.name).replace(/^\/+/, "");

function fileOf(entry: FileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

async function childrenOf(entry: DirectoryEntry): Promise<Entry[]> {
  const reader = entry.createReader();
  const all: Entry[] = [];
  // readEntries answers in chunks (Chromium: 100 at a time) until an empty one
  for (;;) {
    const chunk = await new Promise<Entry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (!chunk.length) return all;
    all.push(...chunk);
  }
}

/** Every file under the entries, depth first, with its path from the dropped root. */
export async function walkEntries(entries: Entry[], onProblem: (path: string, reason: string) => void): Promise<Picked[]> {
  const out: Picked[] = [];
  const visit = async (entry: Entry) => {
    try {
      if (entry.isFile) out.push({ file: await fileOf(entry as FileEntry), path: entryPath(entry) });
      else if (entry.isDirectory) for (const child of await childrenOf(entry as DirectoryEntry)) await visit(child);
    } catch (exc) {
      onProblem(entryPath(entry), `could not be read (${exc instanceof Error ? exc.message : String(exc)})`);
    }
  };
  for (const entry of entries) await visit(entry);
  return out;
}

/** The files of a drop. The entries are taken at once: a DataTransfer is emptied when the drop
 * event's handler returns. Without the entries API, the dropped files as they are. */
export function droppedFiles(data: DataTransfer, onProblem: (path: string, reason: string) => void): Promise<Picked[]> {
  const entries: Entry[] = [];
  for (const item of Array.from(data.items ?? [])) {
    if (item.kind !== "file") continue;
    const getEntry = (item as DataTransferItem & { webkitGetAsEntry?: () => Entry | null }).webkitGetAsEntry;
    const entry = getEntry ? getEntry.call(item) : null;
    if (entry) entries.push(entry);
  }
  if (entries.length) return walkEntries(entries, onProblem);
  return Promise.resolve(Array.from(data.files ?? []).map((file) => ({ file, path: file.name })));
}

/** The files of an <input type=file> (a folder's carry their webkitRelativePath). */
export function inputFiles(list: FileList | null): Picked[] {
  return Array.from(list ?? []).map((file) => ({ file, path: file.webkitRelativePath || file.name }));
}
