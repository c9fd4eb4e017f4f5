"""`gatehouse kit`: make a field kit on the central instance, and run one on a laptop with no internet."""

from __future__ import annotations

from pathlib import Path

import click

import crypto
from app import audit
from app.bundle_files import BundleFileError, read_parts, write_parts
from app.cli_options import ask_secret, host_option, instance_option, port_option, require_instance
from app.instance import Instance
from app.kit_bundle import KitError, issue_kit, revoke_kit
from app.kit_instance import start_kit
from offline_bundle import BundleError, NotForThisKey


@click.group("kit")
def kit_group() -> None:
    """Field kits: registration on a laptop with no internet, synced to this instance by bundles."""


@kit_group.command("create")
@instance_option
@click.option("--name", required=True, help="A name for the kit, shown to staff as the source of its registrations.")
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Kit file.")
def create(instance_dir: Path, name: str, out_file: Path) -> None:
    """Make a kit: its file holds the event and public keys only, encrypted to a passphrase shown once."""
    instance = require_instance(instance_dir)
    connection = instance.connect()
    try:
        passphrase = issue_kit(connection, instance, name.strip().lower(), lambda parts: write_parts(out_file, parts))
        central_key = connection.execute("SELECT public_key FROM instance_keys WHERE purpose = 'signing'").fetchone()[0]
    except (KitError, BundleFileError) as error:
        raise click.ClickException(str(error)) from None
    finally:
        connection.close()
    click.echo(f"Kit {name} written to {out_file}.")
    click.echo(
        "\nKIT PASSPHRASE: shown once, never stored. Give it to the coordinator apart from the kit file\n"
        "(in person, or over another channel); the kit asks for it every time it starts:\n"
    )
    click.echo(f"    {passphrase}\n")
    click.echo("The kit will show this instance's key for the coordinator to compare:")
    click.echo(f"    {audit.public_key_text(central_key)}")


@kit_group.command("list")
@instance_option
def list_kits(instance_dir: Path) -> None:
    """The kits this instance issued, how many registrations each brought, and which are revoked."""
    instance = require_instance(instance_dir)
    connection = instance.connect()
    try:
        rows = connection.execute(
            "SELECT k.name, k.created_day, k.revoked_day, count(r.registration_id) FROM kits AS k"
            " LEFT JOIN kit_registrations AS r ON r.kit = k.name GROUP BY k.name ORDER BY k.name"
        ).fetchall()
    finally:
        connection.close()
    for name, created, revoked, brought in rows:
        state = f"revoked {revoked}" if revoked else "active"
        click.echo(f"{name:<24} made {created}  {state:<18} {brought} registrations brought")
    if not rows:
        click.echo("No kit yet: make one with 'gatehouse kit create'.")


@kit_group.command("revoke")
@instance_option
@click.argument("name")
def revoke(instance_dir: Path, name: str) -> None:
    """Refuse a lost or seized kit's bundles from now on (what it brought before stays)."""
    instance = require_instance(instance_dir)
    connection = instance.connect()
    try:
        revoke_kit(connection, name.strip().lower())
    except KitError as error:
        raise click.ClickException(str(error)) from None
    finally:
        connection.close()
    click.echo(f"Kit {name} is revoked: its bundles will not be imported.")


@kit_group.command("serve")
@click.argument("kit_file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@instance_option
@host_option
@port_option
@click.option("--https", is_flag=True, help="Serve HTTPS with a new self-signed certificate (always, off loopback).")
def serve(kit_file: Path | None, instance_dir: Path, host: str, port: int, https: bool) -> None:
    """Run a kit: the registration pages, served from a database only the kit passphrase opens.

    The first start needs the kit file; later ones may leave it out.
    """
    from app import create_app
    from app.memory_hardening import restart_hardened
    from app.serving import is_loopback, serve, start_maintenance

    # Before the passphrase is read: the restarted process reads it, and frees nothing unwiped.
    restart_hardened()
    instance = _open_kit(instance_dir, kit_file)
    app = create_app({"INSTANCE": instance})
    connection = instance.connect()
    try:
        name, central_key = connection.execute("SELECT name, central_verify_key FROM kit_identity").fetchone()
    finally:
        connection.close()
    click.echo(f"Field kit {name} of {instance.event.id}.")
    click.echo(
        f"Central instance key: {audit.public_key_text(central_key)}\n"
        "  Check that the organisers' key is the same; if it is not, stop: this kit was not made by them."
    )
    start_maintenance(instance, click.echo)
    serve(app, host, port, click.echo, https=https or not is_loopback(host))


def _open_kit(instance_dir: Path, kit_file: Path | None) -> Instance:
    try:
        keys = crypto.derive_kit_keys(ask_secret("Kit passphrase"))
        return start_kit(instance_dir, keys, read_parts([kit_file]) if kit_file else None)
    except crypto.WrongPassphrase:
        raise click.ClickException("that is not a kit passphrase: it is seven words from the word list") from None
    except NotForThisKey:
        raise click.ClickException("this passphrase does not open this kit file") from None
    except (BundleError, KitError, BundleFileError) as error:
        raise click.ClickException(str(error)) from None


commands = (kit_group,)
