"""`gatehouse invite new`: invitation codes for events that require one."""

from __future__ import annotations

import datetime
from pathlib import Path

import click

from app import audit, invitations
from app import instance as instances
from app.cli_options import instance_option
from app.days import today


@click.group("invite")
def invite_group() -> None:
    """Invitation codes."""


@invite_group.command("new")
@instance_option
@click.option("--count", type=click.IntRange(1, 10_000), default=1, show_default=True, help="How many codes.")
@click.option("--uses", type=click.IntRange(1, 1_000), default=1, show_default=True, help="Registrations per code.")
@click.option("--expires", type=click.DateTime(formats=["%Y-%m-%d"]), required=True, help="Last day a code works.")
def invite_new(instance_dir: Path, count: int, uses: int, expires: datetime.datetime) -> None:
    """Print new codes; only their keyed hashes are stored, so they cannot be shown again."""
    if expires.date().isoformat() < today():
        raise click.ClickException("the expiry day has already passed")
    if not instances.exists(instance_dir):
        raise click.ClickException(f"no Gatehouse instance in {instance_dir.resolve()}")
    instance = instances.open_instance(instance_dir)
    connection = instance.connect()
    try:
        codes = invitations.issue(connection, instance.secrets.invitation_key, count, uses, expires.date())
        audit.log(connection, "cli", "invitations issued", instance.event.id, {"count": count, "uses": uses})
    finally:
        connection.close()
    if not instance.event.invitation_required:
        click.echo("Note: this event does not ask for invitations (invitation_required = false).", err=True)
    click.echo(f"{count} code(s), each good for {uses} registration(s) until {expires.date().isoformat()}:")
    for code in codes:
        click.echo(code)


commands = (invite_group,)
