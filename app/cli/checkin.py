"""`gatehouse checkin`: the check-in desk, re-issuing a pass, and the pass-list and arrivals bundles."""

from __future__ import annotations

from pathlib import Path

import click

import crypto
from app.checkin import arrivals, badge_names, lists, passes
from app.checkin.desk import normalise_desk_name
from app.cli.options import ask_secret, host_option, instance_option, port_option
from app.common.bundle_files import read_parts, write_parts
from app.instance.folder import Instance, opened
from app.kits.instance import is_kit, open_kit
from app.staff import grants
from app.staff.accounts import normalise_username
from offline_bundle import NotForThisKey


@click.group("checkin")
def checkin_group() -> None:
    """Check-in at the venue: a desk that checks passes offline, and the bundles between desks and central."""


@checkin_group.command("serve")
@instance_option
@host_option
@port_option
@click.option("--desk", "desk_name", required=True, help="This desk's name, shown when a pass is used twice.")
@click.option("--staff", "username", help="On central: a staff member holding the badge name's compartment (asks"
              " their passphrase); the desk then shows badge names, each one logged.")  # fmt: skip
def serve(instance_dir: Path, host: str, port: int, desk_name: str, username: str | None) -> None:
    """Run a check-in desk on a field kit (asks its passphrase) or on the central instance."""
    from app.serving.memory_hardening import restart_hardened
    from app.serving.server import serve_instance

    desk = normalise_desk_name(desk_name)
    restart_hardened()
    config: dict[str, object] = {"DESK": desk}
    if is_kit(instance_dir):
        if username:
            raise click.ClickException("a desk on a field kit holds no compartment key: --staff is for central")
        config["INSTANCE"] = _open_kit(instance_dir)[0]
    else:
        config["INSTANCE_DIR"] = instance_dir
        if username:
            config["DESK_HOLDER"] = _holder(instance_dir, username)
    click.echo(f"Check-in desk {desk}: open /desk in the browser of this laptop.")
    serve_instance(config, host, port, click.echo)


@checkin_group.command("reissue")
@instance_option
@click.argument("pseudonym")
def reissue(instance_dir: Path, pseudonym: str) -> None:
    """Revoke a participant's pass (lost phone, code passed on); /status shows them a new one."""
    with opened(instance_dir) as (instance, connection):
        passes.reissue(connection, instance.event, pseudonym, "cli")
    click.echo(f"The pass of {pseudonym.strip()} is revoked; a new one shows on their status page.")
    click.echo("Desks on field kits refuse the old pass once they load the next pass list.")


@checkin_group.command("list")
@instance_option
@click.option("--kit", "kit", required=True, help="The field kit whose desk will load it.")
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Bundle file.")
def make_list(instance_dir: Path, kit: str, out_file: Path) -> None:
    """On central: the pass list (public key, passes and revocations) for a kit's desk, encrypted to the kit."""
    with opened(instance_dir) as (instance, connection):
        parts, sequence = lists.export_list(connection, instance.event, kit)
    for path in write_parts(out_file, parts):
        click.echo(f"Pass list {sequence} written to {path}.")
    click.echo("On the kit: 'gatehouse checkin load FILE'. Make a new list whenever passes are revoked.")


@checkin_group.command("load")
@instance_option
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def load(instance_dir: Path, files: tuple[Path, ...]) -> None:
    """On a field kit: load central's pass list (asks the kit passphrase); an older or repeated list changes nothing."""
    instance, keys = _open_kit(instance_dir)
    with instance.connection() as connection:
        report = lists.load_list(connection, instance.event, read_parts(files), keys)
    if not report.changed:
        click.echo(f"This desk already holds pass list {report.sequence} or a newer one: nothing changed.")
        return
    click.echo(f"Pass list {report.sequence} loaded: {report.standing} passes stand, {report.revoked} are revoked.")


@checkin_group.command("arrivals")
@instance_option
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Bundle file.")
def export_arrivals(instance_dir: Path, out_file: Path) -> None:
    """On a field kit: every arrival its desk recorded, for the central instance (asks the kit passphrase)."""
    instance, _keys = _open_kit(instance_dir)
    with instance.connection() as connection:
        parts, count = arrivals.export_arrivals(connection, instance.event)
    for path in write_parts(out_file, parts):
        click.echo(f"{count} arrivals written to {path}.")
    click.echo("On central: 'gatehouse checkin import FILE'. Importing the same arrivals again changes nothing.")


@checkin_group.command("import")
@instance_option
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def import_arrivals(instance_dir: Path, files: tuple[Path, ...]) -> None:
    """On central: merge a kit desk's arrivals, all or nothing."""
    with opened(instance_dir) as (instance, connection):
        report = arrivals.import_arrivals(connection, instance.event, read_parts(files))
    if report.replay:
        click.echo(f"These arrivals from kit {report.kit} were already imported: nothing changed.")
        return
    click.echo(f"Merged {report.added} arrivals from kit {report.kit} ({report.already_here} already here).")


def _holder(instance_dir: Path, username: str) -> badge_names.DeskHolder:
    with opened(instance_dir) as (instance, connection):
        passphrase = ask_secret(f"Passphrase of {normalise_username(username)}")
        keys, name = grants.keys_of_holder(connection, instance.event.id, username, passphrase)
        holder = badge_names.holder_for_desk(instance.event, name, keys)
    if holder is None:
        raise click.ClickException(f"{name} does not hold the compartment of the badge name: the desk would show none")
    return holder


def _open_kit(instance_dir: Path) -> tuple[Instance, crypto.KitKeys]:
    if not is_kit(instance_dir):
        raise click.ClickException(f"{instance_dir.resolve()} holds no field kit: run this on the kit")
    try:
        keys = crypto.derive_kit_keys(ask_secret("Kit passphrase"))
        return open_kit(instance_dir, keys), keys
    except crypto.WrongPassphrase:
        raise click.ClickException("that is not a kit passphrase: it is seven words from the word list") from None
    except NotForThisKey:
        raise click.ClickException("this passphrase does not open this kit") from None
