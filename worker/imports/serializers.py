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
    manifest = serializers.FileField(
        required=False,
        help_text="One .jsonl (objects with file, prompt, metadata) or .csv (columns file, prompt, metadata "
        "as a JSON string; any other column goes into metadata as a string). `file` is an uploaded file's "
        "name (its `paths` entry when sent) or a path inside the archive. With a manifest exactly its rows "
        "are imported.",
    )
