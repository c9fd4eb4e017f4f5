"""`gatehouse staff`, `grant`, `revoke` and `keys`: managing people and who holds which compartment.

Every prompt also reads standard input when it is not a terminal, so each command can be scripted.
"""

from __future__ import annotations

from pathlib import Path

import click
import segno

import crypto
from app.cli.options import ask_secret, instance_option
from app.common.actor import SHELL
from app.common.key_files import write_key_file
from app.common.secret_files import create_secret_file
from app.instance.folder import opened
from app.staff import accounts, grants
from app.staff.accounts import ROLES, NewAccount


def _show_new_account(account: NewAccount, issuer: str, qr_svg: Path | None) -> None:
    member = account.member
    click.echo(f"\nAccount {member.username} ({member.role}) created. Shown once, never stored in the clear:\n")
    click.echo(f"  passphrase:   {account.passphrase}")
    click.echo(f"  TOTP secret:  {account.totp_secret}\n")
    if member.keeps_key_offline:
        click.echo("  Their private key stays on their own machine; the passphrase above is for logging in only.")
    qr = segno.make(account.totp_uri(issuer), error="m")
    if qr_svg:
        with create_secret_file(qr_svg) as out:
            qr.save(out, kind="svg", scale=6)
        click.echo(f"  TOTP QR code written to {qr_svg} (delete it once scanned).")
    else:
        click.echo("  Scan this with an authenticator app:\n")
        qr.terminal(compact=True)
    click.echo("\nHand these over in person or over an end-to-end encrypted channel.")


@click.group("staff")
def staff_group() -> None:
    """Add, list and disable staff accounts."""


@staff_group.command("add")
@instance_option
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), prompt=True, help="What the account may do.")
@click.option(
    "--public-key", help="For a person who keeps their private key offline: the key from 'gatehouse keys new'."
)
@click.option("--qr-svg", type=click.Path(dir_okay=False, path_type=Path), help="Write the TOTP QR code here.")
def staff_add(instance_dir: Path, username: str, role: str, public_key: str | None, qr_svg: Path | None) -> None:
    """Create a staff account with a generated passphrase and a TOTP secret."""
    try:
        key_bytes = bytes.fromhex(public_key) if public_key else None
    except ValueError:
        raise click.ClickException("a public key is 64 hexadecimal digits") from None
    with opened(instance_dir) as (instance, connection):
        account = accounts.add_staff(connection, username, role, key_bytes)
    _show_new_account(account, instance.event.name("en"), qr_svg)


@staff_group.command("list")
@instance_option
def staff_list(instance_dir: Path) -> None:
    """List staff accounts and the compartments each holds."""
    with opened(instance_dir) as (_instance, connection):
        listing = accounts.list_staff(connection)
    for member, held in listing:
        state = "disabled" if member.disabled else "active"
        key = "key offline" if member.keeps_key_offline else "key on server"
        click.echo(f"{member.username:<20} {member.role:<8} {state:<9} {key:<14} {', '.join(held) or '-'}")


@staff_group.command("disable")
@instance_option
@click.argument("username")
def staff_disable(instance_dir: Path, username: str) -> None:
    """Disable an account: it can no longer log in, and its open sessions end at their next request."""
    with opened(instance_dir) as (_instance, connection):
        member = accounts.disable_staff(connection, username)
    click.echo(f"{member.username} is disabled. Sessions of a running server end at their next request.")


@click.command("grant")
@instance_option
@click.option("--compartment", required=True, help="The compartment to grant.")
@click.option("--to", "grantee", required=True, help="The staff member who receives it.")
@click.option("--from", "holder", help="A staff member who holds it (asks their passphrase).")
@click.option("--recovery", is_flag=True, help="Grant with the event's recovery words instead (asks for them).")
def grant_command(instance_dir: Path, compartment: str, grantee: str, holder: str | None, recovery: bool) -> None:
    """Seal a compartment key you hold to another staff member."""
    if bool(holder) == recovery:
        raise click.ClickException("say who grants: --from USERNAME or --recovery")
    with opened(instance_dir) as (instance, connection):
        event = instance.event
        # Checked before any secret is asked for: a typo is named at once.
        compartment = grants.require_compartment(event, compartment)
        accounts.require_staff(connection, grantee, active=True)
        if holder is None:
            keys = grants.keys_from_recovery_words(connection, event.id, ask_secret("Recovery words"))
            granted_by = "recovery key"
        else:
            passphrase = ask_secret(f"Passphrase of {accounts.normalise_username(holder)}")
            keys, granted_by = grants.keys_of_holder(connection, event.id, holder, passphrase)
        member = grants.grant(
            connection, event, compartment=compartment, to=grantee, holder_keys=keys, actor=granted_by
        )
    click.echo(f"{member.username} now holds {compartment} (from their next login).")


@click.command("revoke")
@instance_option
@click.option("--compartment", required=True)
@click.option("--from", "username", required=True, help="The staff member who loses it.")
@click.option("--rotate", is_flag=True, help="Also start a new compartment key for everything written from now on.")
def revoke_command(instance_dir: Path, compartment: str, username: str, rotate: bool) -> None:
    """Remove a grant (open sessions lose it at their next request); with --rotate, records written from now on
    use a key the person never had."""
    with opened(instance_dir) as (instance, connection):
        revoked = grants.revoke(
            connection, instance.event, compartment=compartment, username=username, actor=SHELL, rotate=rotate
        )
    compartment = compartment.strip()
    click.echo(f"Removed {revoked.keys_removed} key(s) of {compartment} from {revoked.member.username}.")
    if revoked.rotated_to_generation:
        click.echo(f"{compartment} now seals new records with key generation {revoked.rotated_to_generation}.")


@click.group("keys")
def keys_group() -> None:
    """Staff key pairs kept offline."""


@keys_group.command("new")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Key file to write.")
def keys_new(out: Path) -> None:
    """Make a key pair on this machine; the private key is locked with a passphrase you choose."""
    passphrase = ask_secret("Passphrase for the key file", confirm=True)
    if len(passphrase) < 12:
        raise click.ClickException("choose a passphrase of at least 12 characters (several words are best)")
    private_key = crypto.new_key_pair()
    locked = crypto.lock_private_key(private_key, passphrase)
    public_hex = bytes(private_key.public_key).hex()
    write_key_file(out, bytes(private_key.public_key), locked)
    click.echo(f"Key written to {out}. Public key, for 'gatehouse staff add --public-key':\n{public_hex}")


@keys_group.command("export")
@instance_option
@click.argument("username")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Key file to write.")
def keys_export(instance_dir: Path, username: str, out: Path) -> None:
    """Write the key an account keeps on this server to a key file, still locked with their passphrase.

    With it, that person opens their staff exports on an air-gapped laptop ('gatehouse bundle open').
    """
    with opened(instance_dir) as (_instance, connection):
        member = accounts.export_key(connection, username, lambda public, locked: write_key_file(out, public, locked))
    click.echo(f"The key of {member.username} is written to {out}, locked with their passphrase.")
