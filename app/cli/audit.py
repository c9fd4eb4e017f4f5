"""`gatehouse audit`: the log-signing public key, log exports, and offline verification of an export."""

from __future__ import annotations

from pathlib import Path

import click

from app.audit import log as audit
from app.audit.bundle import export_log, verify_audit_bundle
from app.cli.options import instance_option, verify_key
from app.common.bundle_files import write_parts
from app.common.progress import TerminalProgress
from app.instance.folder import opened
from offline_bundle import BundleError, UnknownSigner


@click.group("audit")
def audit_group() -> None:
    """Export the audit log and verify an export, on any machine."""


@audit_group.command("public-key")
@instance_option
def public_key(instance_dir: Path) -> None:
    """Print the key that signs the log's checkpoints; auditors keep it to verify exports later."""
    with opened(instance_dir) as (_instance, connection):
        click.echo(audit.public_key_text(audit.signing_public_key(connection)))


@audit_group.command("export")
@instance_option
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path))
def export(instance_dir: Path, out_file: Path) -> None:
    """Write the whole log with its signed checkpoints (the head is signed now) to a bundle file."""
    with opened(instance_dir) as (instance, connection):
        parts, entries, checkpoints = export_log(connection, instance.event.id, "cli")
        write_parts(out_file, parts)
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
