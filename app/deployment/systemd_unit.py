"""The hardened systemd unit `gatehouse systemd-unit` prints for `gatehouse serve`.

Every directive below was kept because `gatehouse serve` works under it: tests/test_systemd_unit.py checks the
unit with `systemd-analyze verify`, then serves and registers under the restrictions a process can put on itself
(no new privileges, core limit 0, umask, writes only to the instance and backup folders, no memory both writable
and executable, the @system-service system calls, three address families). Those that need systemd's mount
namespace (ProtectHome, PrivateDevices, ProtectKernel*, ProtectControlGroups, ProtectProc) hide paths the server
never opens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from app.common.errors import GatehouseError
from app.instance.folder import SECRET_FILE

USER_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
_SAFE = re.compile(r"[A-Za-z0-9/._+:@=,-]+")
# PrivateTmp and PrivateDevices put empty folders over these: an instance there would vanish from the service.
HIDDEN_FROM_THE_SERVICE = (Path("/tmp"), Path("/var/tmp"), Path("/dev"), Path("/proc"), Path("/sys"))  # noqa: S108
HOME_FOLDERS = (Path("/home"), Path("/root"), Path("/run/user"))


class UnitRefused(GatehouseError):
    """A unit that could not work as asked: the sentence says why, and nothing was printed."""


@dataclass(frozen=True)
class UnitSettings:
    """What the unit runs: the `gatehouse` program, and the options `serve` is given."""

    gatehouse: Path
    instance_dir: Path
    user: str
    host: str
    port: int
    backup_folder: Path | None = None
    onion_hostname_file: Path | None = None


def unit_text(settings: UnitSettings) -> str:
    _check(settings)
    writable = [settings.instance_dir, *([settings.backup_folder] if settings.backup_folder else [])]
    readable = [
        settings.gatehouse.parent.parent,
        *([settings.onion_hostname_file] if settings.onion_hostname_file else []),
    ]
    command = [str(settings.gatehouse), "serve", "--instance", str(settings.instance_dir)]
    command += ["--host", settings.host, "--port", str(settings.port)]
    if settings.backup_folder:
        command += ["--backup-folder", str(settings.backup_folder)]
    if settings.onion_hostname_file:
        command += ["--onion-hostname-file", str(settings.onion_hostname_file)]
    home = _protect_home(writable, readable)
    return f"""\
# Gatehouse, served by systemd: written by `gatehouse systemd-unit`. As root, put it in place and start it:
#   cp gatehouse.service /etc/systemd/system/ && systemctl daemon-reload && systemctl enable --now gatehouse
# Check it with `systemd-analyze verify`, and the whole deployment with `gatehouse doctor`.
[Unit]
Description=Gatehouse registration server
After=network.target tor.service

[Service]
Type=simple
User={settings.user}
ExecStart={" ".join(_quoted(argument) for argument in command)}
Restart=on-failure
RestartSec=5s
# Leave PYTHONMALLOC unset: serve then overwrites the memory it frees (SECURITY.md, Memory).
UnsetEnvironment=PYTHONMALLOC
# New files are the owner's only (0600, folders 0700); the server's memory is never dumped to disk.
UMask=0077
LimitCORE=0
# Its own user, no way to gain privileges, no capabilities.
NoNewPrivileges=yes
CapabilityBoundingSet=
# Everything read-only but the instance (and backup) folder; its own /tmp and /dev; no home folders.
ProtectSystem=strict
ReadWritePaths={" ".join(_quoted(str(path)) for path in writable)}
PrivateTmp=yes
{home}PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
PrivateMounts=yes
RemoveIPC=yes
# It serves loopback only: Tor connects there.
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
IPAddressAllow=localhost
IPAddressDeny=any
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
# PyNaCl, argon2-cffi, cryptography and sqlcipher3 need no memory both writable and executable.
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service

[Install]
WantedBy=multi-user.target
"""


def _check(settings: UnitSettings) -> None:
    if not USER_NAME.fullmatch(settings.user):
        raise UnitRefused(f"{settings.user!r} is not a user name systemd accepts: lower-case letters, digits, - and _")
    if settings.user == "root":
        raise UnitRefused("Gatehouse must not serve as root: give --user a system user of its own (gatehouse)")
    paths = [settings.gatehouse, settings.instance_dir, settings.backup_folder, settings.onion_hostname_file]
    for path in filter(None, paths):
        if not path.is_absolute() or any(ord(character) < 32 for character in str(path)):
            raise UnitRefused(f"{path!r}: give a full path, with no control character")
        hidden = next((folder for folder in HIDDEN_FROM_THE_SERVICE if path.is_relative_to(folder)), None)
        if hidden is not None:
            raise UnitRefused(
                f"{path} is under {hidden}, which the service sees empty (PrivateTmp, PrivateDevices): "
                "keep the instance in /srv or /var/lib"
            )
    if not (settings.instance_dir / SECRET_FILE).is_file():
        raise UnitRefused(f"no Gatehouse instance in {settings.instance_dir}: set it up first with `gatehouse init`")
    if settings.backup_folder is not None and not settings.backup_folder.is_dir():
        raise UnitRefused(f"there is no folder {settings.backup_folder}: make it first (mkdir -m 700 FOLDER)")
    if not settings.gatehouse.is_file():
        raise UnitRefused(f"there is no {settings.gatehouse}: install Gatehouse with pip (docs/DEPLOY.md, step 1)")


def _protect_home(writable: list[Path], readable: list[Path]) -> str:
    """ProtectHome=yes, unless something the service needs is under a home folder: then empty home folders
    (tmpfs) with only those paths bound into them."""
    home_writable = [path for path in writable if _in_home(path)]
    home_readable = [path for path in readable if _in_home(path)]
    if not home_writable and not home_readable:
        return "ProtectHome=yes\n"
    lines = "ProtectHome=tmpfs\n"
    if home_writable:
        lines += f"BindPaths={' '.join(_quoted(str(path)) for path in home_writable)}\n"
    if home_readable:
        lines += f"BindReadOnlyPaths={' '.join(_quoted(str(path)) for path in home_readable)}\n"
    return lines


def _in_home(path: Path) -> bool:
    return any(path.is_relative_to(folder) for folder in HOME_FOLDERS)


def _quoted(argument: str) -> str:
    """One word as systemd reads it: specifiers (%) and variables ($) escaped, quoted when not plain."""
    escaped = argument.replace("%", "%%").replace("$", "$$")
    if _SAFE.fullmatch(argument):
        return escaped
    return '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'
