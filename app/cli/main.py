"""The `gatehouse` command group: every command registered once, and domain errors turned into one sentence.

A command parses its options, calls one service and prints what it did. A service refuses bad input with
a GatehouseError before it changes anything; this group prints that sentence and exits with status 1,
never a traceback.
"""

from __future__ import annotations

from typing import Any

import click

from app.cli.audit import audit_group
from app.cli.backups import backup_command, restore_command
from app.cli.bundles import bundle_group
from app.cli.checkin import checkin_group
from app.cli.deployment import doctor, systemd_unit
from app.cli.instance import check_event, demo, init, serve
from app.cli.invitations import invite_group
from app.cli.kits import kit_group
from app.cli.letters import letters_group
from app.cli.retention import purge, wipe_command
from app.cli.staff import grant_command, keys_group, revoke_command, staff_group
from app.cli.tor import tor_config
from app.common.errors import GatehouseError
from offline_bundle import BundleError


class GatehouseGroup(click.Group):
    """A plain click group whose commands' refusals reach the person as one sentence and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GatehouseError as error:
            raise click.ClickException(_sentence(error)) from None
        except BundleError as error:  # offline_bundle knows nothing of app: its errors are mapped here
            raise click.ClickException(f"{_sentence(error)} Nothing was changed.") from None


def _sentence(error: Exception) -> str:
    return str(error) or type(error).__doc__ or "this could not be done"


@click.group(cls=GatehouseGroup, name="gatehouse")
def cli() -> None:
    """Gatehouse: registration for gatherings of human rights defenders at risk.

    Every command that works on an instance takes --instance DIR (or GATEHOUSE_INSTANCE; default ./instance).
    """


for _command in (
    demo,
    init,
    check_event,
    serve,
    tor_config,
    systemd_unit,
    doctor,
    staff_group,
    grant_command,
    revoke_command,
    keys_group,
    invite_group,
    purge,
    wipe_command,
    backup_command,
    restore_command,
    audit_group,
    kit_group,
    bundle_group,
    letters_group,
    checkin_group,
):
    cli.add_command(_command)


def main() -> None:
    cli.main(prog_name="gatehouse")
