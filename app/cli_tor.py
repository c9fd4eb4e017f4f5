"""`gatehouse tor-config`: the torrc lines that put Gatehouse behind a Tor onion service."""

from __future__ import annotations

from pathlib import Path

import click

DEFAULT_SERVICE_DIR = Path("/var/lib/tor/gatehouse")

onion_hostname_file_option = click.option(
    "--onion-hostname-file",
    "onion_hostname_file",
    envvar="GATEHOUSE_ONION_HOSTNAME_FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Tor's `hostname` file for this site's onion service: visitors on the clear address are offered it "
    "with Onion-Location (or set GATEHOUSE_ONION_HOSTNAME_FILE).",
)


def torrc_snippet(port: int, service_dir: Path) -> str:
    return f"""\
# Gatehouse onion service. Add these lines to Tor's configuration (/etc/tor/torrc), then reload Tor.
# Tor makes the service's keys in the folder below (it must be owned by Tor's user, mode 0700) and
# writes the onion address to its `hostname` file. Back up the folder: the keys are the address.
# Gatehouse itself stays on loopback; give it the hostname file so that it offers the onion address:
#   gatehouse serve --port {port} --onion-hostname-file {service_dir / "hostname"}
HiddenServiceDir {service_dir}
HiddenServicePort 80 127.0.0.1:{port}
# Option: make clients solve a small proof of work when the service is flooded (Tor 0.4.8 or newer).
# HiddenServicePoWDefensesEnabled 1
"""


@click.command("tor-config")
@click.option(
    "--port", required=True, type=click.IntRange(1, 65535), help="The port Gatehouse serves on, on 127.0.0.1."
)
@click.option(
    "--service-dir",
    default=DEFAULT_SERVICE_DIR,
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The HiddenServiceDir Tor keeps the service's keys and hostname in.",
)
def tor_config(port: int, service_dir: Path) -> None:
    """Print a torrc snippet for an onion service pointing at Gatehouse on 127.0.0.1:PORT."""
    click.echo(torrc_snippet(port, service_dir), nl=False)
