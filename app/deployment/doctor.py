"""`gatehouse doctor`: the machine's real values gathered (sockets, swap, the serving process, the torrc, the
instance's files and log, the backups) and handed to each check of SECURITY.md's Deployment list."""

from __future__ import annotations

import datetime
import os
import platform
import pwd
from dataclasses import dataclass
from pathlib import Path

from app.audit import log as audit
from app.common.clock import SYSTEM_CLOCK, Clock
from app.deployment import checks, machine, torrc
from app.deployment.checks import Finding, Status
from app.instance import folder
from app.instance.folder import InstanceMissing, opened
from app.storage.db import DATABASE_FILES

CORE_PATTERN = Path("/proc/sys/kernel/core_pattern")
SWAPS = Path("/proc/swaps")


@dataclass(frozen=True)
class Deployment:
    """What the doctor is told about the deployment: the same folder, address and files `serve` is given."""

    instance_dir: Path
    host: str
    port: int
    torrc: Path
    onion_hostname_file: Path | None
    backup_folder: Path | None


def examine(deployment: Deployment, clock: Clock = SYSTEM_CLOCK) -> list[Finding]:
    instance_dir = deployment.instance_dir.resolve()
    if not folder.exists(instance_dir):
        raise InstanceMissing(instance_dir)
    owner = instance_dir.stat().st_uid
    sockets = machine.read_listeners()
    on_port = [socket for socket in sockets if socket.port == deployment.port]
    server = machine.server_process(on_port) if on_port else None
    server_uid = server.uid if server else (on_port[0].uid if on_port else None)
    torrc_text = _torrc_text(deployment.torrc)
    hostname_file = deployment.onion_hostname_file or _service_hostname_file(torrc_text, deployment.port)
    backup_folder = deployment.backup_folder
    kept = [instance_dir, *([backup_folder] if backup_folder is not None and backup_folder.is_dir() else [])]
    return [
        checks.loopback(deployment.host, deployment.port, sockets),
        checks.service_user(server_uid, owner, _shell(owner if server_uid is None else server_uid)),
        # Before the instance is opened below: opening makes its files owner-only, and would hide what was wrong.
        checks.owner_only(kept, owner),
        checks.swap(machine.swap_areas(_text(SWAPS) or "")),
        checks.core_dumps(server, _text(CORE_PATTERN) or ""),
        checks.memory_hardening(server, platform.libc_ver()[0]),
        checks.tor_service(torrc_text, deployment.port),
        checks.tor_running(machine.process_names()),
        checks.onion_hostname(hostname_file),
        *_disk_space(instance_dir, backup_folder),
        *_log_and_backups(instance_dir, owner, backup_folder, clock),
    ]


def _text(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def _torrc_text(path: Path) -> str | None:
    try:
        return torrc.with_includes(path)
    except OSError:
        return None


def _service_hostname_file(torrc_text: str | None, port: int) -> Path | None:
    for service in torrc.onion_services(torrc_text or ""):
        if any(target.port == port for target in service.targets):
            return service.directory / "hostname"
    return None


def _shell(uid: int) -> str | None:
    try:
        return pwd.getpwuid(uid).pw_shell
    except KeyError:
        return None  # a user with no account entry (systemd's DynamicUser): no shell either


def _disk_space(instance_dir: Path, backup_folder: Path | None) -> list[Finding]:
    database = sum((instance_dir / name).stat().st_size for name in DATABASE_FILES if (instance_dir / name).exists())
    found = [checks.disk_space(_free(instance_dir), database, instance_dir)]
    if backup_folder is not None and backup_folder.is_dir():
        if backup_folder.stat().st_dev != instance_dir.stat().st_dev:
            found.append(checks.disk_space(_free(backup_folder), database, backup_folder))
    return found


def _free(path: Path) -> int:
    status = os.statvfs(path)
    return status.f_bavail * status.f_frsize


def _log_and_backups(instance_dir: Path, owner: int, backup_folder: Path | None, clock: Clock) -> list[Finding]:
    if os.geteuid() != owner:
        # Opening the database as another user (root) would leave files the server cannot write.
        seen = "not checked: run the doctor as the user that owns the instance (sudo -u USER gatehouse doctor)"
        return [Finding(item, Status.WARNING, seen) for item in ("clock", "newest backup")]
    with opened(instance_dir) as (instance, connection):
        last = audit.last_day(connection)
    today = clock.date()
    return [
        checks.clock(today, datetime.date.fromisoformat(last) if last else None),
        checks.newest_backup(backup_folder, instance.event.id, today),
    ]
