"""Run a systemd unit's ExecStart under the unit's own restrictions, as far as an unprivileged process can put
them on itself, so that a test sees `gatehouse serve` work inside them without systemd or root.

    python tests/confinement.py UNIT_FILE PRIVATE_TMP [COMMAND...]

Applied from the unit's text, each only when the unit says so:

- NoNewPrivileges=yes       prctl(PR_SET_NO_NEW_PRIVS)
- LimitCORE=0               setrlimit(RLIMIT_CORE, 0)
- UMask=0077                umask
- ProtectSystem=strict with ReadWritePaths=, and PrivateTmp=yes: Landlock allows writing (creating, removing,
  renaming, truncating) only beneath ReadWritePaths, /dev, and PRIVATE_TMP (which stands for the private /tmp,
  set as TMPDIR); anything else is refused with EACCES
- MemoryDenyWriteExecute=yes   prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN): no mapping both writable and executable,
  nor made executable later (Linux 6.3 and newer; systemd 252 does the same with seccomp)
- SystemCallFilter=@system-service   a seccomp allow-list of the groups `systemd-analyze syscall-filter` lists, the
  process killed on any other call, as systemd does
- RestrictAddressFamilies=   socket() of any other family fails with EAFNOSUPPORT, as under systemd

COMMAND, when given, runs instead of the unit's ExecStart (to show that the confinement refuses what it should).
What needs a mount namespace (ProtectHome, PrivateDevices, ProtectKernel*, ProtectControlGroups) or another user
is not applied here: `systemd-analyze verify` checks those.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from app.deployment.systemd_unit import HIDDEN_FROM_THE_SERVICE

ROOT = Path(__file__).resolve().parent.parent
PR_SET_NO_NEW_PRIVS = 38
PR_SET_MDWE = 65
PR_MDWE_REFUSE_EXEC_GAIN = 1

# Landlock (include/uapi/linux/landlock.h); the syscall numbers are the same on every architecture.
LANDLOCK_CREATE_RULESET, LANDLOCK_ADD_RULE, LANDLOCK_RESTRICT_SELF = 444, 445, 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
WRITE_FILE = 1 << 1
# REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR, MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM: ABI 1
WRITES_BY_ABI = {1: WRITE_FILE | sum(1 << bit for bit in range(4, 13)), 2: 1 << 13, 3: 1 << 14}  # REFER; TRUNCATE

SCMP_ACT_KILL_PROCESS = 0x80000000
SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_EQ = 4
EAFNOSUPPORT = 97
ADDRESS_FAMILIES = {"AF_UNIX": 1, "AF_INET": 2, "AF_INET6": 10}

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def directives(unit_text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in unit_text.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def _check(result: int, what: str) -> int:
    if result < 0:
        raise OSError(ctypes.get_errno(), f"{what}: {os.strerror(ctypes.get_errno())}")
    return result


def landlock_abi() -> int:
    """The Landlock ABI version the kernel offers; 0 when it has none."""
    version = libc.syscall(LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(int(version), 0)


def mdwe_available() -> bool:
    return libc.prctl(66, 0, 0, 0, 0) >= 0  # PR_GET_MDWE


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def allow_writes_only_beneath(folders: list[Path]) -> None:
    abi = landlock_abi()
    if abi < 1:
        raise OSError("this kernel has no Landlock")
    writes = sum(bits for version, bits in WRITES_BY_ABI.items() if version <= abi)
    handled = ctypes.c_uint64(writes)
    ruleset = _check(libc.syscall(LANDLOCK_CREATE_RULESET, ctypes.byref(handled), ctypes.c_size_t(8), 0), "ruleset")
    for folder in folders:
        descriptor = os.open(folder, os.O_PATH | os.O_CLOEXEC)
        rule = _PathBeneath(writes, descriptor)
        _check(libc.syscall(LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_PATH_BENEATH, ctypes.byref(rule), 0), "rule")
        os.close(descriptor)
    _check(libc.syscall(LANDLOCK_RESTRICT_SELF, ruleset, 0), "restrict")
    os.close(ruleset)


def system_call_groups() -> dict[str, list[str]]:
    """Every group `systemd-analyze syscall-filter` knows, with its members (system calls or other groups)."""
    analyze = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"
    listing = subprocess.run([analyze, "syscall-filter"], capture_output=True, text=True, check=True).stdout
    groups: dict[str, list[str]] = {}
    current: list[str] = []
    for line in listing.splitlines():
        if line.startswith("@"):
            current = groups.setdefault(line.strip(), [])
        elif line.strip() and not line.strip().startswith("#") and line.startswith(" "):
            current.append(line.strip())
    return groups


def expand(names: list[str], groups: dict[str, list[str]]) -> set[str]:
    calls: set[str] = set()
    for name in names:
        calls |= expand(groups[name], groups) if name.startswith("@") else {name}
    return calls


class _ArgCompare(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("a", ctypes.c_uint64), ("b", ctypes.c_uint64)]


def _seccomp():
    seccomp = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    seccomp.seccomp_init.restype = ctypes.c_void_p
    seccomp.seccomp_init.argtypes = [ctypes.c_uint32]
    seccomp.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    seccomp.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(_ArgCompare),
    ]
    seccomp.seccomp_load.argtypes = [ctypes.c_void_p]
    return seccomp


def restrict_system_calls(allowed_names: list[str], families: list[str]) -> None:
    seccomp = _seccomp()
    if families:
        # Its own filter, allowing everything but socket() of another family, as systemd installs it.
        context = seccomp.seccomp_init(SCMP_ACT_ALLOW)
        number = seccomp.seccomp_syscall_resolve_name(b"socket")
        allowed_families = {ADDRESS_FAMILIES[name] for name in families}
        for family in sorted(set(range(64)) - allowed_families):
            compare = (_ArgCompare * 1)(_ArgCompare(0, SCMP_CMP_EQ, family, 0))
            _check(seccomp.seccomp_rule_add_array(context, 0x00050000 | EAFNOSUPPORT, number, 1, compare), "family")
        _check(seccomp.seccomp_load(context), "seccomp_load")
    if allowed_names:
        context = seccomp.seccomp_init(SCMP_ACT_KILL_PROCESS)
        for name in sorted(expand(allowed_names, system_call_groups())):
            number = seccomp.seccomp_syscall_resolve_name(name.encode())
            if number >= 0:
                _check(seccomp.seccomp_rule_add_array(context, SCMP_ACT_ALLOW, number, 0, None), name)
        _check(seccomp.seccomp_load(context), "seccomp_load")


def confine(unit_text: str, private_tmp: Path) -> None:
    """Put on this process every restriction of the unit that it can put on itself."""
    found = directives(unit_text)
    if found.get("NoNewPrivileges") == ["yes"] or found.get("SystemCallFilter"):
        _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    if "LimitCORE" in found:
        limit = int(found["LimitCORE"][-1])
        resource.setrlimit(resource.RLIMIT_CORE, (limit, limit))
    if "UMask" in found:
        os.umask(int(found["UMask"][-1], 8))
    if found.get("ProtectSystem") == ["strict"]:
        writable = [Path(path) for value in found.get("ReadWritePaths", []) for path in shlex.split(value)]
        if found.get("PrivateTmp") == ["yes"]:
            writable.append(private_tmp)
            os.environ["TMPDIR"] = str(private_tmp)
        allow_writes_only_beneath([*writable, Path("/dev")])
    if found.get("MemoryDenyWriteExecute") == ["yes"]:
        _check(libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0), "mdwe")
    families = [name for value in found.get("RestrictAddressFamilies", []) for name in value.split()]
    calls = [name for value in found.get("SystemCallFilter", []) for name in value.split()]
    restrict_system_calls(calls, families)


def exec_start(unit_text: str) -> list[str]:
    return shlex.split(directives(unit_text)["ExecStart"][-1].replace("%%", "%").replace("$$", "$"))


def can_confine() -> str | None:
    """Why this machine's kernel cannot apply the unit's restrictions to a process; None when it can. (The
    tools the tests also need are checked by require_tools.)"""
    if landlock_abi() < 1:
        return "the kernel has no Landlock (Linux 5.13 or newer, with landlock among its LSMs)"
    if not mdwe_available():
        return "the kernel has no PR_SET_MDWE (Linux 6.3 or newer)"
    return None


def require_tools() -> None:
    """systemd-analyze and libseccomp, which .ci/run installs: missing, the test skips, or fails in CI."""
    from tests.real_parts import missing, require_program  # here: this file also runs as a script, without tests

    require_program("systemd-analyze")
    try:
        ctypes.CDLL("libseccomp.so.2")
    except OSError:
        missing("libseccomp (Debian's libseccomp2)")


@contextlib.contextmanager
def folder_outside_tmp() -> Iterator[Path]:
    """A fresh folder that is not under /tmp, which a unit's PrivateTmp would hide (and the unit refuses): beside
    the checkout, or, for a checkout under /tmp (as CI may make it), in the home folder's cache."""
    candidates = (ROOT / "test-artifacts" / "units", Path.home() / ".cache" / "gatehouse-test-units")
    base = next((folder for folder in candidates if not _hidden_from_a_unit(folder)), None)
    if base is None:
        raise RuntimeError(f"no folder a unit can see: {', '.join(map(str, candidates))} are all hidden from it")
    base.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=base))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def program_environment(folder: Path) -> dict[str, str]:
    """GATEHOUSE_PROGRAM for `systemd-unit`: nothing when the installed program is where a unit can run it; for
    an installation under /tmp (a checkout CI made there), a wrapper in ``folder`` that runs it. The tests run
    the unit's command themselves, without systemd's private /tmp, so the wrapper reaches the program."""
    program = Path(sys.executable).parent / "gatehouse"
    if not _hidden_from_a_unit(program):
        return {}
    wrapper = folder / "gatehouse"
    wrapper.write_text(f'#!/bin/sh\nexec {shlex.quote(str(program))} "$@"\n')
    wrapper.chmod(0o755)
    return {"GATEHOUSE_PROGRAM": str(wrapper)}


def _hidden_from_a_unit(path: Path) -> bool:
    absolute = path.absolute()
    return any(absolute.is_relative_to(folder) for folder in HIDDEN_FROM_THE_SERVICE)


def wait_for(url: str, process: subprocess.Popen, output: Path | None = None) -> None:
    """Until the server answers at ``url``; RuntimeError, with what it printed, if it stops or takes 30 s."""
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()  # noqa: S310 (loopback)
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                printed = output.read_text(errors="replace") if output else ""
                raise RuntimeError("the server did not start:\n" + printed) from None
            time.sleep(0.1)


@contextlib.contextmanager
def serving_unit(unit_file: Path, private_tmp: Path, url: str) -> Iterator[subprocess.Popen]:
    """The unit's ExecStart running under its restrictions, until the block ends; it must answer at ``url``."""
    output = private_tmp.parent / "confined-server-output.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, __file__, str(unit_file), str(private_tmp)], stdout=sink, stderr=subprocess.STDOUT
        )
    wait_for(url, process, output)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    unit = Path(sys.argv[1]).read_text()
    command = sys.argv[3:] or exec_start(unit)
    confine(unit, Path(sys.argv[2]))
    os.execv(command[0], command)  # noqa: S606 (the unit's own command, or the test's)
