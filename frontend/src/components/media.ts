/** What the annotate screen's keys can do to a media viewer (both viewers of a pair at once). */
export interface MediaControls {
  togglePlay(): void;
  step(frames: number): void;
  changeSpeed(direction: 1 | -1): void;
  toggleLoop(): void;
  zoom(direction: 1 | -1): void;
  fit(): void;
}

export const SPEEDS = [0.25, 0.5, 1, 1.5, 2];
