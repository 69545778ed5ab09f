import type { RefObject } from "react";
import type { Asset, Task } from "../../types";
import ImageViewer from "../ImageViewer";
import type { MediaControls } from "../media";
import VideoPlayer, { type VideoSync } from "../VideoPlayer";

// The annotate screen's media pane: the prompt above the media, one viewer for a single task, or a
// pair's A and B side by side (a pair's videos play, pause, seek and change speed together).

interface ViewProps {
  asset: Asset;
  label?: string;
  sync?: VideoSync;
  /** What the keys do to this viewer. */
  controls: RefObject<MediaControls | null>;
}

/** One asset: a video in the video player, an image in the zooming image viewer. */
function MediaView({ asset, label, sync, controls }: ViewProps) {
  return asset.kind === "video" ? (
    <VideoPlayer asset={asset} label={label} sync={sync} ref={controls} />
  ) : (
    <ImageViewer asset={asset} label={label} ref={controls} />
  );
}

interface Props {
  task: Task;
  pair: boolean;
  /** Keeps a pair's two videos together. */
  videoSync: VideoSync;
  /** The viewers' controls: A (a single task's only one) and B. */
  mediaA: RefObject<MediaControls | null>;
  mediaB: RefObject<MediaControls | null>;
}

export default function MediaPane({ task, pair, videoSync, mediaA, mediaB }: Props) {
  const sync = pair ? videoSync : undefined;
  return (
    <section className="media-pane" aria-label="Media">
      <div className="prompt">
        <span className="label">Prompt</span>
        <span data-testid="prompt">{task.asset.prompt || "(no prompt)"}</span>
      </div>
      {pair && task.asset_b ? (
        <div className="pair-media">
          <div>
            <div className="side-label">A</div>
            <MediaView key={task.asset.id} asset={task.asset} label="A" sync={sync} controls={mediaA} />
          </div>
          <div>
            <div className="side-label">B</div>
            <MediaView key={task.asset_b.id} asset={task.asset_b} label="B" sync={sync} controls={mediaB} />
          </div>
        </div>
      ) : (
        <MediaView key={task.asset.id} asset={task.asset} sync={sync} controls={mediaA} />
      )}
    </section>
  );
}
