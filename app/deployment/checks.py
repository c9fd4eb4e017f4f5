"""The doctor's checks, one small function per item of SECURITY.md's Deployment list. Each takes what it inspects
(a uid, the text of a /proc file, a folder) and returns a Finding: ok, warning or failure, what was seen and how
to fix it. None reads the machine by itself, except through the paths it is given; none puts a personal value
(a participant's, or a person's account name) in what it says."""

from __future__ import annotations

import datetime
import enum
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from app.backups import rotation
from app.deployment import torrc
from app.deployment.machine import Listener, ServerProcess, SwapArea
from app.serving.memory_hardening import GLIBC_TUNABLES
from app.serving.server import is_loopback
from app.web.onion import OnionHostnameInvalid, parse_onion_hostname

NOT_RUNNING = "not checked: no Gatehouse server is running on that port as this user"
NO_LOGIN_SHELLS = ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false", "")
MIB = 1 << 20


class Status(enum.Enum):
    OK = "ok"
    WARNING = "warning"
    FAILURE = "FAILURE"


@dataclass(frozen=True)
class Finding:
    item: str
    status: Status
    seen: str
    fix: str = ""


def _ok(item: str, seen: str) -> Finding:
    return Finding(item, Status.OK, seen)


def loopback(host: str, port: int, sockets: Iterable[Listener]) -> Finding:
    item = "bound to loopback"
    if not is_loopback(host):
        return Finding(item, Status.FAILURE, f"serve is told to listen on {host}", "serve on --host 127.0.0.1 only")
    on_port = [socket for socket in sockets if socket.port == port]
    public = sorted({str(socket.address) for socket in on_port if not socket.address.is_loopback})
    if public:
        return Finding(
            item,
            Status.FAILURE,
            f"port {port} listens on {', '.join(public)}, which other machines can reach",
            "stop that server and serve with --host 127.0.0.1; Tor reaches it on loopback",
        )
    if not on_port:
        return Finding(item, Status.WARNING, f"nothing listens on port {port}", "start it: systemctl start gatehouse")
    return _ok(item, f"port {port} listens on loopback only")


def service_user(server_uid: int | None, instance_owner: int, shell: str | None) -> Finding:
    """The user serving (or, with no server running, the one owning the instance, whom serve must run as)."""
    item = "dedicated user"
    uid = instance_owner if server_uid is None else server_uid
    if uid == 0:
        return Finding(
            item,
            Status.FAILURE,
            "Gatehouse runs as root" if server_uid == 0 else "the instance belongs to root",
            "make a system user (useradd --system --shell /usr/sbin/nologin gatehouse), give it the instance "
            "(chown -R gatehouse: DIR) and serve as it (User= in the unit)",
        )
    if server_uid is not None and server_uid != instance_owner:
        return Finding(
            item,
            Status.FAILURE,
            f"the server runs as uid {server_uid}, the instance belongs to uid {instance_owner}",
            "serve as the user that owns the instance folder",
        )
    if shell is not None and shell not in NO_LOGIN_SHELLS:
        return Finding(
            item,
            Status.WARNING,
            f"uid {uid} can log in (its shell is {shell}): a person's account, not one of its own",
            "serve as a system user with no shell: useradd --system --shell /usr/sbin/nologin gatehouse",
        )
    return _ok(item, f"uid {uid}, not root, no login shell")


def owner_only(folders: Iterable[Path], owner: int) -> Finding:
    """Every file (0600) and folder (0700) in these folders is the owner's only, and belongs to the owner."""
    item = "owner-only files"
    open_to_others: list[str] = []
    other_owner: list[str] = []
    for folder in folders:
        for path in [folder, *sorted(folder.rglob("*"))]:
            status = path.lstat()
            if stat.S_ISLNK(status.st_mode):
                continue
            name = str(path if path == folder else path.relative_to(folder))
            if stat.S_IMODE(status.st_mode) & 0o077:
                open_to_others.append(f"{name} ({stat.S_IMODE(status.st_mode):04o})")
            if status.st_uid != owner:
                other_owner.append(name)
    if other_owner:
        return Finding(
            item,
            Status.FAILURE,
            f"not the owner's: {_some(other_owner)}",
            "give them to the user that serves: chown -R USER: FOLDER",
        )
    if open_to_others:
        return Finding(
            item,
            Status.FAILURE,
            f"open to others: {_some(open_to_others)}",
            "chmod -R go-rwx FOLDER (the unit's UMask=0077 keeps new files so)",
        )
    return _ok(item, "every file 0600 or stricter, every folder 0700 or stricter, all the owner's")


