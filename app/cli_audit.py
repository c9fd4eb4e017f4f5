"""`gatehouse audit`: the log-signing public key, log exports, and offline verification of an export."""

from __future__ import annotations

import base64
import binascii
import json
import os
from pathlib import Path

import click

from app import audit
from app.cli_options import instance_option, require_instance


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
        click.echo(base64.b64encode(audit.signing_public_key(connection)).decode("ascii"))
    finally:
        connection.close()


@audit_group.command("export")
@instance_option
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path))
def export(instance_dir: Path, out_file: Path) -> None:
    """Write the whole log with its signed checkpoints (the head is signed now) to a file."""
    instance = require_instance(instance_dir)
    connection = instance.connect()
    try:
        audit.log(connection, "cli", "audit export", instance.event.id)
        document = audit.export_document(connection, instance.event.id)
    finally:
        connection.close()
    descriptor = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as sink:
        json.dump(document, sink, ensure_ascii=False, indent=1)
    click.echo(f"Wrote {len(document['entries'])} entries and {len(document['checkpoints'])} checkpoints to {out_file}")


def _public_key(text: str) -> bytes:
    try:
        key = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        key = b""
    if len(key) != 32:
        raise click.BadParameter("give the key printed by 'gatehouse audit public-key'", param_hint="--public-key")
    return key


@audit_group.command("verify")
@click.argument("export_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--public-key", "key_text", required=True, help="The key printed by 'gatehouse audit public-key'.")
def verify(export_file: Path, key_text: str) -> None:
    """Check every link and every signature of an exported log; needs no instance and no network."""
    key = _public_key(key_text.strip())
    try:
        document = json.loads(export_file.read_bytes())
        event_id, result = audit.verify_document(document, key)
    except (ValueError, UnicodeDecodeError) as error:
        message = str(error) if isinstance(error, audit.ExportUnreadable) else "the file is not a readable export"
        raise click.ClickException(message) from None
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
