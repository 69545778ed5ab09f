"""worker.imports.archives: the central-directory checks of the request and the job's counted unpacking,
on real zip files (some crafted the way bombs are: lying sizes, overlapping entries)."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zipfile
from pathlib import Path

import pytest

from worker.imports.archives import (
    RATIO_EXEMPT_BYTES,
    ArchiveLimits,
    ArchiveRefused,
    inspect_archive,
    unpack,
)

from .conftest import lie_about_sizes, zip_bytes

MB = 1024 * 1024
ZEROS_10MB = b"\0" * (10 * MB)


def inspect(data: bytes, limits: ArchiveLimits | None = None) -> tuple[list[str], list[str]]:
    limits = limits or ArchiveLimits()
    problems: list[str] = []
    zf, files = inspect_archive(io.BytesIO(data), "set.zip", len(data), limits, problems.append)
    return problems, [i.filename for i in files]


def run_unpack(tmp_path: Path, data: bytes, limits: ArchiveLimits, names: list[str] | None = None):
    archive = tmp_path / "archive.zip"
    archive.write_bytes(data)
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = names or [i.filename for i in zf.infolist() if not i.is_dir()]
    members = [(name, out / f"{n:06d}") for n, name in enumerate(names)]
    return unpack(archive, "set.zip", members, limits), out


# --- the request: what the central directory says -------------------------------------------------


def test_an_honest_archive_passes_and_lists_its_files():
    problems, files = inspect(zip_bytes({"a.jpg": b"x" * 100, "d/": b"", "d/b.png": os.urandom(5000)}))
    assert problems == [] and files == ["a.jpg", "d/b.png"]


def test_declared_sizes_past_the_limits_are_refused_before_anything_is_inflated():
    bomb = zip_bytes({"zeros.bin": ZEROS_10MB})
    (problem,) = inspect(bomb)[0]
    assert "`zeros.bin` declares it inflates" in problem and "(VR_MAX_ARCHIVE_RATIO)" in problem
    many = zip_bytes({f"{i}.bin": b"\0" * (RATIO_EXEMPT_BYTES // 2) for i in range(8)})
    (problem,) = inspect(many)[0]
    assert "more than 100 times its size (VR_MAX_ARCHIVE_RATIO)" in problem
    big = zip_bytes({"noise.bin": os.urandom(3 * MB)})
    (problem,) = inspect(big, ArchiveLimits(max_bytes=2 * MB))[0]
    assert "would unpack to 3.0 MB, more than the limit of 2.0 MB (VR_MAX_ARCHIVE_BYTES)" in problem


def test_bzip2_and_lzma_entries_are_refused():
    for method in (zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", method) as zf:
            zf.writestr("a.jpg", b"x" * 1000)
        (problem,) = inspect(buf.getvalue())[0]
        assert f"compression method {method}; only stored and deflate" in problem


def test_entries_sharing_their_data_are_refused():
    """Two directory records pointing at one local header: the overlapping-entries bomb."""
    data = bytearray(zip_bytes({"a.bin": b"\0" * 1000, "b.bin": b"\0" * 1000}))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        offset = zf.start_dir
    first = struct.unpack_from("<I", data, offset + 42)[0]
    n, m, k = struct.unpack_from("<HHH", data, offset + 28)
    struct.pack_into("<I", data, offset + 46 + n + m + k + 42, first)  # b.bin's record → a.bin's data
    problems, _ = inspect(bytes(data))
    assert any("overlaps another entry's data" in p for p in problems), problems


def test_a_directory_of_too_many_records_is_refused_before_it_is_parsed():
    limits = ArchiveLimits(max_files=5)
    assert inspect(zip_bytes({f"d{i}/": b"" for i in range(1000)} | {"a.jpg": b"x"}), limits)[0] == []
    data = zip_bytes({f"d{i}/": b"" for i in range(1100)})
    (problem,) = inspect(data, limits)[0]
    assert problem == "`set.zip` lists 1,100 entries; the limit is 1,015 (3 × VR_MAX_ARCHIVE_FILES + 1,000)"


def test_names_that_escape_or_link_are_refused():
    problems, _ = inspect(zip_bytes({"../x.jpg": b"x", "/abs.jpg": b"x"}, symlinks={"l.jpg": "/etc/passwd"}))
    text = " ".join(problems)
    assert "`../x.jpg` points outside" in text and "`/abs.jpg` has an absolute path" in text
    assert "`l.jpg` is a symbolic link" in text


# --- the job: real bytes, counted -----------------------------------------------------------------------


def test_unpacking_writes_each_entry_with_its_real_size_and_digest(tmp_path):
    noise = os.urandom(300_000)
    results, out = run_unpack(tmp_path, zip_bytes({"a.bin": noise, "b.txt": b"hello" * 1000}), ArchiveLimits())
    assert [r.error for r in results] == ["", ""]
    assert results[0].size_bytes == len(noise) and results[0].sha256 == hashlib.sha256(noise).hexdigest()
    assert (out / "000000").read_bytes() == noise and (out / "000001").read_bytes() == b"hello" * 1000
    assert sorted(p.name for p in out.iterdir()) == ["000000", "000001"]  # no .part left


def test_a_lying_entry_is_stopped_by_the_size_limit_and_nothing_is_left(tmp_path):
    """The directory says 1 kB, the data inflate to 10 MB: the job counts what comes out."""
    liar = lie_about_sizes(zip_bytes({"zeros.bin": ZEROS_10MB}), {"zeros.bin": 1000})
    assert inspect(liar, ArchiveLimits(max_bytes=4 * MB, max_ratio=10_000))[0] == []  # the request sees nothing wrong
    with pytest.raises(ArchiveRefused) as refused:
        run_unpack(tmp_path, liar, ArchiveLimits(max_bytes=4 * MB, max_ratio=10_000))
    assert str(refused.value) == "archive `set.zip` inflates past the limit of 4.0 MB (VR_MAX_ARCHIVE_BYTES)"
    assert list((tmp_path / "out").iterdir()) == []


def test_a_lying_entry_is_stopped_by_the_ratio_limit(tmp_path):
    liar = lie_about_sizes(zip_bytes({"ok.bin": os.urandom(2000), "zeros.bin": ZEROS_10MB}), {"zeros.bin": 10_000})
    with pytest.raises(ArchiveRefused) as refused:
        run_unpack(tmp_path, liar, ArchiveLimits(max_bytes=100 * MB, max_ratio=100))
    message = str(refused.value)
    assert message.startswith("archive entry `zeros.bin` of `set.zip` inflates to more than 100 times its compressed")
    assert message.endswith("the limit is 100 times (VR_MAX_ARCHIVE_RATIO)")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["000000"]  # only what came before, whole


def test_many_small_entries_are_stopped_by_the_archive_ratio(tmp_path):
    """Each entry stays under the ratio exemption; together they inflate 500 times the archive."""
    entries = {f"{i}.bin": b"\0" * (RATIO_EXEMPT_BYTES - 1000) for i in range(6)}
    liar = lie_about_sizes(zip_bytes(entries), {name: 1000 for name in entries})
    with pytest.raises(ArchiveRefused) as refused:
        run_unpack(tmp_path, liar, ArchiveLimits(max_bytes=100 * MB, max_ratio=100))
    assert "inflates to more than 100 times its size" in str(refused.value)
    assert "(VR_MAX_ARCHIVE_RATIO)" in str(refused.value)


def test_too_many_files_are_refused_before_any_is_inflated(tmp_path):
    with pytest.raises(ArchiveRefused) as refused:
        run_unpack(tmp_path, zip_bytes({f"{i}.jpg": b"x" for i in range(6)}), ArchiveLimits(max_files=5))
    assert str(refused.value) == "archive `set.zip` has 6 files to unpack; the limit is 5 files (VR_MAX_ARCHIVE_FILES)"
    assert list((tmp_path / "out").iterdir()) == []


def test_damaged_entries_come_back_with_a_reason_not_a_limit(tmp_path):
    noise = os.urandom(50_000)
    short = lie_about_sizes(zip_bytes({"a.bin": noise, "b.bin": b"fine"}), {"a.bin": 90_000})
    results, out = run_unpack(tmp_path, short, ArchiveLimits())
    assert "header says 90,000 bytes, its data hold 50,000" in results[0].error
    assert results[1].error == "" and (out / "000001").read_bytes() == b"fine"
    assert not (out / "000000").exists()
    flipped = bytearray(zip_bytes({"a.bin": b"abc" * 10_000}))
    for i in range(50, 60):
        flipped[i] ^= 0xFF
    (tmp_path / "again").mkdir()
    (result,), out = run_unpack(tmp_path / "again", bytes(flipped), ArchiveLimits())
    assert result.error.startswith("the archive entry is damaged"), result
    assert list(out.iterdir()) == []
