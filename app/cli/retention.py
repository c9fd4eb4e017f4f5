"""`gatehouse purge` and `gatehouse wipe`: retention run by hand, and the emergency wipe."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli.options import instance_option
from app.instance import wipe
from app.instance.folder import open_instance, opened
from app.registrations import retention


@click.command()
@instance_option
@click.option("--dry-run", is_flag=True, help="List what would be destroyed, by field and count; destroy nothing.")
def purge(instance_dir: Path, dry_run: bool) -> None:
    """Destroy every value whose retention rule has run out (the server also does this daily)."""
    with opened(instance_dir) as (instance, connection):
        report = retention.purge(connection, instance.event, retention.purge_day(connection), dry_run=dry_run)
    verb = "Would destroy" if dry_run else "Destroyed"
    click.echo(f"Purge as of {report.on_day.isoformat()}{' (dry run: nothing destroyed)' if dry_run else ''}:")
    if not report.values:
        click.echo("  nothing is due.")
    for field_key, by_rule in sorted(report.values.items()):
        for rule, count in by_rule.items():
            click.echo(f"  {verb} {count} value(s) of {field_key}, under the rule '{rule}'")
    if report.values:
        click.echo(f"  {verb} {report.data_keys} sealed data key(s) and {report.records} whole record(s).")


@click.command("wipe")
@instance_option
@click.option("--confirm", "confirm_event", required=True, metavar="EVENT", help="The event id, typed to confirm.")
def wipe_command(instance_dir: Path, confirm_event: str) -> None:
    """Destroy every key and the database: nothing this instance wrote can be read by anyone afterwards."""
    instance = open_instance(instance_dir)
    report = wipe.wipe(instance, actor="cli", confirm=confirm_event)
    click.echo(f"Wiped {instance.event.id}. Destroyed:")
    for what, count in report.destroyed.items():
        click.echo(f"  {count:>7}  {what}")
    click.echo(f"  {report.staff_keys:>7}  staff private keys and login secrets")
    click.echo("  the database key: the database was re-encrypted under a random key nobody holds")
    click.echo(f"Overwritten and removed: {', '.join(report.files_removed)}")
    if report.final_checkpoint is not None:
        checkpoint = report.final_checkpoint
        click.echo(
            f"The audit log ended at entry {checkpoint.seq} (the wipe), head {checkpoint.head_hash.hex()},"
            " signed with the instance key; it is destroyed with the rest."
        )
    click.echo(
        "A server still running on this folder closes at its next request: it drops every key it holds and"
        " answers every page that the service is closed. Stop it when you can."
    )