def _some(names: list[str]) -> str:
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def swap(areas: Iterable[SwapArea]) -> Finding:
    item = "swap off or encrypted"
    areas = list(areas)
    unencrypted = [f"{area.name} ({area.kind})" for area in areas if area.backing == "disk"]
    unknown = [f"{area.name} ({area.kind})" for area in areas if area.backing == "unknown"]
    if unencrypted:
        return Finding(
            item,
            Status.FAILURE,
            f"swap on a disk, unencrypted: {', '.join(unencrypted)}; an open session's keys could be written there",
            "swapoff -a and remove it from /etc/fstab, or encrypt it (a random key in /etc/crypttab)",
        )
    if unknown:
        return Finding(
            item,
            Status.WARNING,
            f"could not tell whether this swap is encrypted: {', '.join(unknown)}",
            "swapoff -a and remove it from /etc/fstab, or put it on dm-crypt",
        )
    if not areas:
        return _ok(item, "swap is off")
    return _ok(item, "swap is encrypted (dm-crypt) or in memory (zram)")


def core_dumps(server: ServerProcess | None, core_pattern: str) -> Finding:
    item = "core dumps off"
    pattern = core_pattern.strip()
    if server is None:
        return Finding(item, Status.WARNING, NOT_RUNNING, "LimitCORE=0 in the unit (gatehouse systemd-unit has it)")
    if server.core_limit != 0:
        limit = "unlimited" if server.core_limit is None else f"{server.core_limit} bytes"
        return Finding(
            item,
            Status.FAILURE,
            f"the server may dump its memory to disk (core limit {limit})",
            "LimitCORE=0 in the unit, or ulimit -c 0 before serving",
        )
    if pattern.startswith("|") and "systemd-coredump" not in pattern:
        return Finding(
            item,
            Status.WARNING,
            f"kernel.core_pattern hands dumps to {pattern.split()[0][1:]}, which may not heed the limit",
            "sysctl -w kernel.core_pattern=core, and keep it in /etc/sysctl.d/",
        )
    return _ok(item, "the server's core limit is 0")


def memory_hardening(server: ServerProcess | None, libc: str) -> Finding:
    item = "memory hardening"
    if libc != "glibc":
        return Finding(
            item, Status.FAILURE, f"the C library is {libc or 'not glibc'}", "serve on a glibc Linux (Debian, Ubuntu)"
        )
    if server is None or server.environment is None:
        return Finding(item, Status.WARNING, NOT_RUNNING, "serve with gatehouse serve, PYTHONMALLOC left unset")
    environment = server.environment
    if environment.get("PYTHONMALLOC") != "malloc" or not set(GLIBC_TUNABLES.split(":")) <= _tunables(environment):
        return Finding(
            item,
            Status.FAILURE,
            "the server does not overwrite freed memory (PYTHONMALLOC was set, or it was not started by serve)",
            "unset PYTHONMALLOC (Environment= in the unit, the shell) and serve with gatehouse serve",
        )
    return _ok(item, "freed memory is overwritten (PYTHONMALLOC=malloc, glibc perturb, no tcache)")


def _tunables(environment: dict[str, str]) -> set[str]:
    """The glibc tunables a process started with. glibc ends each value with a NUL in place as it reads them, so
    /proc/PID/environ shows the second and later ones as entries of their own."""
    seen = set(environment.get("GLIBC_TUNABLES", "").split(":"))
    return seen | {f"{name}={value}" for name, value in environment.items() if name.startswith("glibc.")}


