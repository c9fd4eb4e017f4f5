"""`gatehouse tor-config`: the torrc lines that put Gatehouse behind a Tor onion service."""

from __future__ import annotations

from pathlib import Path

import click

from app.web.onion import OnionHostnameInvalid, parse_onion_hostname

DEFAULT_SERVICE_DIR = Path("/var/lib/tor/gatehouse")


def _check_hostname_file(context: click.Context, parameter: click.Parameter, path: Path | None) -> Path | None:
    """A hostname file that is there must be readable and hold an onion address; one not there yet is read later."""
    if path is None:
        return None
    try:
        parse_onion_hostname(path.read_text("ascii"))
    except FileNotFoundError:
        return path  # Tor has not written it yet
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not text"
        raise click.BadParameter(f"{path} cannot be read ({reason}); see `gatehouse tor-config`") from None
    except OnionHostnameInvalid as error:
        raise click.BadParameter(f"{path}: {error}") from None
    return path


onion_hostname_file_option = click.option(
    "--onion-hostname-file",
    "onion_hostname_file",
    envvar="GATEHOUSE_ONION_HOSTNAME_FILE",
    callback=_check_hostname_file,
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
# Gatehouse must be able to read that file. If it runs as another user than Tor, uncomment the next line and
# add its user to Tor's group (debian-tor on Debian), or copy the hostname file to where it can read it.
# HiddenServiceDirGroupReadable 1
# When the service is flooded with connection requests, Tor asks clients for a small proof of work before
# it answers, and serves those who did the most work first: a flood costs its sender, and people who
# register keep getting through. Idle, it costs nobody anything. (Tor 0.4.8 or newer.)
HiddenServicePoWDefensesEnabled 1
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
