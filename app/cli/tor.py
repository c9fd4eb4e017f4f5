"""`gatehouse tor-config`: the torrc lines that put Gatehouse behind a Tor onion service."""

from __future__ import annotations

from pathlib import Path

import click

from app.deployment.torrc import DEFAULT_SERVICE_DIR, torrc_snippet
from app.web.onion import OnionHostnameInvalid, parse_onion_hostname


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
