"""The import endpoint's request body (for the schema; validation is in ``worker.imports.job``)."""

from __future__ import annotations

from rest_framework import serializers


class ImportRequestSerializer(serializers.Serializer):
    """The multipart body of an import (for the schema; validation is in worker.imports.job)."""

    files = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text="Media files (repeat the field for many). Without a manifest each is one asset, empty prompt.",
    )
    paths = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Optional, one per `files` upload and in the same order: the file's relative path in the "
        "folder it was chosen from (`shoot/cats/a.jpg`). It names the asset and is what a manifest's `file` "
        "matches; without it a file is named by its upload name, which has no folder.",
    )
    archive = serializers.FileField(
        required=False,
        help_text="One .zip of media files. Without a manifest every file entry is one asset "
        "(directories, __MACOSX/ and dotfiles are skipped).",
    )
    uploads = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        help_text="Ids of completed direct uploads (`/api/projects/:id/uploads/`, VR_STORAGE=s3), sent alone or "
        "with a manifest (its `file` matches an upload's filename); each upload is imported once. "
        "JSON bodies may carry this field too.",
    )
    manifest = serializers.FileField(
        required=False,
        help_text="One .jsonl (objects with file, prompt, metadata) or .csv (columns file, prompt, metadata "
        "as a JSON string; any other column goes into metadata as a string). `file` is an uploaded file's "
        "name (its `paths` entry when sent), a path inside the archive, or an http(s) URL the import job "
        "downloads (a manifest of URLs may be sent alone). With a manifest exactly its rows are imported.",
    )


class LabelStudioImportRequestSerializer(serializers.Serializer):
    """The multipart body of a Label Studio import (for the schema; validation is in
    worker.imports.labelstudio_job)."""

    export = serializers.FileField(
        help_text="The Label Studio export: JSON (a list of tasks with `data`), JSON-MIN, or a .jsonl of tasks."
    )
    media_key = serializers.CharField(
        required=False,
        help_text="The `data` key holding each task's media (a URL, /data/upload/… or /data/local-files/?d=…, "
        "or a file name). Required to start; the preview suggests one.",
    )
    prompt_key = serializers.CharField(required=False, help_text="The `data` key holding the prompt (optional).")
    archive = serializers.FileField(
        required=False, help_text="A .zip of Label Studio's upload folder: upload paths are matched by file name."
    )
    files = serializers.ListField(
        child=serializers.FileField(), required=False, help_text="Media files sent alongside, matched by file name."
    )
    preview = serializers.BooleanField(
        required=False, help_text="true: answer what the import would do (keys, first tasks, problems); store nothing."
    )


class BucketImportRequestSerializer(serializers.Serializer):
    """The JSON body of a bucket import (for the schema; validation is in worker.imports.bucket_job)."""

    url = serializers.CharField(
        help_text="`s3://bucket/prefix/`: every image and video object under it (by extension; dotfiles and "
        "__MACOSX/ skipped) is one asset. The bucket, or the bucket and a prefix above this one, must be listed "
        "in VR_IMPORT_BUCKETS; the platform's own media and datasets are never imported."
    )
    manifest = serializers.CharField(
        required=False,
        help_text="Optional: a manifest object (.jsonl or .csv, as for uploads): its `s3://` URL or its key under "
        "`url`. Its `file` values are keys under `url`, s3:// URLs of allowed buckets or http(s) URLs; exactly its "
        "rows are imported.",
    )