def tor_service(torrc_text: str | None, port: int) -> Finding:
    item = "tor onion service"
    add = f"gatehouse tor-config --port {port} >> /etc/tor/torrc; systemctl reload tor"
    if torrc_text is None:
        return Finding(item, Status.FAILURE, "cannot read the torrc", add)
    ours = [
        (service, target)
        for service in torrc.onion_services(torrc_text)
        for target in service.targets
        if target.port == port
    ]
    if not ours:
        return Finding(item, Status.FAILURE, f"no HiddenServicePort leads to port {port}", add)
    service, target = ours[0]
    if not target.on_loopback:
        return Finding(
            item,
            Status.FAILURE,
            f"HiddenServicePort leads to {target.address}:{port}, not to loopback",
            f"HiddenServicePort 80 127.0.0.1:{port}",
        )
    if not service.proof_of_work:
        return Finding(
            item,
            Status.WARNING,
            f"HiddenServiceDir {service.directory} has proof-of-work off: a flood can keep people out",
            "add HiddenServicePoWDefensesEnabled 1 under it (Tor 0.4.8 or newer), reload tor",
        )
    return _ok(item, f"HiddenServiceDir {service.directory} leads to 127.0.0.1:{port}, proof-of-work on")


def tor_running(process_names: Iterable[str]) -> Finding:
    if "tor" in set(process_names):
        return _ok("tor running", "a tor process is running")
    return Finding("tor running", Status.FAILURE, "no tor process is running", "systemctl enable --now tor")


def onion_hostname(path: Path | None) -> Finding:
    item = "onion hostname file"
    if path is None:
        return Finding(item, Status.WARNING, "not checked: no hostname file given", "give --onion-hostname-file")
    try:
        parse_onion_hostname(path.read_text("ascii"))
    except FileNotFoundError:
        return Finding(
            item,
            Status.FAILURE,
            f"{path} is not there",
            "copy it from Tor's HiddenServiceDir once Tor has written it (docs/DEPLOY.md, step 4)",
        )
    except (OSError, UnicodeDecodeError):
        return Finding(
            item,
            Status.FAILURE,
            f"{path} cannot be read by this user",
            "as root: install -o gatehouse -m 0600 /var/lib/tor/gatehouse/hostname to a folder of its own",
        )
    except OnionHostnameInvalid:
        return Finding(item, Status.FAILURE, f"{path} holds no onion address", "give the `hostname` file tor wrote")
    return _ok(item, f"{path} is readable and holds an onion address")


def clock(today: datetime.date, log_latest: datetime.date | None) -> Finding:
    item = "clock"
    if log_latest is not None and today < log_latest:
        return Finding(
            item,
            Status.FAILURE,
            f"the system clock says {today}, behind the audit log's latest day {log_latest}",
            "set the clock right (timedatectl set-ntp true); until then every day counts as the log's latest",
        )
    return _ok(item, f"the system clock ({today}) is not behind the audit log")


def disk_space(free_bytes: int, database_bytes: int, folder: Path) -> Finding:
    """A purge rewrites the database (as much again), and each backup is about its size."""
    item = "disk space"
    seen = f"{free_bytes // MIB} MiB free for {folder}, the database is {database_bytes // MIB} MiB"
    if free_bytes < max(2 * database_bytes, 64 * MIB):
        return Finding(item, Status.FAILURE, seen, "free space: a purge rewrites the whole database")
    if free_bytes < max(10 * database_bytes, 1024 * MIB):
        return Finding(item, Status.WARNING, seen, "free space: each backup takes about the database's size")
    return _ok(item, seen)


def newest_backup(folder: Path | None, event_id: str, today: datetime.date) -> Finding:
    item = "newest backup"
    make = "gatehouse backup --into FOLDER --keep 7, every day from a timer"
    if folder is None:
        return Finding(item, Status.WARNING, "not checked: no backup folder given", "give --backup-folder")
    backups = rotation.backups_in(folder, event_id) if folder.is_dir() else []
    if not backups:
        return Finding(item, Status.FAILURE, f"no backup in {folder}", make)
    age = (today - backups[-1].taken).days
    if age > 7:
        return Finding(item, Status.FAILURE, f"the newest backup is {age} days old", make)
    if age > 1:
        return Finding(item, Status.WARNING, f"the newest backup is {age} days old", make)
    return _ok(item, f"the newest backup was taken {backups[-1].taken}")
