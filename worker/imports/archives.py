"""Zip archives of an import: what the request checks (the central directory only) and how the
import job unpacks them (streaming, one entry at a time, counting the real inflated bytes).

The request never inflates anything. It reads the archive's central directory and refuses, with
a 400 naming the entry, what can never be imported safely: absolute paths, ``..``, symbolic
links, duplicates, encrypted entries, compression methods other than stored and deflate (bzip2
and LZMA decompress without a bound on memory in Python's zipfile), entries whose data overlap
(a zip bomb's trick), more files than ``VR_MAX_ARCHIVE_FILES``, and sizes or compression ratios
past the limits *as declared*.

Declared sizes are an attacker's to choose, so the job trusts none of them: it inflates each
entry through Python's zipfile with the entry's size set to what the limits still allow, counts
what really comes out, and stops before writing the first byte past a limit:

- ``VR_MAX_ARCHIVE_BYTES``: everything the archive inflates to, together;
- ``VR_MAX_ARCHIVE_RATIO``: what one entry inflates to against its compressed size, and what
  the archive inflates to against the archive's size (entries and archives that stay under
  ``RATIO_EXEMPT_BYTES`` are never refused for their ratio);
- ``VR_MAX_ARCHIVE_FILES``: the number of files unpacked.

Crossing a limit raises ``ArchiveRefused`` naming the limit and its setting. An entry
whose data are damaged (bad CRC, truncated, sizes that do not match its header) is not a limit:
it comes back with an ``error`` so that the import records that one file as failed.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from annotator.asset_fields import shown, string_problem

CHUNK = 1024 * 1024
READ_AHEAD = 64 * 1024  # more than zipfile ever decompresses past what a read asks for (4 kB)
RATIO_EXEMPT_BYTES = 1024 * 1024  # inflating to less than this is never a ratio problem
SUPPORTED_COMPRESSION = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
READ_ERRORS = (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError)  # damaged data (not disk errors)


def human_bytes(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} bytes"


@dataclass(frozen=True)
class ArchiveLimits:
    max_bytes: int = 20 * 1024**3
    max_ratio: int = 100
    max_files: int = 10_000

    @classmethod
    def from_settings(cls) -> ArchiveLimits:
        from django.conf import settings

        return cls(
            max_bytes=int(getattr(settings, "VR_MAX_ARCHIVE_BYTES", 0) or cls.max_bytes),
            max_ratio=int(getattr(settings, "VR_MAX_ARCHIVE_RATIO", 0) or cls.max_ratio),
            max_files=int(getattr(settings, "VR_MAX_ARCHIVE_FILES", 0) or cls.max_files),
        )

    def entry_budget(self, compressed: int) -> int:
        """The most one entry of ``compressed`` bytes may inflate to (ratio limit)."""
        return max(self.max_ratio * compressed, RATIO_EXEMPT_BYTES)

    def archive_budget(self, archive_bytes: int) -> int:
        """The most an archive of ``archive_bytes`` may inflate to: the smaller of the size limit
        and the ratio limit."""
        return min(self.max_bytes, max(self.max_ratio * archive_bytes, RATIO_EXEMPT_BYTES))

    @property
    def max_records(self) -> int:
        """The most central directory records (files, directories, litter) parsed at all."""
        return 3 * self.max_files + 1000

    def too_many_files(self, name: str, count: int) -> str:
        return (
            f"archive `{shown(name)}` has {count:,} files to unpack; the limit is {self.max_files:,} files "
            "(VR_MAX_ARCHIVE_FILES)"
        )


class ArchiveRefused(Exception):
    """Unpacking stopped at a limit (the message names the limit and its setting), or the archive
    cannot be opened at all: the whole import fails, whatever another attempt would do."""


# --- the request: the central directory only -------------------------------------------------------------


def _declared_entry_count(fileobj) -> int | None:
    """The entry count the end-of-central-directory record states, read before the directory
    itself is parsed (a directory of millions of records would otherwise fill the memory)."""
    try:
        fileobj.seek(0)
        record = zipfile._EndRecData(fileobj)  # the stdlib's own reader of that record
    except (AttributeError, OSError, struct.error):
        return None
    return None if not record else int(record[zipfile._ECD_ENTRIES_TOTAL])


def _entry_problem(info: zipfile.ZipInfo) -> str | None:
    entry = shown(info.filename)
    problem = string_problem(info.filename)
    if problem:
        return f"archive entry name `{entry}` {problem}"
    slashed = info.filename.replace("\\", "/")
    if slashed.startswith("/") or re.match(r"^[A-Za-z]:", slashed):
        return f"archive entry `{entry}` has an absolute path"
    if ".." in slashed.split("/"):
        return f"archive entry `{entry}` points outside the archive (`..`)"
    if stat.S_ISLNK(info.external_attr >> 16):
        return f"archive entry `{entry}` is a symbolic link"
    if info.is_dir():
        return None
    if info.flag_bits & 0x1:
        return f"archive entry `{entry}` is encrypted"
    if info.compress_type not in SUPPORTED_COMPRESSION:
        return (
            f"archive entry `{entry}` uses compression method {info.compress_type}; only stored and deflate "
            "entries are accepted (re-create the zip with a standard zip tool)"
        )
    return None


def _overlapping(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> list[zipfile.ZipInfo]:
    """Entries whose data reach into the next entry's header (or the central directory): many
    directory records pointing at one compressed blob is how a small zip inflates to terabytes."""
    ordered = sorted(infos, key=lambda i: i.header_offset)
    ends = [i.header_offset for i in ordered[1:]] + [getattr(zf, "start_dir", None)]
    bad = []
    for info, end in zip(ordered, ends, strict=True):
        if end is None:
            continue
        encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
        least = info.header_offset + 30 + len(info.orig_filename.encode(encoding, "replace"))
        if least + info.compress_size > end:
            bad.append(info)
    return bad


def inspect_archive(
    fileobj, name: str, size: int, limits: ArchiveLimits, add_error: Callable[[str], None]
) -> tuple[zipfile.ZipFile | None, list[zipfile.ZipInfo]]:
    """Open the zip (its central directory, nothing inflated) and check every entry; returns
    (zip, file entries) or (None, []) after reporting each problem through ``add_error``."""
    fileobj.seek(0)
    if not zipfile.is_zipfile(fileobj):
        add_error(f"`{shown(name)}` is not a zip file")
        return None, []
    declared = _declared_entry_count(fileobj)
    too_many = f"the limit is {limits.max_records:,} (3 × VR_MAX_ARCHIVE_FILES + 1,000)"
    if declared is not None and declared > limits.max_records:
        add_error(f"`{shown(name)}` lists {declared:,} entries; {too_many}")
        return None, []
    try:
        fileobj.seek(0)
        zf = zipfile.ZipFile(fileobj)
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        add_error(f"`{shown(name)}` is not a readable zip file ({shown(str(exc), 200)})")
        return None, []
    if len(infos) > limits.max_records:
        add_error(f"`{shown(name)}` lists {len(infos):,} entries; {too_many}")
        return None, []
    seen: set[str] = set()
    files: list[zipfile.ZipInfo] = []
    failed = False
    for info in infos:
        problem = _entry_problem(info)
        if problem:
            add_error(problem)
            failed = True
            continue
        if info.is_dir():
            continue
        key = normalize(info.filename.replace("\\", "/"))
        if key in seen:
            add_error(f"archive entry `{shown(info.filename)}` appears more than once")
            failed = True
            continue
        seen.add(key)
        files.append(info)
    if failed:
        return zf, files
    for info in _overlapping(zf, files):
        add_error(f"archive entry `{shown(info.filename)}` overlaps another entry's data (a zip bomb's trick)")
        failed = True
    for info in files:
        if info.file_size > limits.entry_budget(min(info.compress_size, size)):
            ratio = info.file_size / max(1, info.compress_size)
            add_error(
                f"archive entry `{shown(info.filename)}` declares it inflates {ratio:,.0f} times "
                f"({human_bytes(info.compress_size)} to {human_bytes(info.file_size)}); the limit is "
                f"{limits.max_ratio} times (VR_MAX_ARCHIVE_RATIO)"
            )
            failed = True
    total = sum(info.file_size for info in files)
    if not failed and total > limits.max_bytes:
        add_error(
            f"`{shown(name)}` would unpack to {human_bytes(total)}, more than the limit of "
            f"{human_bytes(limits.max_bytes)} (VR_MAX_ARCHIVE_BYTES)"
        )
    elif not failed and total > limits.archive_budget(size):
        add_error(
            f"`{shown(name)}` ({human_bytes(size)}) would unpack to {human_bytes(total)}, more than "
            f"{limits.max_ratio} times its size (VR_MAX_ARCHIVE_RATIO)"
        )
    return zf, files


def normalize(path: str) -> str:
    import posixpath

    path = path.strip().replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return posixpath.normpath(path) if path else path


# --- the job: streaming, counted inflation --------------------------------------------------------------------


@dataclass
class Unpacked:
    """One entry unpacked: its real size and digest, or why its data could not be read."""

    size_bytes: int = 0
    sha256: str = ""
    error: str = ""


def _inflate(zf, info, target: Path, budget: int) -> tuple[int, str]:
    """Inflate ``info`` into ``target``, at most ``budget`` bytes; returns (bytes, sha256), or
    (budget + 1, "") when the entry holds more (nothing past ``budget`` is written)."""
    opened = copy.copy(info)
    # Read what is really there, never trusting the declared size: zipfile stops at ``file_size``
    # (and checks the CRC there), and reads ahead up to 4 kB past what is asked; this reader asks
    # for at most ``budget + 1`` bytes, so that stop is never reached before the data's own end.
    opened.file_size = budget + 1 + READ_AHEAD
    digest = hashlib.sha256()
    size = 0
    partial = target.with_name(target.name + ".part")
    try:
        with zf.open(opened) as src, open(partial, "wb") as out:
            while size <= budget:
                chunk = src.read(min(CHUNK, budget + 1 - size))
                if not chunk:
                    break
                if size + len(chunk) > budget:
                    return budget + 1, ""
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return size, digest.hexdigest()


def unpack(
    archive: Path,
    name: str,
    members: list[tuple[str, Path]],
    limits: ArchiveLimits,
    on_entry: Callable[[int, int], None] | None = None,
) -> list[Unpacked]:
    """Inflate each ``(entry name, target path)`` of the zip at ``archive`` into its target,
    one at a time, within ``limits``. ``on_entry(done, inflated bytes)`` is called after each
    entry (progress, cancel). Raises ArchiveRefused at the first limit crossed (the file
    being written is removed); a damaged entry comes back with its ``error``."""
    if len(members) > limits.max_files:
        raise ArchiveRefused(limits.too_many_files(name, len(members)))
    archive_bytes = archive.stat().st_size
    total_budget = limits.archive_budget(archive_bytes)
    total = 0
    results: list[Unpacked] = []
    try:
        zf = zipfile.ZipFile(archive)
    except (*READ_ERRORS, OSError, ValueError) as exc:
        raise ArchiveRefused(f"archive `{shown(name)}` cannot be read ({shown(str(exc), 200)})") from None
    with zf:
        for done, (member, target) in enumerate(members, start=1):
            try:
                info = zf.getinfo(member)
            except KeyError:
                results.append(Unpacked(error="the entry is missing from the archive"))
                continue
            compressed = min(info.compress_size, archive_bytes)
            entry_budget = limits.entry_budget(compressed)
            budget = min(entry_budget, total_budget - total)
            try:
                size, sha256 = _inflate(zf, info, target, budget)
            except READ_ERRORS as exc:
                results.append(Unpacked(error=f"the archive entry is damaged ({shown(str(exc), 200)})"))
                continue
            if size > budget:
                shown_name = shown(name)
                if budget == entry_budget:
                    raise ArchiveRefused(
                        f"archive entry `{shown(member)}` of `{shown_name}` inflates to more than "
                        f"{limits.max_ratio} times its compressed size ({human_bytes(compressed)} to over "
                        f"{human_bytes(budget)}): the limit is {limits.max_ratio} times (VR_MAX_ARCHIVE_RATIO)"
                    )
                if total_budget == limits.max_bytes:
                    raise ArchiveRefused(
                        f"archive `{shown_name}` inflates past the limit of {human_bytes(limits.max_bytes)} "
                        "(VR_MAX_ARCHIVE_BYTES)"
                    )
                raise ArchiveRefused(
                    f"archive `{shown_name}` ({human_bytes(archive_bytes)}) inflates to more than "
                    f"{limits.max_ratio} times its size (over {human_bytes(total_budget)}): the limit is "
                    f"{limits.max_ratio} times (VR_MAX_ARCHIVE_RATIO)"
                )
            total += size
            if size != info.file_size:
                target.unlink(missing_ok=True)
                results.append(
                    Unpacked(
                        error=f"the archive entry is damaged: its header says {info.file_size:,} bytes, "
                        f"its data hold {size:,}"
                    )
                )
            else:
                results.append(Unpacked(size_bytes=size, sha256=sha256))
            if on_entry is not None:
                on_entry(done, total)
    return results
