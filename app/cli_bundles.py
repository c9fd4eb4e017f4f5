"""`gatehouse bundle`: carry registrations from a field kit to the central instance, and staff exports offline."""

from __future__ import annotations

from pathlib import Path

import click

import crypto
from app.bundle_files import BundleFileError, parse_size, read_parts, write_parts
from app.cli_options import ask_secret, instance_option, require_instance
from app.kit_bundle import KitError
from app.kit_instance import is_kit, open_kit
from app.progress import TerminalProgress
from app.sync import SyncError, export_for_central, import_from_kit, mark_exported
from offline_bundle import MIN_PART_SIZE, BundleError


@click.group("bundle")
def bundle_group() -> None:
    """Bundles: files that carry registrations across an air gap or a slow link, sealed and signed."""


def _part_size(_context, _parameter, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        size = parse_size(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    if size < MIN_PART_SIZE:
        raise click.BadParameter(f"a part is at least {MIN_PART_SIZE} bytes")
    return size


@bundle_group.command("export")
@instance_option
@click.option("--to", "destination", type=click.Choice(["central"]), help="On a field kit: for the central instance.")
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Bundle file.")
@click.option("--part-size", callback=_part_size, help="Cut into parts of at most this size, e.g. 500KB.")
@click.option("--all", "everything", is_flag=True, help="Everything the kit holds, not only what is new.")
def export(
    instance_dir: Path, destination: str | None, out_file: Path, part_size: int | None, everything: bool
) -> None:
    """Write a bundle: on a field kit, its registrations for the central instance (asks the kit passphrase)."""
    if destination != "central":
        raise click.UsageError("say what the bundle is for: --to central")
    if not is_kit(instance_dir):
        raise click.ClickException(f"{instance_dir.resolve()} holds no field kit: run this on the kit")
    try:
        instance = open_kit(instance_dir, crypto.derive_kit_keys(ask_secret("Kit passphrase")))
    except crypto.WrongPassphrase:
        raise click.ClickException("that is not a kit passphrase: it is seven words from the word list") from None
    except KitError as error:
        raise click.ClickException(str(error)) from None
    connection = instance.connect()
    progress = TerminalProgress()
    try:
        made = export_for_central(
            connection, instance.event, everything=everything, part_size=part_size, steps=progress
        )
        progress.close()
        if made is None:
            click.echo("Nothing new to export: every registration has been carried by an earlier bundle.")
            return
        paths = write_parts(out_file, made.parts)
        mark_exported(connection, made)
    except BundleFileError as error:
        raise click.ClickException(str(error)) from None
    finally:
        progress.close()
        connection.close()
    click.echo(
        f"Wrote {len(made.registration_ids)} registrations"
        + (f" and {len(made.withdrawal_ids)} withdrawals" if made.withdrawal_ids else "")
        + f" for the central instance, in {len(paths)} part{'s' if len(paths) > 1 else ''}:"
    )
    for path in paths:
        click.echo(f"  {path}")
    click.echo("Send every part by any channel; the central instance imports them with 'gatehouse bundle import'.")


@bundle_group.command("import")
@instance_option
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def import_(instance_dir: Path, files: tuple[Path, ...]) -> None:
    """Import a field kit's bundle (give every part): all of it, or nothing if anything is wrong."""
    instance = require_instance(instance_dir)
    connection = instance.connect()
    progress = TerminalProgress()
    try:
        report = import_from_kit(connection, instance, read_parts(files), steps=progress)
    except (BundleError, SyncError, BundleFileError) as error:
        progress.close()
        raise click.ClickException(f"{error} Nothing was imported.") from None
    finally:
        progress.close()
        connection.close()
    if report.replay:
        click.echo(f"This bundle from kit {report.kit} was already imported: nothing changed.")
        return
    click.echo(f"Imported {report.added} registrations from kit {report.kit}.")
    notes = [
        (report.already_here, "already here, skipped"),
        (report.gone_since, "withdrawn or destroyed here since, not brought back"),
        (report.renamed, "given a new pseudonym, theirs being taken here"),
        (report.waitlisted, "on the waiting list, every place being taken"),
        (report.withdrawn, "withdrawn on the kit, destroyed here"),
    ]
    for count, what in notes:
        if count:
            click.echo(f"  {count} {what}")


commands = (bundle_group,)
