"""Imports: media into a project (uploads, a zip or tar, a manifest) as an import job. Archives
are unpacked and manifests parsed here, each file fails alone with its reason, and the media
pipeline (``worker.media``) makes the browser copies."""
