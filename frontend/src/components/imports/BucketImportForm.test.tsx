import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BucketImportForm } from "./BucketImportForm";

function json(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("BucketImportForm", () => {
  it("posts the prefix and the manifest and hands over the job", async () => {
    const bodies: unknown[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
        expect(String(input)).toBe("/api/projects/7/imports/bucket/");
        bodies.push(JSON.parse(String(init?.body)));
        return json({ id: 40, kind: "import", state: "queued" }, 202);
      }),
    );
    const started = vi.fn();
    render(<BucketImportForm projectId={7} onStarted={started} />);
    await userEvent.type(screen.getByLabelText("S3 prefix"), "s3://lab-media/gen/");
    await userEvent.type(screen.getByLabelText("Manifest (optional)"), "manifest.jsonl");
    await userEvent.click(screen.getByRole("button", { name: "Import from the bucket" }));
    await waitFor(() => expect(started).toHaveBeenCalledWith(expect.objectContaining({ id: 40 })));
    expect(bodies).toEqual([{ url: "s3://lab-media/gen/", manifest: "manifest.jsonl" }]);
  });

  it("shows the server's reason beside the field", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () =>
        json(
          {
            detail: "bucket `other` is not in VR_IMPORT_BUCKETS",
            errors: { url: ["bucket `other` is not in VR_IMPORT_BUCKETS"] },
          },
          400,
        ),
      ),
    );
    const started = vi.fn();
    render(<BucketImportForm projectId={7} onStarted={started} />);
    await userEvent.type(screen.getByLabelText("S3 prefix"), "s3://other/");
    await userEvent.click(screen.getByRole("button", { name: "Import from the bucket" }));
    expect(await screen.findByText("bucket `other` is not in VR_IMPORT_BUCKETS")).toBeTruthy();
    expect(screen.getByLabelText("S3 prefix").getAttribute("aria-invalid")).toBe("true");
    expect(started).not.toHaveBeenCalled();
  });
});
