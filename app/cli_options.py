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


def require_instance(instance_dir: Path):
    """The instance in this folder, or a clear error for the person at the terminal."""
    from app import instance as instances

    if not instances.exists(instance_dir):
        raise click.ClickException(f"no Gatehouse instance in {instance_dir.resolve()}")
    return instances.open_instance(instance_dir)
