import type { Asset } from "../../types";

// Fetching ahead on the annotate screen: while a task is on screen the page leases the next one
// and warms the browser cache with its media, so it shows as soon as the submit is sent. The
// performance marks are what bench/annotate_keys.py reads.

const preloaded = new Set<string>();
// `?prefetch=0` turns fetching ahead off (the baseline of bench/annotate_keys.py).
export const PREFETCH = typeof location === "undefined" || new URLSearchParams(location.search).get("prefetch") !== "0";

/** Warm the browser cache with what the next task will show first. */
export function preload(asset: Asset | null | undefined) {
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

export function mark(name: string) {
  try {
    performance.mark(name);
  } catch {
    /* marks are a nicety for the benchmark */
  }
}
