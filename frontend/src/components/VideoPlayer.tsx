import { forwardRef, useEffect, useImperativeHandle, useRef, useState } from "react";
import type { Asset } from "../types";
import { SPEEDS, type MediaControls } from "./media";

/**
 * Keeps the videos of a pair in step: play, pause, seek and speed of one are applied to the
 * others (a guard stops the echo).
 */
const SEEK_TOLERANCE_S = 0.01; // well under one frame at 60 fps

export class VideoSync {
  private videos = new Set<HTMLVideoElement>();
  private echoing = false;

  register(video: HTMLVideoElement): () => void {
    this.videos.add(video);
    const mirror = (apply: (other: HTMLVideoElement) => void) => () => {
      if (this.echoing) return;
      this.echoing = true;
      try {
        for (const other of this.videos) if (other !== video) apply(other);
      } finally {
        this.echoing = false;
      }
    };
    // Each mirror is idempotent (it acts only when the other differs), so events that arrive
    // later, as browsers queue them, settle instead of bouncing between the videos.
    const handlers: [string, () => void][] = [
      ["play", mirror((o) => void (o.paused && o.play()?.catch(() => undefined)))],
      ["pause", mirror((o) => void (!o.paused && o.pause()))],
      [
        "seeking",
        mirror((o) => {
          const target = Math.min(video.currentTime, o.duration || video.currentTime);
          if (Math.abs(o.currentTime - target) > SEEK_TOLERANCE_S) o.currentTime = target;
        }),
      ],
      ["ratechange", mirror((o) => void (o.playbackRate !== video.playbackRate && (o.playbackRate = video.playbackRate)))],
    ];
    for (const [name, fn] of handlers) video.addEventListener(name, fn);
    return () => {
      for (const [name, fn] of handlers) video.removeEventListener(name, fn);
      this.videos.delete(video);
    };
  }
}

interface Props {
  asset: Asset;
  label?: string;
  sync?: VideoSync;
}

const fmt = (t: number) => `${Math.floor(t / 60)}:${(t % 60).toFixed(2).padStart(5, "0")}`;

/** The transcoded video with play/pause, frame stepping, speed, loop and a strip of sampled frames. */
const VideoPlayer = forwardRef<MediaControls, Props>(function VideoPlayer({ asset, label, sync }, ref) {
  const video = useRef<HTMLVideoElement>(null);
  const [time, setTime] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState(1);
  const [loop, setLoop] = useState(true);
  const fps = asset.fps && asset.fps > 0 ? asset.fps : 25;
  const duration = asset.duration_seconds ?? 0;
  const frameCount = asset.frame_count ?? Math.round(duration * fps);
  const frame = Math.min(frameCount || Infinity, Math.floor(time * fps + 1e-6) + 1);

  useEffect(() => {
    const v = video.current;
    if (!v || !sync) return;
    return sync.register(v);
  }, [sync]);

  const seekFrame = (n: number) => {
    const v = video.current;
    if (!v) return;
    v.pause();
    const last = Math.max(0, (frameCount || 1) - 1);
    const target = Math.max(0, Math.min(last, n));
    // The middle of the frame, so that rounding never lands on its neighbour.
    v.currentTime = (target + 0.5) / fps;
    setTime(v.currentTime);
  };

  const controls: MediaControls = {
    togglePlay() {
      const v = video.current;
      if (!v) return;
      if (v.paused) void v.play().catch(() => undefined);
      else v.pause();
    },
    step(frames) {
      const v = video.current;
      if (!v) return;
      seekFrame(Math.floor(v.currentTime * fps + 1e-6) + frames);
    },
    changeSpeed(direction) {
      const v = video.current;
      if (!v) return;
      const i = SPEEDS.indexOf(v.playbackRate);
      const next = SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, (i < 0 ? 2 : i) + direction))];
      v.playbackRate = next;
      setSpeed(next);
    },
    toggleLoop() {
      setLoop((l) => !l);
    },
    zoom() {},
    fit() {},
  };
  useImperativeHandle(ref, () => controls);

  const frames = asset.urls.frames ?? [];
  const nearest = frames.reduce(
    (best, f, i) => (f.time !== null && Math.abs(f.time - time) < Math.abs((frames[best]?.time ?? Infinity) - time) ? i : best),
    0,
  );

  return (
    <div className="media-box">
      <div className="viewer">
        <video
          ref={video}
          src={asset.urls.display ?? asset.urls.original}
          poster={asset.urls.poster}
          loop={loop}
          muted
          playsInline
          preload="auto"
          aria-label={label ? `${label}: ${asset.prompt}` : asset.prompt || asset.original_name}
          onTimeUpdate={(e) => setTime(e.currentTarget.currentTime)}
          onSeeked={(e) => setTime(e.currentTarget.currentTime)}
          onPlay={() => setPlaying(true)}
          onPause={() => setPlaying(false)}
          onRateChange={(e) => setSpeed(e.currentTarget.playbackRate)}
          onClick={() => controls.togglePlay()}
          data-testid="video"
        />
      </div>
      <div className="viewer-bar" aria-label="Video controls">
        <button type="button" onClick={() => controls.step(-1)} aria-label="Previous frame" title="Previous frame (,)">
          ◀︎|
        </button>
        <button type="button" onClick={() => controls.togglePlay()} aria-label={playing ? "Pause" : "Play"} title="Play/pause (Space)">
          {playing ? "❚❚" : "▶"}
        </button>
        <button type="button" onClick={() => controls.step(1)} aria-label="Next frame" title="Next frame (.)">
          |▶︎
        </button>
        <span className="time" data-testid="frame-counter" aria-live="off">
          frame {frame}/{frameCount || "?"} · {fmt(time)}
        </span>
        <label>
          <span className="muted"> speed </span>
          <select
            value={speed}
            onChange={(e) => {
              const v = video.current;
              if (v) v.playbackRate = Number(e.target.value);
            }}
            aria-label="Playback speed"
          >
            {SPEEDS.map((s) => (
              <option key={s} value={s}>
                {s}×
              </option>
            ))}
          </select>
        </label>
        <button type="button" aria-pressed={loop} onClick={() => controls.toggleLoop()} title="Loop (l)">
          Loop
        </button>
      </div>
      {frames.length > 0 && (
        <div className="strip" role="toolbar" aria-label="Sampled frames">
          {frames.map((f, i) => (
            <button
              type="button"
              key={f.url}
              className={i === nearest ? "current" : ""}
              onClick={() => {
                const v = video.current;
                if (!v || f.time === null) return;
                v.pause();
                v.currentTime = f.time;
                setTime(f.time);
              }}
              aria-label={`Jump to sampled frame ${i + 1}${f.time !== null ? ` at ${f.time.toFixed(2)} s` : ""}`}
            >
              <img src={f.url} alt="" loading="lazy" />
            </button>
          ))}
        </div>
      )}
    </div>
  );
});

export default VideoPlayer;
