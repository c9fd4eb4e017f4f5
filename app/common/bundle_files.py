"""Bundle files on disk: FILE for a bundle in one part, FILE.part-N-of-M for one cut into M parts.

Parts are written whole and synced to the disk, or not left behind at all; none is overwritten.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from app.common.errors import GatehouseError
from app.common.secret_files import SecretFileError, create_secret_file

_SIZE = re.compile(r"(\d+)\s*(b|kb|kib|k|mb|mib|m|gb|gib|g)?", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 10**6, "mb": 10**6, "mib": 2**20}
_UNITS.update({"g": 10**9, "gb": 10**9, "gib": 2**30})


class BundleFileError(GatehouseError):
    """A bundle file that cannot be written or read; the message is fit to show."""


def part_paths(out: Path, count: int) -> list[Path]:
    if count == 1:
        return [out]
    return [out.with_name(f"{out.name}.part-{number}-of-{count}") for number in range(1, count + 1)]


def write_parts(out: Path, parts: Sequence[bytes]) -> list[Path]:
    """Write each part to its own file (mode 0600) and sync it; on any failure remove what was written."""
    paths = part_paths(out, len(parts))
    for path in paths:
        if path.exists():
            raise BundleFileError(f"{path} exists already: not overwritten. Choose another name or move it away.")
    written: list[Path] = []
    try:
        for path, part in zip(paths, parts, strict=True):
            with create_secret_file(path) as sink:
                written.append(path)
                sink.write(part)
        _sync_folder(out.parent)
    except SecretFileError as error:
        _remove(written)
        raise BundleFileError(str(error)) from None
    except OSError as error:
        _remove(written)
        raise BundleFileError(f"could not write {out}: {error.strerror or error}") from None
    except BaseException:
        _remove(written)
        raise
    return paths


def read_parts(paths: Sequence[Path]) -> list[bytes]:
    parts = []
    for path in paths:
        try:
            parts.append(Path(path).read_bytes())
        except OSError as error:
            raise BundleFileError(f"could not read {path}: {error.strerror or error}") from None
    return parts


def parse_size(text: str) -> int:
    """'500KB', '1MB', '2MiB' or a number of bytes; KB and MB are powers of ten, KiB and MiB of two."""
    match = _SIZE.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a size: write it like 500KB, 2MB or 100000")
    return int(match.group(1)) * _UNITS[(match.group(2) or "").lower()]


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder if str(folder) else ".", os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _remove(paths: Sequence[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
