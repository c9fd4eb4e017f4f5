"""A real Tor with its network off: it makes an onion service's keys and writes its hostname, offline."""

from __future__ import annotations

import contextlib
import subprocess
import time
from pathlib import Path

from app.deployment.torrc import torrc_snippet

# Nothing leaves the machine: no SOCKS port, no connection to the Tor network.
OFFLINE = """\
DisableNetwork 1
SocksPort 0
DataDirectory {data}
Log notice file {log}
"""


def write_torrc(folder: Path, app_port: int, extra: str = "") -> tuple[Path, Path]:
    """A torrc of `gatehouse tor-config`'s own snippet plus the offline settings; returns it and the hostname file."""
    service_dir = folder / "onion-service"
    service_dir.mkdir(mode=0o700)
    service_dir.chmod(0o700)  # Tor refuses a service folder that others can read, whatever the umask
    torrc = folder / "torrc"
    offline = OFFLINE.format(data=folder / "tor-data", log=folder / "tor.log")
    torrc.write_text(offline + torrc_snippet(app_port, service_dir) + extra)
    return torrc, service_dir / "hostname"


@contextlib.contextmanager
def running_tor(tor: str, torrc: Path, hostname_file: Path, timeout: float = 30):
    """Tor on that torrc until the hostname file is written; yields the onion hostname."""
    process = subprocess.Popen(
        [tor, "--defaults-torrc", "/dev/null", "-f", str(torrc)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + timeout
        while not (hostname_file.exists() and hostname_file.read_text().strip()):
            if process.poll() is not None or time.monotonic() > deadline:
                log = torrc.parent / "tor.log"
                raise RuntimeError("Tor did not write its hostname:\n" + (log.read_text() if log.exists() else ""))
            time.sleep(0.05)
        yield hostname_file.read_text().strip()
    finally:
        process.terminate()
        process.wait(timeout=10)
