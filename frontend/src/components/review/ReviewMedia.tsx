import type { Asset, Task } from "../../types";

// The media of one review item: an image or a video, or assets A and B side by side for a pair.

function AssetView({ asset, label }: { asset: Asset; label?: string }) {
  const urls = asset.urls ?? { frames: [] };
  const name = asset.prompt || asset.original_name || `Asset ${asset.id}`;
  if (asset.kind === "video") {
    const src = urls.display ?? urls.original;
    return src ? (
      <video
        className="review-video"
        controls
        preload="metadata"
        src={src}
        poster={urls.poster ?? urls.thumbnail}
        aria-label={label ? `Video ${label}: ${name}` : `Video: ${name}`}
      >
        <a href={src}>Download the video</a>
      </video>
    ) : (
      <p className="muted">This video has no playable file.</p>
    );
  }
  const src = urls.display ?? urls.original ?? urls.thumbnail;
  return src ? (
    <a href={urls.original ?? src} target="_blank" rel="noreferrer" className="review-img-link">
      <img className="review-img" src={src} alt={asset.prompt || name} />
    </a>
  ) : (
    <p className="muted">This image has no file.</p>
  );
}

export default function ReviewMedia({ task }: { task: Task }) {
  if (task.kind === "pair" && task.asset_b) {
    const samePrompt = task.asset.prompt === task.asset_b.prompt;
    return (
      <div className="review-media">
        <div className="review-pair">
          {(
            [
              ["A", task.asset],
              ["B", task.asset_b],
            ] as const
          ).map(([label, asset]) => (
            <figure key={label} className="review-figure">
              <figcaption className="side-tag">
                <span aria-hidden="true">{label}</span>
                <span className="visually-hidden">Asset {label}</span>
              </figcaption>
              <AssetView asset={asset} label={label} />
              {!samePrompt && (
                <p className="review-prompt">
                  <span className="label">Prompt {label}</span> {asset.prompt || <em className="muted">none</em>}
                </p>
              )}
            </figure>
          ))}
        </div>
        {samePrompt && (
          <p className="review-prompt">
            <span className="label">Prompt</span> {task.asset.prompt || <em className="muted">none</em>}
          </p>
        )}
      </div>
    );
  }
  return (
    <div className="review-media">
      <figure className="review-figure">
        <AssetView asset={task.asset} />
      </figure>
      <p className="review-prompt">
        <span className="label">Prompt</span> {task.asset.prompt || <em className="muted">none</em>}
      </p>
    </div>
  );
}
