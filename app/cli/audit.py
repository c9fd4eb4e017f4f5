"""`gatehouse audit`: the log-signing public key, log exports, and offline verification of an export, alone or
against what the auditor kept (an earlier export, a head code)."""

from __future__ import annotations

from pathlib import Path

import click

from app.audit import compare
from app.audit import log as audit
from app.audit.bundle import AuditExport, export_log, read_audit_bundle
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
@click.option(
    "--since",
    "earlier_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An earlier export you kept: check that this one carries every entry of it, unchanged and in order.",
)
@click.option("--head", "head_text", help="A head code you copied from /staff/audit: check that this export holds it.")
def verify(export_file: Path, key_text: str, earlier_file: Path | None, head_text: str | None) -> None:
    """Check every link and every signature of an exported log, and that it extends what you kept; needs no
    instance and no network."""
    key = verify_key(key_text, "--public-key")
    head = compare.parse_head_code(head_text) if head_text is not None else None  # refused before any reading
    later = _read(export_file, key, "Checking")
    click.echo(
        f"Audit log of {later.event_id}: {later.verification.entries} entries,"
        f" {later.verification.checkpoints} signed checkpoints."
    )
    if not later.verification.ok:
        click.echo(f"BROKEN: {later.verification.problem}.")
        raise SystemExit(1)
    diverges = False
    if earlier_file is not None:
        earlier = _read(earlier_file, key, "Earlier", earlier=True)
        if not earlier.verification.ok:
            click.echo(
                f"BROKEN: the earlier export {earlier_file.name} does not verify: {earlier.verification.problem}."
            )
            raise SystemExit(1)
        divergence = compare.divergence(earlier, later)
        if divergence is not None:
            click.echo(f"DIVERGES: this export does not extend {earlier_file.name}. {_capital(divergence.problem)}.")
            diverges = True
        else:
            click.echo(
                f"EXTENDS {earlier_file.name}: its {_count(earlier.verification.entries, 'entry', 'entries')} and"
                f" {_count(earlier.verification.checkpoints, 'checkpoint', 'checkpoints')} are all here, unchanged"
                " and in order."
            )
    if head is not None:
        problem = compare.missing_head(later, head)
        if problem is not None:
            click.echo(f"DIVERGES: this export does not hold the head code {head}. {_capital(problem)}.")
            diverges = True
        else:
            click.echo(f"HOLDS the head code {head}: entry {head.seq} is the entry it was copied from.")
    if diverges:
        # Each export was checked with the key first: only its holder can have made a rewritten one verify.
        click.echo(
            "This export verifies on its own: if it is the newer one and what you kept is of this instance, the log"
            " was rewritten and signed again by someone holding the instance's key."
        )
        raise SystemExit(1)
    click.echo(
        f"OK: every link holds and every checkpoint is signed by this key; the last covers entry"
        f" {later.verification.last_signed_seq}, the end of the export. Nothing is missing at the end as far as the"
        " checkpoints can tell."
    )
    if earlier_file is None and head is None:
        click.echo(
            "Whoever holds the instance's key could still have rewritten older entries: check this export against"
            " an earlier one (--since) or a head code you copied (--head)."
        )
    if later.verification.head_code is not None:
        click.echo(f"Head code: {later.verification.head_code} (keep it, and check the next export with --head).")


def _read(export_file: Path, key: bytes, label: str, earlier: bool = False) -> AuditExport:
    """An export read and checked with the key; a signer other than this key, or a damaged file, in one sentence."""
    progress = TerminalProgress()
    try:
        return read_audit_bundle([export_file.read_bytes()], key, progress(label))
    except UnknownSigner as error:
        subject = f"The earlier export {export_file.name}" if earlier else "This export"
        raise click.ClickException(
            f"{subject} is not signed by this key (it was signed with {audit.public_key_text(error.verify_key)})."
        ) from None
    except (BundleError, audit.ExportUnreadable) as error:
        raise click.ClickException(
            f"The earlier export {export_file.name}: {error}" if earlier else str(error)
        ) from None
    finally:
        progress.close()


def _capital(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"
