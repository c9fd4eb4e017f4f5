"""`gatehouse backup` and `gatehouse restore`: backups only the recovery words open, and a restore on a new
machine that brings back nothing the system destroyed."""

from __future__ import annotations

from pathlib import Path

import click

from app.audit import log as audit
from app.backups import restore as restoring
from app.backups.backup import Backup, backup_into, write_backup
from app.backups.withdrawals import export_record
from app.cli.options import ask_secret, instance_option, verify_key
from app.common.bundle_files import read_parts
from app.instance.folder import opened


def _at_least_one(_context: click.Context, _parameter: click.Parameter, value: int) -> int:
    if value < 1:
        raise click.BadParameter("keep at least one backup: 0 would delete the one just made")
    return value


@click.command("backup")
@instance_option
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), help="Write one backup to FILE.")
@click.option(
    "--into",
    "folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Write it into this folder, and delete the backups there that are due or beyond --keep.",
)
@click.option("--keep", default=7, show_default=True, callback=_at_least_one, help="With --into: how many to keep.")
@click.option(
    "--withdrawals-out",
    "withdrawals_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also (or only) write the record of destroyed ids to FILE, replacing an older record there.",
)
def backup_command(
    instance_dir: Path, out_file: Path | None, folder: Path | None, keep: int, withdrawals_file: Path | None
) -> None:
    """Back up the instance, encrypted to the event's recovery key: only the recovery words open it."""
    if out_file is not None and folder is not None:
        raise click.UsageError("give --out FILE or --into FOLDER, not both")
    if out_file is None and folder is None and withdrawals_file is None:
        raise click.UsageError("say where: --out FILE, --into FOLDER, or --withdrawals-out FILE")
    with opened(instance_dir) as (instance, connection):
        if out_file is not None:
            _made(write_backup(connection, instance, out_file), out_file)
        if folder is not None:
            made, path, deleted = backup_into(connection, instance, folder, keep)
            _made(made, path)
            for gone in deleted:
                why = "its first due day has come" if gone.is_due(made.taken) else f"beyond the newest {keep}"
                click.echo(f"Deleted {gone.path.name}: {why}.")
        if withdrawals_file is not None:
            count = export_record(connection, instance.event.id, withdrawals_file)
            click.echo(
                f"Wrote the withdrawal record ({count} destroyed ids) to {withdrawals_file}: give it to"
                " `gatehouse restore --withdrawals` with any backup older than it."
            )


def _made(made: Backup, path: Path) -> None:
    click.echo(
        f"Wrote the backup of {made.event_id} taken {made.taken.isoformat()} to {path}:"
        f" {made.registrations} registrations, {made.log_entries} log entries. SHA-256 {made.sha256}."
    )
    if made.first_due is None:
        click.echo("It holds no personal value, so nothing in it is ever due for destruction.")
    else:
        click.echo(f"First due for destruction on {made.first_due.isoformat()}: delete it by then (--into does).")
    click.echo("Only the event's recovery words open it. To restore it on a new machine:")
    click.echo(
        f"  gatehouse restore {path.name} --instance NEW-FOLDER --signer {audit.public_key_text(made.signer)}"
        " --withdrawals LATEST-RECORD"
    )
    click.echo("Keep that --signer key with the recovery words: it shows that a backup is this instance's.")


@click.command("restore")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@instance_option
@click.option(
    "--withdrawals",
    "records",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A withdrawal record newer than the backup (repeatable): what it names is not brought back.",
)
@click.option("--signer", "signer_text", help="The instance's key, as 'gatehouse audit public-key' printed it.")
@click.option("--unverified", is_flag=True, help="Restore without checking who signed the backup.")
def restore_command(
    backup_file: Path, instance_dir: Path, records: tuple[Path, ...], signer_text: str | None, unverified: bool
) -> None:
    """Rebuild an instance from a backup into a new folder (asks the recovery words), with a new database key;
    today's purge runs before anything can serve it."""
    if signer_text is None and not unverified:
        # Anyone who knows the recovery public key can encrypt a backup to it: the signer says whose it is.
        raise click.UsageError(
            "say whose signature to trust: --signer KEY (printed by `gatehouse backup`, or by `gatehouse audit"
            " public-key` on the old instance); or --unverified. Nothing was written."
        )
    signer = verify_key(signer_text, "--signer") if signer_text else None
    target = restoring.check_target(instance_dir)  # refused before the words are asked
    part, *_ = read_parts([backup_file])
    withdrawal_parts = [(str(path), read_parts([path])) for path in records]
    words = ask_secret("Recovery words")
    report = restoring.restore_backup(part, words, target, signer=signer, records=withdrawal_parts)
    if signer is None:
        click.echo(
            f"WARNING: --unverified: the backup was signed with the key {audit.public_key_text(report.signer)};"
            " compare it with the one you kept.",
            err=True,
        )
    click.echo(
        f"Restored {report.event_id} from the backup taken {report.taken} into {target}, with a new database key:"
    )
    click.echo(
        f"  {report.registrations} registrations, {report.staff} staff accounts, {report.grants} grants,"
        f" {report.log_entries} log entries"
    )
    if records:
        click.echo(
            f"  not brought back, destroyed since the backup: {report.registrations_destroyed_since} registrations,"
            f" {report.values_destroyed_since} other values"
        )
    else:
        click.echo(
            f"WARNING: no withdrawal record was given: a registration withdrawn after {report.taken} is back."
            " If you have a newer record, wipe this folder and restore again with --withdrawals.",
            err=True,
        )
    click.echo(
        f"  today's purge destroyed {report.purge.values_destroyed} values and {report.purge.records} whole records"
    )
    click.echo(f"  the audit log {'verifies' if report.log_verifies else 'DOES NOT VERIFY: tell the auditors'}")
    click.echo(
        f"Everything is as it was on {report.taken}: do again what was done since (a revocation, a new account, a"
        " decision). Serve it with `gatehouse serve --instance` on this folder."
    )
