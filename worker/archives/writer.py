"""Writing one archive (zip, or gzip-compressed tar) of a dataset version's files, streamed
from readers the caller opens, with a callback after every chunk. Pure: no Django.

Archives are reproducible: members in the order given (the version's sorted file list), every
member dated ``mtime`` with mode 0644, no owner names.
"""

from __future__ import annotations

import gzip
import tarfile
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import BinaryIO

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Member:
    """One file: its path inside the archive, its size and how to open it for reading."""

    arcname: str
    size: int
    open: Callable[[], BinaryIO]


# progress(files_done, bytes_done) after each chunk and file; it may raise to stop the writing
Progress = Callable[[int, int], None]


class _Counting:
    """A reader that reports every chunk read through it (tarfile copies from it)."""

    def __init__(self, raw: BinaryIO, step: Callable[[int], None]):
        self.raw, self.step = raw, step

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        if data:
            self.step(len(data))
        return data


def write_archive(out: str, fmt: str, members: Iterable[Member], *, mtime: float, progress: Progress) -> None:
    """Write ``members`` into the archive file ``out`` (``fmt``: ``zip`` or ``tar``)."""
    done = {"files": 0, "bytes": 0}

    def step(n: int) -> None:
        done["bytes"] += n
        progress(done["files"], done["bytes"])

    if fmt == "zip":
        stamp = time.gmtime(max(mtime, 315532800))[:6]  # zip dates start in 1980
        # parquet shards and embedded images are compressed already: stored, not deflated again
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            for member in members:
                info = zipfile.ZipInfo(member.arcname, date_time=stamp)
                info.external_attr = 0o100644 << 16
                info.file_size = member.size
                with member.open() as src, zf.open(info, "w", force_zip64=member.size > 2**31) as dst:
                    while data := src.read(CHUNK):
                        dst.write(data)
                        step(len(data))
                done["files"] += 1
                progress(done["files"], done["bytes"])
    elif fmt == "tar":
        with (
            open(out, "wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=int(mtime)) as gz,
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tf,
        ):
            for member in members:
                info = tarfile.TarInfo(member.arcname)
                info.size, info.mtime, info.mode = member.size, int(mtime), 0o644
                with member.open() as src:
                    tf.addfile(info, _Counting(src, step))
                done["files"] += 1
                progress(done["files"], done["bytes"])
    else:
        raise ValueError(f"unknown archive format {fmt!r}")
