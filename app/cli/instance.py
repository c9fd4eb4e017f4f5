"""`gatehouse demo`, `init` and `serve`: set up an instance, and serve it; `check-event`: check an event file first."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

import click

from app.cli.options import host_option, instance_option, port_option
from app.cli.tor import onion_hostname_file_option
from app.events.completeness import missing_texts
from app.events.definition import EventDefinitionError, demo_event_source, load_event
from app.instance import folder, setup
from app.web.languages import LANGUAGES


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
        words = setup.create_instance(instance_dir, event_source)
    except EventDefinitionError as error:  # it names the field at fault
        raise click.ClickException(f"the event definition is not valid: {error}") from None
    click.echo(f"Created a Gatehouse instance in {instance_dir.resolve()}")
    _print_recovery_words(words)


def _serve(
    instance_dir: Path, host: str, port: int, onion_hostname_file: Path | None = None, backup_folder: Path | None = None
) -> None:
    from app.serving.memory_hardening import restart_hardened
    from app.serving.server import serve_instance

    # Before anything is read: freed memory must be overwritten from the first request on.
    restart_hardened()
    config = {"INSTANCE_DIR": instance_dir, "ONION_HOSTNAME_FILE": onion_hostname_file, "BACKUP_FOLDER": backup_folder}
    serve_instance(config, host, port, click.echo)


@click.command()
@instance_option
@host_option
@port_option
def demo(instance_dir: Path, host: str, port: int) -> None:
    """Set up the demo event on first run, then serve it."""
    if not folder.exists(instance_dir):
        _set_up(instance_dir, demo_event_source())
    _serve(instance_dir, host, port)


@click.command()
@instance_option
@click.option("--event", "event_file", required=True, type=click.File("r", encoding="utf-8"), help="Event TOML file.")
def init(instance_dir: Path, event_file: TextIO) -> None:
    """Set up a new instance for the event defined in a TOML file."""
    _set_up(instance_dir, event_file.read())


@click.command()
@instance_option
@host_option
@port_option
@onion_hostname_file_option
@click.option(
    "--backup-folder",
    envvar="GATEHOUSE_BACKUP_FOLDER",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The folder `gatehouse backup --into` writes to: every day, delete the backups there whose first due day "
    "has come (or set GATEHOUSE_BACKUP_FOLDER).",
)
def serve(
    instance_dir: Path, host: str, port: int, onion_hostname_file: Path | None, backup_folder: Path | None
) -> None:
    """Serve an instance that has been set up."""
    folder.open_instance(instance_dir)  # InstanceMissing, with its one sentence, before the process restarts
    _serve(instance_dir, host, port, onion_hostname_file, backup_folder)


@click.command("check-event")
@click.argument("event_file", type=click.File("r", encoding="utf-8"))
def check_event(event_file: TextIO) -> None:
    """Check an event TOML file: its rules, and every text a participant reads, in each language offered.

    Names each text missing in a language (a participant would read it in English there) and exits 1.
    """
    event = load_event(event_file.read())  # EventDefinitionError names the part at fault
    missing = missing_texts(event, LANGUAGES)
    if not missing:
        click.echo(f"{event.id}: valid, and every text is given in {', '.join(LANGUAGES)}.")
        return
    click.echo(f"{event.id}: valid, but {len(missing)} texts are missing in a language offered (text: language):")
    for line in missing:
        click.echo(f"    {line}")
    raise click.exceptions.Exit(1)
