"""`gatehouse audit`: the log-signing public key, log exports, and offline verification of an export."""

from __future__ import annotations

from pathlib import Path

import click

from app import audit
from app.audit_bundle import verify_audit_bundle, write_audit_bundle
from app.bundle_files import BundleFileError, write_parts
from app.cli_options import instance_option, require_instance, verify_key
from app.progress import TerminalProgress
from offline_bundle import BundleError, UnknownSigner


@click.group("audit")
def audit_group() -> None:
    """Export the audit log and verify an export, on any machine."""


@audit_group.command("public-key")
@instance_option
def public_key(instance_dir: Path) -> None:
    """Print the key that signs the log's checkpoints; auditors keep it to verify exports later."""
    instance = require_instance(instance_dir)
    connection = instance.connect()
    try:
        click.echo(audit.public_key_text(audit.signing_public_key(connection)))
    finally:
        connection.close()


@audit_group.command("export")
@instance_option
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path))
def export(instance_dir: Path, out_file: Path) -> None:
    """Write the whole log with its signed checkpoints (the head is signed now) to a bundle file."""
    instance = require_instance(instance_dir)
    connection = instance.connect()
    try:
        audit.log(connection, "cli", "audit export", instance.event.id)
        parts, entries, checkpoints = write_audit_bundle(connection, instance.event.id)
        write_parts(out_file, parts)
    except BundleFileError as error:
        raise click.ClickException(str(error)) from None
    finally:
        connection.close()
    click.echo(f"Wrote {entries} entries and {checkpoints} checkpoints to {out_file}")


@audit_group.command("verify")
@click.argument("export_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--public-key", "key_text", required=True, help="The key printed by 'gatehouse audit public-key'.")
def verify(export_file: Path, key_text: str) -> None:
    """Check every link and every signature of an exported log; needs no instance and no network."""
    key = verify_key(key_text, "--public-key")
    progress = TerminalProgress()
    try:
        event_id, result = verify_audit_bundle([export_file.read_bytes()], key, progress("Checking"))
    except UnknownSigner as error:
        raise click.ClickException(
            f"This export is not signed by this key (it was signed with {audit.public_key_text(error.verify_key)})."
        ) from None
    except (BundleError, audit.ExportUnreadable) as error:
        raise click.ClickException(str(error)) from None
    finally:
        progress.close()
    click.echo(f"Audit log of {event_id}: {result.entries} entries, {result.checkpoints} signed checkpoints.")
    if not result.ok:
        click.echo(f"BROKEN: {result.problem}.")
        raise SystemExit(1)
    click.echo(
        f"OK: every link holds and every checkpoint is signed by this key; the last covers entry"
        f" {result.last_signed_seq}, the end of the export. Nothing is missing at the end as far as the"
        " checkpoints can tell (compare its head with an earlier export to see whether older entries were kept)."
    )


commands = (audit_group,)
