"""`gatehouse letters`: check, make, verify and revoke visa support letters, through the services the web calls.

Letters are written to a new folder (mode 0700), one file per letter and one with them all, each 0600: never
over an existing file, and never anywhere on the server unless the folder given is there.
"""

from __future__ import annotations

from pathlib import Path

import click

from app.cli.options import ask_secret, instance_option
from app.common.actor import SHELL
from app.common.bundle_files import BundleFileError, read_parts
from app.common.secret_files import SecretFileError
from app.instance.folder import opened
from app.registrations import letter_blocks, letter_document, letter_register, letters
from app.registrations.letters import LetterRun
from app.staff import accounts, grants
from offline_bundle import BundleError

_VERDICTS = {
    letter_register.Verdict.GENUINE: "GENUINE: this letter was made here, for that passport, and stands.",
    letter_register.Verdict.REVOKED: "REVOKED: this letter was made here for that passport, and has been revoked.",
    letter_register.Verdict.NOT_GENUINE: "NOT GENUINE: the code or the passport number does not match this letter.",
    letter_register.Verdict.UNKNOWN: "UNKNOWN: the register holds no letter with that reference.",
}


@click.group("letters")
def letters_group() -> None:
    """Visa support letters: check, make, verify, revoke."""


_as_option = click.option("--as", "username", required=True, help="The staff member whose keys open the letter fields.")


def print_findings(run: LetterRun) -> None:
    for finding in (*run.findings, *run.overridden):
        problems = [f"{key} is empty" for key in finding.missing]
        if finding.expires:
            problems.append(f"the passport expires on {finding.expires.isoformat()}, too soon after the event")
        state = "overridden" if finding in run.overridden else "no letter"
        click.echo(f"  {finding.pseudonym}: {'; '.join(problems)} ({state})")
    for pseudonym in run.set_aside:
        click.echo(f"  {pseudonym}: the record did not open: set aside, no letter")
    for pseudonym in run.not_opened:
        click.echo(f"  {pseudonym}: sealed under a key you do not hold, no letter")


@letters_group.command("check")
@instance_option
@_as_option
@click.option("--reason", required=True, help="Why you open the letter fields (logged).")
@click.option("--only", multiple=True, metavar="PSEUDONYM", help="Only these people (again). Repeat as needed.")
def check_command(instance_dir: Path, username: str, reason: str, only: tuple[str, ...]) -> None:
    """Name who would get no letter, and why, without making any."""
    with opened(instance_dir) as (instance, connection):
        passphrase = ask_secret(f"Passphrase of {accounts.normalise_username(username)}")
        keys, actor = grants.keys_of_holder(connection, instance.event.id, username, passphrase)
        run = letters.check_letters(connection, instance.event, keys=keys, actor=actor, reason=reason, only=only)
    click.echo(f"Ready for a letter: {len(run.ready)}. With a finding: {len(run.findings)}.")
    print_findings(run)


@letters_group.command("make")
@instance_option
@_as_option
@click.option("--reason", required=True, help="Why you open the letter fields (logged).")
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), help="A new folder for the letters.")
@click.option("--language", default="en", show_default=True, help="The language of the letter, as the event has it.")
@click.option("--only", multiple=True, metavar="PSEUDONYM", help="Only these people (again). Repeat as needed.")
@click.option("--override", multiple=True, metavar="PSEUDONYM", help="Make their letter despite a finding.")
@click.option("--override-reason", default="", help="Why the findings of --override are set aside (logged).")
def make_command(
    instance_dir: Path,
    username: str,
    reason: str,
    out_dir: Path,
    language: str,
    only: tuple[str, ...],
    override: tuple[str, ...],
    override_reason: str,
) -> None:
    """Make a letter for each approved person who has none yet (or --only these), and register it."""
    if out_dir.exists() or out_dir.is_symlink():  # said before the passphrase is asked; said again when writing
        raise SecretFileError(f"{out_dir} exists already: give a new folder, so that no letter is overwritten")
    with opened(instance_dir) as (instance, connection):
        passphrase = ask_secret(f"Passphrase of {accounts.normalise_username(username)}")
        keys, actor = grants.keys_of_holder(connection, instance.event.id, username, passphrase)
        run = letters.make_letters(
            connection, instance.event, keys=keys, actor=actor, reason=reason, language=language,
            only=only, overrides=override, override_reason=override_reason,
        )  # fmt: skip
    if run.letters:
        letter_document.write_folder(out_dir, run.letters)
    click.echo(f"Letters made and registered: {len(run.letters)}" + (f", in {out_dir}." if run.letters else "."))
    for letter in run.letters:
        click.echo(f"  {letter.reference}  {letter.code}  {letter.pseudonym}")
    print_findings(run)


@letters_group.command("verify")
@instance_option
@click.argument("reference")
@click.argument("code")
@click.option("--passport", help="The passport number the caller reads from the letter (asked if left out).")
def verify_command(instance_dir: Path, reference: str, code: str, passport: str | None) -> None:
    """Whether the letter REFERENCE with its CODE is genuine, not revoked, and for that passport."""
    if passport is None:
        passport = ask_secret("Passport number")
    with opened(instance_dir) as (instance, connection):
        verdict = letter_register.verify(
            connection, instance.event, reference=reference, code=code, passport=passport, actor=SHELL.name
        )
    click.echo(_VERDICTS[verdict])
    if verdict is not letter_register.Verdict.GENUINE:
        raise SystemExit(1)


@letters_group.command("revoke")
@instance_option
@click.argument("reference")
@click.option("--reason", required=True, help="Why the letter no longer stands (logged).")
def revoke_command(instance_dir: Path, reference: str, reason: str) -> None:
    """Make the letter REFERENCE fail verification from now on."""
    with opened(instance_dir) as (instance, connection):
        reference = letter_register.revoke(connection, instance.event, reference=reference, reason=reason, actor="cli")
    click.echo(f"{reference} is revoked: it fails verification from now on.")


@letters_group.command("import")
@instance_option
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def import_command(instance_dir: Path, files: tuple[Path, ...]) -> None:
    """Register the letters an air-gapped laptop made from a staff export (its letters-made bundle)."""
    try:
        with opened(instance_dir) as (instance, connection):
            report = letter_blocks.import_made(connection, instance.event, read_parts(files))
    except (BundleError, BundleFileError) as error:
        raise click.ClickException(f"{error} Nothing was registered.") from None
    first, last = report.block
    if report.replay:
        click.echo(f"These letters (block {first}-{last}, made by {report.username}) were registered already.")
        return
    click.echo(f"Registered {report.added} letters made offline by {report.username} (block {first}-{last}).")
