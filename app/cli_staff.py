"""`gatehouse staff`, `grant`, `revoke` and `keys`: managing people and who holds which compartment.

Every prompt also reads standard input when it is not a terminal, so each command can be scripted.
"""

from __future__ import annotations

from pathlib import Path

import click
import segno

import crypto
from app import audit, db, keyring
from app import instance as instances
from app.cli_options import ask_secret, instance_option
from app.key_files import KeyFileError, write_key_file
from app.staff_accounts import ROLES, AccountError, NewAccount, add_staff, disable_staff, find_staff, list_staff
from app.staff_auth import passphrase_matches


def _open(instance_dir: Path) -> tuple[instances.Instance, db.Connection]:
    if not instances.exists(instance_dir):
        raise click.ClickException(f"no Gatehouse instance in {instance_dir.resolve()}")
    instance = instances.open_instance(instance_dir)
    return instance, instance.connect()


def _show_new_account(account: NewAccount, issuer: str, qr_svg: Path | None) -> None:
    member = account.member
    click.echo(f"\nAccount {member.username} ({member.role}) created. Shown once, never stored in the clear:\n")
    click.echo(f"  passphrase:   {account.passphrase}")
    click.echo(f"  TOTP secret:  {account.totp_secret}\n")
    if member.keeps_key_offline:
        click.echo("  Their private key stays on their own machine; the passphrase above is for logging in only.")
    qr = segno.make(account.totp_uri(issuer), error="m")
    if qr_svg:
        qr.save(str(qr_svg), kind="svg", scale=6)
        qr_svg.chmod(0o600)
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
    instance, connection = _open(instance_dir)
    try:
        key_bytes = bytes.fromhex(public_key) if public_key else None
    except ValueError:
        raise click.ClickException("a public key is 64 hexadecimal digits") from None
    try:
        with db.transaction(connection):
            account = add_staff(connection, username.strip().lower(), role, key_bytes)
            audit.record(connection, "cli", "staff-add", account.member.username, {"role": role})
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    finally:
        connection.close()
    _show_new_account(account, instance.event.name("en"), qr_svg)


@staff_group.command("list")
@instance_option
def staff_list(instance_dir: Path) -> None:
    """List staff accounts and the compartments each holds."""
    instance, connection = _open(instance_dir)
    try:
        for member in list_staff(connection):
            held = sorted(
                {c for (c,) in connection.execute("SELECT compartment FROM grants WHERE staff_id = ?", (member.id,))}
            )
            state = "disabled" if member.disabled else "active"
            key = "key offline" if member.keeps_key_offline else "key on server"
            click.echo(f"{member.username:<20} {member.role:<8} {state:<9} {key:<14} {', '.join(held) or '-'}")
    finally:
        connection.close()


@staff_group.command("disable")
@instance_option
@click.argument("username")
def staff_disable(instance_dir: Path, username: str) -> None:
    """Disable an account: it can no longer log in or receive grants."""
    _instance, connection = _open(instance_dir)
    try:
        with db.transaction(connection):
            member = disable_staff(connection, username.strip().lower())
            audit.record(connection, "cli", "staff-disable", member.username)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    finally:
        connection.close()
    click.echo(f"{member.username} is disabled. Sessions of a running server end at their next request.")


def _holder_keys(connection: db.Connection, event_id: str, holder: str | None) -> tuple[keyring.HeldKeys, str]:
    """Open the compartment keys of the granting party: a staff member's passphrase, or the recovery words."""
    if holder is None:
        words = ask_secret("Recovery words")
        try:
            recovery_key = crypto.private_key_from_recovery_words(words)
            return keyring.keys_from_recovery(connection, event_id, recovery_key), "recovery key"
        except (crypto.InvalidRecoveryWords, crypto.RecordTampered):
            raise click.ClickException("those are not this event's recovery words") from None
    member = find_staff(connection, holder)
    if member is None or member.disabled or member.keeps_key_offline:
        raise click.ClickException(f"{holder} is not an active account with its key on this server")
    passphrase = ask_secret(f"Passphrase of {holder}")
    login_hash = connection.execute("SELECT login_hash FROM staff WHERE id = ?", (member.id,)).fetchone()[0]
    if not passphrase_matches(login_hash, passphrase):
        raise click.ClickException("that passphrase is not right")
    staff_key = crypto.unlock_private_key(member.locked_private_key, passphrase)
    return keyring.keys_held_by(connection, member.id, event_id, staff_key), member.username


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
    instance, connection = _open(instance_dir)
    try:
        event = instance.event
        if compartment not in {c.name for c in event.compartments}:
            raise click.ClickException(
                f"no compartment named {compartment}; there are: " + ", ".join(c.name for c in event.compartments)
            )
        member = find_staff(connection, grantee.strip().lower())
        if member is None or member.disabled:
            raise click.ClickException(f"{grantee} is not an active staff account")
        keys, granted_by = _holder_keys(connection, event.id, holder.strip().lower() if holder else None)
        with db.transaction(connection):
            keyring.grant(connection, event.id, compartment, member.id, member.public_key, keys, granted_by)
            audit.record(connection, granted_by, "grant", member.username, {"compartment": compartment})
    except keyring.NotHeld:
        raise click.ClickException(f"{holder} does not hold {compartment}, so cannot grant it") from None
    finally:
        connection.close()
    click.echo(f"{member.username} now holds {compartment} (from their next login).")


@click.command("revoke")
@instance_option
@click.option("--compartment", required=True)
@click.option("--from", "username", required=True, help="The staff member who loses it.")
@click.option("--rotate", is_flag=True, help="Also start a new compartment key for everything written from now on.")
def revoke_command(instance_dir: Path, compartment: str, username: str, rotate: bool) -> None:
    """Remove a grant; with --rotate, records written from now on use a key the person never had."""
    instance, connection = _open(instance_dir)
    try:
        member = find_staff(connection, username.strip().lower())
        if member is None:
            raise click.ClickException(f"there is no account named {username}")
        with db.transaction(connection):
            removed = keyring.revoke(connection, member.id, instance.event.id, compartment)
            generation = keyring.rotate(connection, instance.event.id, compartment, "cli") if rotate else None
            audit.record(
                connection,
                "cli",
                "revoke",
                member.username,
                {"compartment": compartment, "rotated_to_generation": generation},
            )
    finally:
        connection.close()
    click.echo(f"Removed {removed} key(s) of {compartment} from {member.username}.")
    if generation:
        click.echo(f"{compartment} now seals new records with key generation {generation}.")


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
    try:
        write_key_file(out, bytes(private_key.public_key), locked)
    except KeyFileError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Key written to {out}. Public key, for 'gatehouse staff add --public-key':\n{public_hex}")


@keys_group.command("export")
@instance_option
@click.argument("username")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Key file to write.")
def keys_export(instance_dir: Path, username: str, out: Path) -> None:
    """Write the key an account keeps on this server to a key file, still locked with their passphrase.

    With it, that person opens their staff exports on an air-gapped laptop ('gatehouse bundle open').
    """
    _instance, connection = _open(instance_dir)
    try:
        member = find_staff(connection, username.strip().lower())
        if member is None or member.disabled or member.keeps_key_offline:
            raise click.ClickException(f"{username} is not an active account with its key on this server")
        write_key_file(out, member.public_key, member.locked_private_key)
        audit.log(connection, "cli", "key export", member.username)
    except KeyFileError as error:
        raise click.ClickException(str(error)) from None
    finally:
        connection.close()
    click.echo(f"The key of {member.username} is written to {out}, locked with their passphrase.")


commands = (staff_group, grant_command, revoke_command, keys_group)
