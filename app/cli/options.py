"""Options shared by every `gatehouse` command that works on an instance."""

from __future__ import annotations

import sys
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


host_option = click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
port_option = click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))


def ask_secret(prompt: str, confirm: bool = False) -> str:
    """A secret typed at a hidden prompt, or one line of standard input when a script pipes it in."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return click.prompt(prompt, hide_input=True, confirmation_prompt=confirm)


def verify_key(text: str, option: str) -> bytes:
    """An Ed25519 verify key as `gatehouse audit public-key` prints it (base64), or in hexadecimal."""
    import base64
    import binascii

    text = text.strip()
    try:
        key = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        key = b""
    if len(key) != 32:
        raise click.BadParameter("give the key printed by 'gatehouse audit public-key'", param_hint=option)
    return key
