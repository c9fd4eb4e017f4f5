"""The `gatehouse` command: set up an instance, serve it; every command takes --instance."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import FlaskGroup

from app import instance as instances
from app.cli_audit import commands as audit_commands
from app.cli_bundles import commands as bundle_commands
from app.cli_invitations import commands as invitation_commands
from app.cli_kits import commands as kit_commands
from app.cli_options import instance_option
from app.cli_retention import commands as retention_commands
from app.cli_staff import commands as staff_commands
from app.cli_tor import onion_hostname_file_option, tor_config

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080

host_option = click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on.")
port_option = click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535))


def _print_recovery_words(words: list[str]) -> None:
    click.echo(
        "\nRECOVERY KEY: shown once, never stored. Write these 24 words on paper and keep them\n"
        "somewhere safe and offline. They open every compartment of this event if every staff\n"
        "key is lost; anyone who holds them can read everything.\n"
    )
    for row in range(0, len(words), 6):
        click.echo("    " + " ".join(f"{word:<9}" for word in words[row : row + 6]).rstrip())
    click.echo()


def _set_up(instance_dir: Path, event_source: str) -> None:
    try:
        words = instances.create_instance(instance_dir, event_source)
    except instances.InstanceExists as error:
        raise click.ClickException(str(error)) from None
    except ValueError as error:  # EventDefinitionError names the field at fault
        raise click.ClickException(f"the event definition is not valid: {error}") from None
    click.echo(f"Created a Gatehouse instance in {instance_dir.resolve()}")
    _print_recovery_words(words)


def _serve(instance_dir: Path, host: str, port: int, onion_hostname_file: Path | None = None) -> None:
    from app import create_app
    from app.memory_hardening import restart_hardened
    from app.serving import serve, start_maintenance

    # Before anything is read: freed memory must be overwritten from the first request on.
    restart_hardened()
    app = create_app({"INSTANCE_DIR": instance_dir, "ONION_HOSTNAME_FILE": onion_hostname_file})
    start_maintenance(app.extensions["gatehouse"], click.echo)
    serve(app, host, port, click.echo)


@click.command()
@instance_option
@host_option
@port_option
def demo(instance_dir: Path, host: str, port: int) -> None:
    """Set up the demo event on first run, then serve it."""
    if not instances.exists(instance_dir):
        from app.event import demo_event_source

        _set_up(instance_dir, demo_event_source())
    _serve(instance_dir, host, port)


@click.command()
@instance_option
@click.option("--event", "event_file", required=True, type=click.File("r", encoding="utf-8"), help="Event TOML file.")
def init(instance_dir: Path, event_file) -> None:
    """Set up a new instance for the event defined in a TOML file."""
    _set_up(instance_dir, event_file.read())


@click.command()
@instance_option
@host_option
@port_option
@onion_hostname_file_option
def serve(instance_dir: Path, host: str, port: int, onion_hostname_file: Path | None) -> None:
    """Serve an instance that has been set up."""
    if not instances.exists(instance_dir):
        raise click.ClickException(f"no Gatehouse instance in {instance_dir.resolve()}: run 'gatehouse init' first")
    _serve(instance_dir, host, port, onion_hostname_file)


commands = (
    demo,
    init,
    serve,
    tor_config,
    *staff_commands,
    *invitation_commands,
    *retention_commands,
    *audit_commands,
    *kit_commands,
    *bundle_commands,
)


def _create_app():
    from app import create_app

    return create_app()


# Flask's development server is left out on purpose: it logs every visitor's address and time.
cli = FlaskGroup(name="gatehouse", create_app=_create_app, add_default_commands=False, add_version_option=False)
for _command in commands:
    cli.add_command(_command)


def main() -> None:
    cli.main()
