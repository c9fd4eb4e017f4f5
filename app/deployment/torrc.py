"""Tor's configuration for Gatehouse's onion service: the lines `gatehouse tor-config` prints, and reading a torrc
back to find the service that points at Gatehouse."""

from __future__ import annotations

import glob
import ipaddress
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SERVICE_DIR = Path("/var/lib/tor/gatehouse")
DEFAULT_TORRC = Path("/etc/tor/torrc")


def torrc_snippet(port: int, service_dir: Path) -> str:
    return f"""\
# Gatehouse onion service. Add these lines to Tor's configuration (/etc/tor/torrc), then reload Tor.
# Tor makes the service's keys in the folder below (it must be owned by Tor's user, mode 0700) and
# writes the onion address to its `hostname` file. Back up the folder: the keys are the address.
# Gatehouse itself stays on loopback; give it the hostname file so that it offers the onion address:
#   gatehouse serve --port {port} --onion-hostname-file {service_dir / "hostname"}
HiddenServiceDir {service_dir}
HiddenServicePort 80 127.0.0.1:{port}
# Gatehouse must be able to read that file. If it runs as another user than Tor, uncomment the next line and
# add its user to Tor's group (debian-tor on Debian), or copy the hostname file to where it can read it.
# HiddenServiceDirGroupReadable 1
# When the service is flooded with connection requests, Tor asks clients for a small proof of work before
# it answers, and serves those who did the most work first: a flood costs its sender, and people who
# register keep getting through. Idle, it costs nobody anything. (Tor 0.4.8 or newer.)
HiddenServicePoWDefensesEnabled 1
"""


@dataclass(frozen=True)
class Target:
    """Where an onion service's port leads: an address and port, or a Unix socket (address None)."""

    address: str | None
    port: int | None

    @property
    def on_loopback(self) -> bool:
        if self.address is None:
            return True  # a Unix socket never leaves the machine
        try:
            return ipaddress.ip_address(self.address).is_loopback
        except ValueError:
            return self.address == "localhost"


@dataclass(frozen=True)
class OnionService:
    """One HiddenServiceDir block of a torrc."""

    directory: Path
    targets: tuple[Target, ...]
    proof_of_work: bool


def onion_services(torrc_text: str) -> list[OnionService]:
    """Each HiddenServiceDir with the HiddenServicePort and HiddenServicePoWDefensesEnabled lines that follow it."""
    services: list[OnionService] = []
    for line in torrc_text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        keyword, values = words[0].lower(), words[1:]
        if keyword == "hiddenservicedir" and values:
            services.append(OnionService(Path(values[0]), (), False))
        elif services and keyword == "hiddenserviceport" and values:
            service = services[-1]
            services[-1] = OnionService(service.directory, (*service.targets, _target(values)), service.proof_of_work)
        elif services and keyword == "hiddenservicepowdefensesenabled" and values:
            service = services[-1]
            services[-1] = OnionService(service.directory, service.targets, values[0] == "1")
    return services


def _target(values: list[str]) -> Target:
    """HiddenServicePort VIRTPORT [TARGET]: TARGET is PORT, ADDRESS:PORT, [IPv6]:PORT or unix:PATH."""
    target = values[1] if len(values) > 1 else values[0]
    if target.startswith("unix:"):
        return Target(None, None)
    address, _, port = target.rpartition(":")
    try:
        return Target(address.strip("[]") or "127.0.0.1", int(port))
    except ValueError:
        return Target(address.strip("[]") or target, None)


def with_includes(path: Path, depth: int = 0) -> str:
    """The text of a torrc with each %include line replaced by the files it names (a file, a folder, a pattern)."""
    lines = []
    for line in path.read_text("utf-8", errors="replace").splitlines():
        words = line.split()
        if len(words) == 2 and words[0] == "%include" and depth < 8:
            included = Path(words[1])
            names = sorted(included.iterdir()) if included.is_dir() else sorted(map(Path, glob.glob(words[1])))
            lines += [with_includes(name, depth + 1) for name in names if name.is_file()]
        else:
            lines.append(line)
    return "\n".join(lines)
