"""`gatehouse kit`: make a field kit on the central instance, and run one on a laptop with no internet."""

from __future__ import annotations

from pathlib import Path

import click

import crypto
from app.audit import log as audit
from app.cli.options import ask_secret, host_option, instance_option, port_option
from app.common.bundle_files import read_parts, write_parts
from app.instance.folder import Instance, opened
from app.kits import bundle as kits
from app.kits.instance import identity, start_kit
from offline_bundle import NotForThisKey


@click.group("kit")
def kit_group() -> None:
    """Field kits: registration on a laptop with no internet, synced to this instance by bundles."""


@kit_group.command("create")
@instance_option
@click.option("--name", required=True, help="A name for the kit, shown to staff as the source of its registrations.")
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Kit file.")
def create(instance_dir: Path, name: str, out_file: Path) -> None:
    """Make a kit: its file holds the event and public keys only, encrypted to a passphrase shown once."""
    with opened(instance_dir) as (instance, connection):
        passphrase = kits.issue_kit(connection, instance, name, lambda parts: _write(out_file, parts))
        central_key = audit.signing_public_key(connection)
    click.echo(f"Kit {name} written to {out_file}.")
    click.echo(
        "\nKIT PASSPHRASE: shown once, never stored. Give it to the coordinator apart from the kit file\n"
        "(in person, or over another channel); the kit asks for it every time it starts:\n"
    )
    click.echo(f"    {passphrase}\n")
    click.echo("The kit will show this instance's key for the coordinator to compare:")
    click.echo(f"    {audit.public_key_text(central_key)}")


def _write(out_file: Path, parts: list[bytes]) -> None:
    write_parts(out_file, parts)


@kit_group.command("list")
@instance_option
def list_kits(instance_dir: Path) -> None:
    """The kits this instance issued, how many registrations each brought, and which are revoked."""
    with opened(instance_dir) as (_instance, connection):
        issued = kits.list_kits(connection)
    for kit in issued:
        state = f"revoked {kit.revoked_day}" if kit.revoked_day else "active"
        click.echo(
            f"{kit.name:<24} made {kit.created_day}  {state:<18} {kit.registrations_brought} registrations brought"
        )
    if not issued:
        click.echo("No kit yet: make one with 'gatehouse kit create'.")


@kit_group.command("revoke")
@instance_option
@click.argument("name")
def revoke(instance_dir: Path, name: str) -> None:
    """Refuse a lost or seized kit's bundles from now on (what it brought before stays)."""
    with opened(instance_dir) as (_instance, connection):
        kits.revoke_kit(connection, name)
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
    from app.serving.memory_hardening import restart_hardened
    from app.serving.server import is_loopback, serve_instance

    # Before the passphrase is read: the restarted process reads it, and frees nothing unwiped.
    restart_hardened()
    instance = _open_kit(instance_dir, kit_file)
    with instance.connection() as connection:
        kit = identity(connection)
    click.echo(f"Field kit {kit.name} of {instance.event.id}.")
    click.echo(
        f"Central instance key: {audit.public_key_text(kit.central_verify_key)}\n"
        "  Check that the organisers' key is the same; if it is not, stop: this kit was not made by them."
    )
    serve_instance({"INSTANCE": instance}, host, port, click.echo, https=https or not is_loopback(host))


def _open_kit(instance_dir: Path, kit_file: Path | None) -> Instance:
    try:
        keys = crypto.derive_kit_keys(ask_secret("Kit passphrase"))
        return start_kit(instance_dir, keys, read_parts([kit_file]) if kit_file else None)
    except crypto.WrongPassphrase:
        raise click.ClickException("that is not a kit passphrase: it is seven words from the word list") from None
    except NotForThisKey:
        raise click.ClickException("this passphrase does not open this kit file") from None
