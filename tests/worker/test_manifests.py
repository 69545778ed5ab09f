"""worker.imports.manifests: the manifest parser on its own (no database, no request)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from annotator.asset_fields import FieldLimits
from worker.imports.manifests import ManifestLimits, _csv_error_column, parse_manifest

SMALL = ManifestLimits(max_rows=3, max_line_bytes=200, fields=FieldLimits(max_prompt_chars=20))


def parse(name: str, content: bytes, limits: ManifestLimits = SMALL):
    problems: list[str] = []
    rows = parse_manifest(SimpleUploadedFile(name, content), problems.append, limits)
    return rows, problems


def test_csv_rows_keep_the_line_their_record_starts_on():
    content = b'\xef\xbb\xbffile,prompt,model\r\na.jpg,"two\r\nlines",sd\r\n\r\nb.jpg,plain,\r\n'
    rows, problems = parse("m.csv", content)
    assert problems == []
    assert [(r.line, r.file, r.prompt, r.metadata) for r in rows] == [
        (2, "a.jpg", "two\r\nlines", {"model": "sd"}),
        (5, "b.jpg", "plain", {"model": ""}),
    ]


def test_jsonl_with_crlf_bom_and_blank_lines():
    rows, problems = parse("m.jsonl", b'\xef\xbb\xbf{"file": "a.jpg"}\r\n\r\n{"file": "b.jpg", "prompt": "x"}\r\n')
    assert problems == [] and [(r.line, r.file, r.prompt) for r in rows] == [(1, "a.jpg", ""), (3, "b.jpg", "x")]


def test_limits_come_from_the_arguments():
    _, problems = parse("m.jsonl", b'{"file": "a.jpg", "prompt": "' + b"p" * 21 + b'"}\n')
    assert problems == [
        "manifest line 1, key `prompt`: is 21 characters long; the limit is 20 characters (VR_MAX_PROMPT_CHARS)"
    ]
    _, problems = parse("m.jsonl", b"\n".join(b'{"file": "%d.jpg"}' % i for i in range(5)))
    assert problems == ["manifest line 4: more than 3 rows (VR_MAX_MANIFEST_ROWS)"]
    _, problems = parse("m.csv", b"file\na.jpg\n" + b"x" * 300 + b"\n")
    assert problems == ["manifest line 3: longer than the limit of 200 bytes (VR_MAX_MANIFEST_LINE_BYTES)"]
    _, problems = parse("m.csv", b'file,prompt\na.jpg,"' + b"short line\n" * 30 + b'"\n')
    assert problems == ["manifest line 2: longer than the limit of 200 bytes (VR_MAX_MANIFEST_LINE_BYTES)"]


def test_every_problem_of_a_row_is_reported():
    _, problems = parse("m.csv", b"file,prompt,model\na.jpg\x00,x\x00,\xff\n")
    assert problems == [
        "manifest line 2, column `file`: contains a NUL character (\\x00), which cannot be stored",
        "manifest line 2, column `prompt`: contains a NUL character (\\x00), which cannot be stored",
        "manifest line 2, column `model`: is not UTF-8 text (save the file as UTF-8)",
    ]


def test_the_csv_error_column_is_the_field_the_parser_stopped_in():
    assert _csv_error_column('a,"x"y\n', 100) == 1
    assert _csv_error_column('a,b,"open\nstill open', 100) == 2
    assert _csv_error_column('"a,""b""",c\rd\n', 100) == 1
    assert _csv_error_column("a," + "x" * 50 + ",c", 10) == 1
    assert _csv_error_column("a,b,c\r\n", 100) == 2
