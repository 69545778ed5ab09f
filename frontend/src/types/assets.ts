// Assets as the project's assets list gives them (GET /api/projects/:id/assets/): the task's
// Asset plus what the import recorded.

import type { Asset } from "./tasks";

export type AssetStatus = "ready" | "failed";

export interface AssetDetail extends Asset {
  status: AssetStatus;
  metadata: Record<string, unknown>;
  sha256: string;
  size_bytes: number | null;
  mime_type: string;
  created_at: string;
}
