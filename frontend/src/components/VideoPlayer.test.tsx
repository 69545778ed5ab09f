import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import VideoPlayer, { VideoSync } from "./VideoPlayer";
import type { Asset } from "../types";

interface FakeVideo {
  el: HTMLVideoElement;
  play: ReturnType<typeof vi.fn>;
  pause: ReturnType<typeof vi.fn>;
  /** Every time something set currentTime, with the value. */
  seeks: number[];
}

/**
 * A <video> whose play(), pause() and currentTime behave like a browser's: play fires `play` only
 * when it was paused, pause fires `pause` only when it was playing, and every currentTime set fires
 * `seeking`. `dispatch` decides when the events fire: at once (the default) or later, as browsers
 * do (they queue media events as tasks).
 */
function fakeVideo(duration: number, dispatch: (el: HTMLElement, type: string) => void = (el, t) => el.dispatchEvent(new Event(t))): FakeVideo {
  const el = document.createElement("video");
  let paused = true;
  let time = 0;
  const seeks: number[] = [];
  Object.defineProperty(el, "paused", { get: () => paused });
  Object.defineProperty(el, "duration", { get: () => duration });
  Object.defineProperty(el, "currentTime", {
    get: () => time,
    set: (v: number) => {
      time = v;
      seeks.push(v);
      dispatch(el, "seeking");
    },
  });
  const play = vi.fn(() => {
    if (paused) {
      paused = false;
      dispatch(el, "play");
    }
    return Promise.resolve();
  });
  const pause = vi.fn(() => {
    if (!paused) {
      paused = true;
      dispatch(el, "pause");
    }
  });
  el.play = play;
  el.pause = pause;
  return { el, play, pause, seeks };
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("VideoSync", () => {
  it("plays and pauses the other video when one is played or paused, without echo", () => {
    const sync = new VideoSync();
    const a = fakeVideo(4);
    const b = fakeVideo(4);
    sync.register(a.el);
    sync.register(b.el);

    a.el.play(); // the annotator presses play on A
    expect(b.play).toHaveBeenCalledTimes(1);
    expect(b.el.paused).toBe(false);
    expect(a.play).toHaveBeenCalledTimes(1); // only the annotator's call: B's `play` is not mirrored back

    b.el.pause(); // and pause on B
    expect(a.pause).toHaveBeenCalledTimes(1);
    expect(a.el.paused).toBe(true);
    expect(b.pause).toHaveBeenCalledTimes(1);
  });

  it("seeks the other video to the same time, clamped to its length, without echo", () => {
    const sync = new VideoSync();
    const a = fakeVideo(10);
    const b = fakeVideo(3);
    sync.register(a.el);
    sync.register(b.el);

    a.el.currentTime = 2.5;
    expect(b.seeks).toEqual([2.5]);
    expect(a.seeks).toEqual([2.5]);

    a.el.currentTime = 7; // past B's end
    expect(b.el.currentTime).toBe(3);
    expect(a.el.currentTime).toBe(7);
    expect(a.seeks).toEqual([2.5, 7]);

    b.el.currentTime = 1;
    expect(a.el.currentTime).toBe(1);
    expect(b.seeks).toEqual([2.5, 3, 1]);
  });

  it("copies the playback speed to the other video, without echo", () => {
    const sync = new VideoSync();
    const a = fakeVideo(4);
    const b = fakeVideo(4);
    sync.register(a.el);
    sync.register(b.el);
    const rateChanges = { a: 0, b: 0 };
    a.el.addEventListener("ratechange", () => rateChanges.a++);
    b.el.addEventListener("ratechange", () => rateChanges.b++);

    a.el.playbackRate = 0.5;
    expect(b.el.playbackRate).toBe(0.5);
    b.el.playbackRate = 2;
    expect(a.el.playbackRate).toBe(2);
    expect(rateChanges).toEqual({ a: 2, b: 2 });
  });

  it("keeps more than two videos in step", () => {
    const sync = new VideoSync();
    const [a, b, c] = [fakeVideo(4), fakeVideo(4), fakeVideo(4)];
    for (const v of [a, b, c]) sync.register(v.el);
    a.el.play();
    expect(b.play).toHaveBeenCalledTimes(1);
    expect(c.play).toHaveBeenCalledTimes(1);
    c.el.currentTime = 1.2;
    expect([a.el.currentTime, b.el.currentTime]).toEqual([1.2, 1.2]);
  });

  it("stops mirroring a video once it is unregistered", () => {
    const sync = new VideoSync();
    const a = fakeVideo(4);
    const b = fakeVideo(4);
    const unregisterA = sync.register(a.el);
    sync.register(b.el);
    unregisterA();

    a.el.play();
    a.el.currentTime = 2;
    expect(b.play).not.toHaveBeenCalled();
    expect(b.seeks).toEqual([]);
    b.el.play();
    expect(a.play).toHaveBeenCalledTimes(1); // the direct call above only
  });

  // Browsers fire media events asynchronously (queued tasks), after the handler that caused them
  // has returned, so the synchronous `echoing` guard is already off when the other video's
  // `seeking` arrives; every currentTime set seeks (and fires `seeking`) even to the same time,
  // so the two videos keep re-seeking each other. See the report: VideoPlayer.tsx, VideoSync.
  it("does not bounce a seek back and forth when events arrive asynchronously, as in browsers", () => {
    vi.useFakeTimers();
    const later = (el: HTMLElement, type: string) => void setTimeout(() => el.dispatchEvent(new Event(type)), 0);
    const sync = new VideoSync();
    const a = fakeVideo(10, later);
    const b = fakeVideo(10, later);
    sync.register(a.el);
    sync.register(b.el);

    a.el.currentTime = 4; // the annotator seeks A once
    for (let i = 0; i < 10; i++) vi.advanceTimersToNextTimer();

    expect(b.seeks).toEqual([4]);
    expect(a.seeks).toEqual([4]);
  });
});

// --- the player ------------------------------------------------------------------------------------

function videoAsset(id: number, prompt: string): Asset {
  return {
    id,
    project: 1,
    kind: "video",
    status: "ready",
    failure_reason: "",
    original_name: `${id}.mp4`,
    prompt,
    width: 640,
    height: 360,
    duration_seconds: 4,
    fps: 25,
    frame_count: 100,
    import_job_id: 1,
    urls: { display: `/media/${id}/display.mp4`, poster: `/media/${id}/poster.jpg`, frames: [] },
  };
}

describe("VideoPlayer", () => {
  it("plays the other video of a pair when one is played (shared VideoSync)", async () => {
    // jsdom has no media playback: play/pause flip `paused` and fire their events at once.
    const state = new WeakMap<HTMLMediaElement, boolean>();
    vi.spyOn(HTMLMediaElement.prototype, "paused", "get").mockImplementation(function (this: HTMLMediaElement) {
      return state.get(this) ?? true;
    });
    const play = vi.spyOn(HTMLMediaElement.prototype, "play").mockImplementation(function (this: HTMLMediaElement) {
      if (state.get(this) ?? true) {
        state.set(this, false);
        this.dispatchEvent(new Event("play"));
      }
      return Promise.resolve();
    });
    vi.spyOn(HTMLMediaElement.prototype, "pause").mockImplementation(function (this: HTMLMediaElement) {
      if (state.get(this) === false) {
        state.set(this, true);
        this.dispatchEvent(new Event("pause"));
      }
    });

    const user = userEvent.setup();
    const sync = new VideoSync();
    render(
      <>
        <section aria-label="A">
          <VideoPlayer asset={videoAsset(1, "a cat")} label="A" sync={sync} />
        </section>
        <section aria-label="B">
          <VideoPlayer asset={videoAsset(2, "a cat")} label="B" sync={sync} />
        </section>
      </>,
    );
    const sideA = within(screen.getByRole("region", { name: "A" }));
    const sideB = within(screen.getByRole("region", { name: "B" }));

    await user.click(sideA.getByRole("button", { name: "Play" }));
    expect(play).toHaveBeenCalledTimes(2);
    expect(sideA.getByRole("button", { name: "Pause" })).toBeInTheDocument();
    expect(sideB.getByRole("button", { name: "Pause" })).toBeInTheDocument();

    await user.click(sideB.getByRole("button", { name: "Pause" }));
    expect(sideA.getByRole("button", { name: "Play" })).toBeInTheDocument();
    expect(sideB.getByRole("button", { name: "Play" })).toBeInTheDocument();

    // The speed of B follows A's.
    await user.selectOptions(sideA.getByRole("combobox", { name: "Playback speed" }), "2");
    expect(sideB.getByRole("combobox", { name: "Playback speed" })).toHaveValue("2");
    expect((sideB.getByTestId("video") as HTMLVideoElement).playbackRate).toBe(2);
  });

  it("steps frame by frame and shows the frame number", async () => {
    vi.spyOn(HTMLMediaElement.prototype, "pause").mockImplementation(() => undefined);
    const user = userEvent.setup();
    render(<VideoPlayer asset={videoAsset(1, "a cat")} />);
    expect(screen.getByTestId("frame-counter")).toHaveTextContent("frame 1/100");
    await user.click(screen.getByRole("button", { name: "Next frame" }));
    await user.click(screen.getByRole("button", { name: "Next frame" }));
    expect(screen.getByTestId("frame-counter")).toHaveTextContent("frame 3/100");
    await user.click(screen.getByRole("button", { name: "Previous frame" }));
    expect(screen.getByTestId("frame-counter")).toHaveTextContent("frame 2/100");
  });
});
