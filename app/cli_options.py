"""Options shared by every `gatehouse` command that works on an instance."""

from __future__ import annotations

from pathlib import Path

import click

instance_option = click.option(
    "--instance",
    "instance_dir",
    envvar="GATEHOUSE_INSTANCE",
    default="instance",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The instance folder (or set GATEHOUSE_INSTANCE).",
)
