"""The serving process overwrites memory as it frees it, so that what a request held does not linger.

Python frees objects without clearing them: values participants typed, and keys a staff session
held, stay readable in a memory image of the server long after use (SECURITY.md gives the
measured figures). With every Python allocation routed through the C library (PYTHONMALLOC=malloc)
and glibc told to overwrite each block it frees (malloc.perturb), with its per-thread cache of
freed blocks off so that none skips the overwrite (malloc.tcache_count=0), freed memory is
cleared at once. Both settings are read when a process starts, so the server starts itself again
with them, once; the cost measured here is under a tenth more CPU per registration.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Mapping

PERTURB_BYTE = 0x55
GLIBC_TUNABLES = f"glibc.malloc.perturb={PERTURB_BYTE}:glibc.malloc.tcache_count=0"


def hardened_environment(environment: Mapping[str, str]) -> dict[str, str] | None:
    """The environment to start again with; None when it is hardened already or cannot be.

    An operator who sets PYTHONMALLOC themselves has chosen: it is left alone.
    """
    if "PYTHONMALLOC" in environment or platform.libc_ver()[0] != "glibc":
        return None
    tunables = ":".join(part for part in (environment.get("GLIBC_TUNABLES", ""), GLIBC_TUNABLES) if part)
    return {**environment, "PYTHONMALLOC": "malloc", "GLIBC_TUNABLES": tunables}


def restart_hardened() -> None:
    """Replace this process with the same command under the hardened environment (same process id).

    Only a process started to serve is restarted: one that runs the command from inside itself
    (a test runner, an embedding program) is left as it is.
    """
    environment = hardened_environment(os.environ)
    if environment is None or not {"serve", "demo"} & set(sys.orig_argv):
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], environment)  # noqa: S606 (our own command line)
