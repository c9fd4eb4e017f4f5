"""Reading what the kernel says about this machine: listening sockets, swap areas and what they sit on, and the
serving process's user, limits and environment. Each parser takes the text of its /proc or /sys file, so that a
test hands it any machine it likes."""

from __future__ import annotations

import ipaddress
import os
import sys
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
SYS = Path("/sys")
_LISTEN = "0A"


@dataclass(frozen=True)
class Listener:
    """A TCP socket in the LISTEN state, as /proc/net/tcp and tcp6 show it."""

    address: ipaddress.IPv4Address | ipaddress.IPv6Address
    port: int
    uid: int
    inode: int


def listeners(proc_net_tcp: str) -> list[Listener]:
    """The listening sockets of /proc/net/tcp or /proc/net/tcp6 (addresses in hex, 32-bit words in host order)."""
    found = []
    for line in proc_net_tcp.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10 or fields[3] != _LISTEN:
            continue
        address_hex, port_hex = fields[1].split(":")
        words = [address_hex[start : start + 8] for start in range(0, len(address_hex), 8)]
        packed = b"".join(int(word, 16).to_bytes(4, sys.byteorder) for word in words)
        found.append(Listener(ipaddress.ip_address(packed), int(port_hex, 16), int(fields[7]), int(fields[9])))
    return found


def read_listeners(proc: Path = PROC) -> list[Listener]:
    found = []
    for name in ("tcp", "tcp6"):
        try:
            found += listeners((proc / "net" / name).read_text())
        except FileNotFoundError:
            continue  # a kernel without IPv6
    return found


@dataclass(frozen=True)
class SwapArea:
    """A line of /proc/swaps, and what it is written to: 'encrypted', 'memory', 'disk' or 'unknown'."""

    name: str
    kind: str
    backing: str


def swap_areas(proc_swaps: str, sys_root: Path = SYS) -> list[SwapArea]:
    areas = []
    for line in proc_swaps.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 2:
            name = fields[0].replace("\\040", " ")
            areas.append(SwapArea(name, fields[1], _backing(name, fields[1], sys_root)))
    return areas


def _backing(name: str, kind: str, sys_root: Path) -> str:
    if kind == "partition":
        device = Path(os.path.realpath(name)).name
    else:
        try:
            status = os.stat(name)
        except OSError:
            return "unknown"
        link = sys_root / "dev" / "block" / f"{os.major(status.st_dev)}:{os.minor(status.st_dev)}"
        if not link.exists():
            return "unknown"  # a file system on no block device this kernel names (btrfs, a network disk)
        device = link.resolve().name
    if device.startswith("zram"):
        return "memory"
    return "encrypted" if on_dm_crypt(device, sys_root) else "disk"


def on_dm_crypt(device: str, sys_root: Path = SYS, depth: int = 0) -> bool:
    """Whether a block device is a dm-crypt mapping or sits on one (LVM on LUKS): its dm uuid starts with CRYPT-,
    or one of the devices under it (its `slaves`) is so."""
    folder = sys_root / "class" / "block" / device
    try:
        if (folder / "dm" / "uuid").read_text().startswith("CRYPT-"):
            return True
    except OSError:
        pass
    slaves = folder / "slaves"
    if depth > 8 or not slaves.is_dir():
        return False
    return any(on_dm_crypt(slave.name, sys_root, depth + 1) for slave in slaves.iterdir())


@dataclass(frozen=True)
class ServerProcess:
    """The process that listens on Gatehouse's port: its user, its core dump limit (None: unlimited) and its
    environment (None when this user may not read it)."""

    pid: int
    uid: int
    core_limit: int | None
    environment: dict[str, str] | None


def core_limit(limits_text: str) -> int | None:
    """The soft 'Max core file size' of /proc/PID/limits, in bytes; None for unlimited."""
    for line in limits_text.splitlines():
        if line.startswith("Max core file size"):
            soft = line[len("Max core file size") :].split()[0]
            return None if soft == "unlimited" else int(soft)
    return None


def environment(environ_bytes: bytes) -> dict[str, str]:
    pairs = (entry.decode("utf-8", "replace").partition("=") for entry in environ_bytes.split(b"\0") if entry)
    return {name: value for name, _, value in pairs}


def effective_uid(status_text: str) -> int:
    for line in status_text.splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[2])
    raise ValueError("no Uid line")


def server_process(sockets: list[Listener], proc: Path = PROC) -> ServerProcess | None:
    """The process holding one of these sockets, if this user may see its descriptors (its own, or any as root)."""
    wanted = {f"socket:[{socket.inode}]" for socket in sockets}
    for folder in proc.iterdir():
        if not folder.name.isdigit():
            continue
        try:
            descriptors = list((folder / "fd").iterdir())
            if not any(os.readlink(descriptor) in wanted for descriptor in descriptors):
                continue
            uid = effective_uid((folder / "status").read_text())
            limit = core_limit((folder / "limits").read_text())
        except OSError:
            continue  # another user's process, or one that ended meanwhile
        try:
            environ: dict[str, str] | None = environment((folder / "environ").read_bytes())
        except OSError:
            environ = None
        return ServerProcess(int(folder.name), uid, limit, environ)
    return None


def process_names(proc: Path = PROC) -> set[str]:
    """The command names (comm) of every process this user can see."""
    names = set()
    for folder in proc.iterdir():
        if folder.name.isdigit():
            try:
                names.add((folder / "comm").read_text().strip())
            except OSError:
                continue
    return names
