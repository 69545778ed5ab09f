import { forwardRef, useCallback, useImperativeHandle, useRef, useState, type PointerEvent, type WheelEvent } from "react";
import type { Asset } from "../types";
import type { MediaControls } from "./media";

interface View {
  scale: number; // 0 = fit to the pane; otherwise natural pixels × scale
  x: number;
  y: number;
}

const MIN = 0.1;
const MAX = 16;

/** An image fitted to its pane; zoom (keys, wheel, buttons) to full resolution and pan by dragging. */
const ImageViewer = forwardRef<MediaControls, { asset: Asset; label?: string }>(function ImageViewer({ asset, label }, ref) {
  const [view, setView] = useState<View>({ scale: 0, x: 0, y: 0 });
  const pane = useRef<HTMLDivElement>(null);
  const img = useRef<HTMLImageElement>(null);
  const drag = useRef<{ x: number; y: number; vx: number; vy: number } | null>(null);
  const src = asset.urls.original ?? asset.urls.display ?? "";

  const fitScale = useCallback(() => {
    const el = img.current;
    const box = pane.current;
    if (!el || !box || !el.naturalWidth) return 1;
    return Math.min(box.clientWidth / el.naturalWidth, box.clientHeight / el.naturalHeight, 1);
  }, []);

  const zoomAt = useCallback(
    (factor: number, cx?: number, cy?: number) => {
      setView((v) => {
        const box = pane.current;
        const el = img.current;
        if (!box || !el) return v;
        const current = v.scale || fitScale();
        const scale = Math.min(MAX, Math.max(MIN, current * factor));
        const px = cx ?? box.clientWidth / 2;
        const py = cy ?? box.clientHeight / 2;
        // Where the image would sit if it were fitted and centred (the start of a zoom).
        const x0 = v.scale ? v.x : (box.clientWidth - el.naturalWidth * current) / 2;
        const y0 = v.scale ? v.y : (box.clientHeight - el.naturalHeight * current) / 2;
        const k = scale / current;
        return { scale, x: px - (px - x0) * k, y: py - (py - y0) * k };
      });
    },
    [fitScale],
  );

  const actualSize = useCallback(() => {
    const box = pane.current;
    const el = img.current;
    if (!box || !el) return;
    setView({ scale: 1, x: (box.clientWidth - el.naturalWidth) / 2, y: (box.clientHeight - el.naturalHeight) / 2 });
  }, []);

  useImperativeHandle(
    ref,
    () => ({
      togglePlay() {},
      step() {},
      changeSpeed() {},
      toggleLoop() {},
      zoom: (direction) => zoomAt(direction > 0 ? 1.5 : 1 / 1.5),
      fit: () => setView((v) => (v.scale ? { scale: 0, x: 0, y: 0 } : v)),
    }),
    [zoomAt],
  );

  const onWheel = (event: WheelEvent) => {
    const rect = pane.current!.getBoundingClientRect();
    zoomAt(event.deltaY < 0 ? 1.2 : 1 / 1.2, event.clientX - rect.left, event.clientY - rect.top);
  };
  const onPointerDown = (event: PointerEvent) => {
    if (!view.scale) return;
    drag.current = { x: event.clientX, y: event.clientY, vx: view.x, vy: view.y };
    (event.target as Element).setPointerCapture?.(event.pointerId);
  };
  const onPointerMove = (event: PointerEvent) => {
    const d = drag.current;
    if (!d) return;
    setView((v) => ({ ...v, x: d.vx + event.clientX - d.x, y: d.vy + event.clientY - d.y }));
  };
  const endDrag = () => {
    drag.current = null;
  };
  const zoomed = view.scale > 0;
  const percent = Math.round(100 * (view.scale || fitScale()));

  return (
    <div className="media-box">
      <div
        ref={pane}
        className={`viewer${zoomed ? " zoomed" : ""}`}
        onWheel={onWheel}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={endDrag}
        onPointerCancel={endDrag}
        onDoubleClick={() => (zoomed ? setView({ scale: 0, x: 0, y: 0 }) : actualSize())}
        data-testid="image-viewer"
      >
        <img
          ref={img}
          src={src}
          alt={label ? `${label}: ${asset.prompt}` : asset.prompt || asset.original_name}
          className={zoomed ? "zoom-layer" : "fit"}
          draggable={false}
          style={
            zoomed && img.current
              ? {
                  width: img.current.naturalWidth * view.scale,
                  height: img.current.naturalHeight * view.scale,
                  transform: `translate(${view.x}px, ${view.y}px)`,
                  maxWidth: "none",
                  maxHeight: "none",
                }
              : undefined
          }
        />
      </div>
      <div className="viewer-bar" aria-label="Image controls">
        <button type="button" onClick={() => zoomAt(1 / 1.5)} aria-label="Zoom out" title="Zoom out (−)">
          −
        </button>
        <span className="time" aria-live="polite" data-testid="zoom-level">
          {zoomed ? `${percent}%` : `fit (${percent}%)`}
        </span>
        <button type="button" onClick={() => zoomAt(1.5)} aria-label="Zoom in" title="Zoom in (+)">
          +
        </button>
        <button type="button" onClick={() => setView({ scale: 0, x: 0, y: 0 })} aria-pressed={!zoomed} title="Fit (z)">
          Fit
        </button>
        <button type="button" onClick={actualSize} aria-pressed={view.scale === 1} title="Full resolution">
          1:1
        </button>
        {asset.width && asset.height && (
          <span className="time">
            {asset.width}×{asset.height}
          </span>
        )}
      </div>
    </div>
  );
});

export default ImageViewer;
