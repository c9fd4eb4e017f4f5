"""Files that hold a secret or personal data: created new, owner-only from the first byte, never through a link.

A QR code of a TOTP secret, a key file, an export, a kit file, a bundle: each is opened with O_EXCL (an
existing file, or a link another user planted, is refused rather than written through) and O_NOFOLLOW,
and set to mode 0600 on the open descriptor, whatever the umask.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from app.common.errors import GatehouseError


class SecretFileError(GatehouseError):
    """A file that could not be created; the message names the file and why."""


@contextlib.contextmanager
def create_secret_file(path: Path) -> Iterator[BinaryIO]:
    """A new file at ``path``, mode 0600, written, flushed and synced when the block ends; removed on failure."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        raise SecretFileError(f"{path} exists already: not overwritten. Choose another name or move it away.") from None
    except OSError as error:
        raise SecretFileError(f"could not write {path}: {error.strerror or error}") from None
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "wb") as sink:
            yield sink
            sink.flush()
            os.fsync(sink.fileno())
    except BaseException:
        Path(path).unlink(missing_ok=True)
        raise


def private_folder(path: Path) -> Path:
    """A folder only its owner can enter (mode 0700), made if missing, tightened if it was looser.

    Refused if another user owns it: they could swap what is in it.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_uid != os.geteuid():
        raise SecretFileError(f"{path} belongs to another user: choose a folder of your own")
    os.chmod(path, 0o700)
    return path


def restrict_to_owner(paths: list[Path]) -> None:
    """Make each existing file owner-only (mode 0600): for instances set up before files were made so."""
    for path in paths:
        if path.exists() and not path.is_symlink() and path.stat().st_uid == os.geteuid():
            os.chmod(path, 0o600)


def overwrite_and_remove(path: Path) -> None:
    """Overwrite a file with random bytes, then remove it: on a disk that writes in place, the old bytes do not
    outlive the file (on a copy-on-write or flash-translated disk they may: SECURITY.md, limits)."""
    size = path.stat().st_size
    with path.open("r+b") as handle:
        for offset in range(0, size, 1 << 20):
            handle.write(os.urandom(min(1 << 20, size - offset)))
        handle.flush()
        os.fsync(handle.fileno())
    path.unlink()
