"""`gatehouse doctor` and `gatehouse systemd-unit`: check a deployment against SECURITY.md, and the hardened unit
that serves it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from app.cli.options import host_option, instance_option, port_option
from app.deployment.checks import Status
from app.deployment.doctor import Deployment, examine
from app.deployment.systemd_unit import UnitSettings, unit_text
from app.deployment.torrc import DEFAULT_TORRC

backup_folder_option = click.option(
    "--backup-folder",
    envvar="GATEHOUSE_BACKUP_FOLDER",
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder `gatehouse backup --into` writes to (or set GATEHOUSE_BACKUP_FOLDER).",
)
onion_hostname_option = click.option(
    "--onion-hostname-file",
    envvar="GATEHOUSE_ONION_HOSTNAME_FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Tor's `hostname` file, as given to serve (or set GATEHOUSE_ONION_HOSTNAME_FILE).",
)


@click.command("doctor")
@instance_option
@host_option
@port_option
@click.option(
    "--torrc",
    "torrc_file",
    default=DEFAULT_TORRC,
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Tor's configuration.",
)
@onion_hostname_option
@backup_folder_option
def doctor(
    instance_dir: Path,
    host: str,
    port: int,
    torrc_file: Path,
    onion_hostname_file: Path | None,
    backup_folder: Path | None,
) -> None:
    """Check this deployment against SECURITY.md's list; exit status 1 on any failure.

    Give it what `serve` is given (the instance, --host, --port, the hostname file, the backup folder): serve
    keeps its address nowhere but its command line. Run it as the user that serves, with the server running.
    """
    deployment = Deployment(instance_dir, host, port, torrc_file, onion_hostname_file, backup_folder)
    findings = examine(deployment)
    click.echo(f"Gatehouse doctor: the instance in {instance_dir.resolve()}, served on {host}:{port}")
    width = max(len(finding.item) for finding in findings)
    for finding in findings:
        click.echo(f"{finding.status.value:<8} {finding.item:<{width}}  {finding.seen}")
        if finding.fix:
            click.echo(f"{'':<8} {'':<{width}}  fix: {finding.fix}")
    counts = {status: sum(finding.status is status for finding in findings) for status in Status}
    click.echo(
        f"{counts[Status.OK]} ok, {counts[Status.WARNING]} warnings, {counts[Status.FAILURE]} failures"
        + (": fix the failures before taking registrations." if counts[Status.FAILURE] else ".")
    )
    if counts[Status.FAILURE]:
        sys.exit(1)


def _loopback_only(_context: click.Context, _parameter: click.Parameter, host: str) -> str:
    from app.serving.server import is_loopback

    if not is_loopback(host):
        raise click.BadParameter("Gatehouse serves on loopback only (127.0.0.1); Tor reaches it there")
    return host


@click.command("systemd-unit")
@instance_option
@click.option("--user", default="gatehouse", show_default=True, help="The system user it serves as.")
@click.option(
    "--program",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="GATEHOUSE_PROGRAM",
    help="The gatehouse program the unit runs (default: this installation's).",
)
@click.option("--host", default="127.0.0.1", show_default=True, callback=_loopback_only, help="Loopback address.")
@port_option
@backup_folder_option
@onion_hostname_option
def systemd_unit(
    instance_dir: Path,
    user: str,
    program: Path | None,
    host: str,
    port: int,
    backup_folder: Path | None,
    onion_hostname_file: Path | None,
) -> None:
    """Print a hardened systemd unit that serves the instance with this Gatehouse (save it as gatehouse.service)."""
    # This installation's by default; not resolved: a venv's python is a link to the system's.
    gatehouse = program or Path(sys.executable).parent / "gatehouse"
    settings = UnitSettings(
        gatehouse=gatehouse.absolute(),
        instance_dir=instance_dir.resolve(),
        user=user,
        host=host,
        port=port,
        backup_folder=backup_folder.resolve() if backup_folder else None,
        onion_hostname_file=onion_hostname_file.resolve() if onion_hostname_file else None,
    )
    click.echo(unit_text(settings), nl=False)
