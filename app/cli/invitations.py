"""`gatehouse invite new`: invitation codes for events that require one."""

from __future__ import annotations

import datetime
from pathlib import Path

import click

from app.cli.options import instance_option
from app.instance.folder import opened
from app.registrations import invitations


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
    with opened(instance_dir) as (instance, connection):
        codes = invitations.issue(connection, instance, count, uses, expires.date())
    if not instance.event.invitation_required:
        click.echo("Note: this event does not ask for invitations (invitation_required = false).", err=True)
    click.echo(f"{count} code(s), each good for {uses} registration(s) until {expires.date().isoformat()}:")
    for code in codes:
        click.echo(code)
