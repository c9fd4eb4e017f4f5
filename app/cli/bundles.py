"""`gatehouse bundle`: carry registrations from a field kit to the central instance, and staff exports offline."""

from __future__ import annotations

from pathlib import Path

import click

import crypto
from app.audit import log as audit
from app.cli.letters import print_findings
from app.cli.options import ask_secret, instance_option, verify_key
from app.common.bundle_files import BundleFileError, parse_size, read_parts, write_parts
from app.common.clock import SYSTEM_CLOCK
from app.common.key_files import KeyFileError, read_key_file
from app.common.progress import TerminalProgress
from app.instance.folder import opened
from app.kits.instance import is_kit, open_kit
from app.kits.sync import SyncError, export_for_central, import_from_kit, mark_exported
from app.registrations import letter_blocks, letter_document
from app.staff.accounts import normalise_username
from app.staff.offline_export import StaffExportError, export_for_staff, open_staff_export, write_outputs
from app.staff.offline_letters import OfflineLetters, make_offline_letters
from offline_bundle import MIN_PART_SIZE, BundleError, NotForThisKey


@click.group("bundle")
def bundle_group() -> None:
    """Bundles: files that carry registrations across an air gap or a slow link, sealed and signed."""


def _part_size(_context, _parameter, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        size = parse_size(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    if size < MIN_PART_SIZE:
        raise click.BadParameter(f"a part is at least {MIN_PART_SIZE} bytes")
    return size


@bundle_group.command("export")
@instance_option
@click.option("--to", "destination", type=click.Choice(["central"]), help="On a field kit: for the central instance.")
@click.option("--for-staff", "username", help="On the central instance: what this staff member may read.")
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Bundle file.")
@click.option("--part-size", callback=_part_size, help="Cut into parts of at most this size, e.g. 500KB.")
@click.option("--all", "everything", is_flag=True, help="On a kit: everything it holds, not only what is new.")
@click.option(
    "--letters",
    "letter_numbers",
    type=click.IntRange(1, letter_blocks.MAX_BLOCK),
    help="With --for-staff: let them make visa letters offline, numbered in a block of this many numbers.",
)
def export(
    instance_dir: Path,
    destination: str | None,
    username: str | None,
    out_file: Path,
    part_size: int | None,
    everything: bool,
    letter_numbers: int | None,
) -> None:
    """Write a bundle: a field kit's registrations for the central instance (asks the kit passphrase), or a
    staff member's compartments, encrypted to them, to open on an air-gapped laptop."""
    if (destination is None) == (username is None):
        raise click.UsageError("say what the bundle is for: --to central (on a kit) or --for-staff USERNAME")
    if letter_numbers and username is None:
        raise click.UsageError("--letters goes with --for-staff: letters are made by a staff member")
    if username is not None:
        _export_for_staff(instance_dir, normalise_username(username), out_file, part_size, letter_numbers or 0)
    else:
        _export_for_central(instance_dir, out_file, part_size, everything)


def _export_for_central(instance_dir: Path, out_file: Path, part_size: int | None, everything: bool) -> None:
    if not is_kit(instance_dir):
        raise click.ClickException(f"{instance_dir.resolve()} holds no field kit: run this on the kit")
    try:
        instance = open_kit(instance_dir, crypto.derive_kit_keys(ask_secret("Kit passphrase")))
    except crypto.WrongPassphrase:
        raise click.ClickException("that is not a kit passphrase: it is seven words from the word list") from None
    progress = TerminalProgress()
    try:
        with instance.connection() as connection:
            made = export_for_central(
                connection, instance.event, everything=everything, part_size=part_size, steps=progress
            )
            progress.close()
            if made is None:
                click.echo("Nothing new to export: every registration has been carried by an earlier bundle.")
                return
            paths = write_parts(out_file, made.parts)
            mark_exported(connection, made)
    finally:
        progress.close()
    click.echo(
        f"Wrote {len(made.registration_ids)} registrations"
        + (f" and {len(made.withdrawal_ids)} withdrawals" if made.withdrawal_ids else "")
        + f" for the central instance, in {len(paths)} part{'s' if len(paths) > 1 else ''}:"
    )
    for path in paths:
        click.echo(f"  {path}")
    click.echo("Send every part by any channel; the central instance imports them with 'gatehouse bundle import'.")


def _export_for_staff(
    instance_dir: Path, username: str, out_file: Path, part_size: int | None, letter_numbers: int
) -> None:
    if is_kit(instance_dir):
        raise click.ClickException("a field kit holds nothing staff can read: export from the central instance")
    progress = TerminalProgress()
    written: list[Path] = []

    def deliver(parts: list[bytes]) -> None:
        written.extend(write_parts(out_file, parts))

    try:
        with opened(instance_dir) as (instance, connection):
            count, compartments = export_for_staff(
                connection, instance, username, deliver, part_size, progress, letter_numbers=letter_numbers
            )
            central_key = audit.signing_public_key(connection)
    finally:
        progress.close()
    click.echo(
        f"Wrote {count} registrations with what {username} may read ({', '.join(compartments) or 'no compartment'}),"
        f" encrypted to their key, in {len(written)} part{'s' if len(written) > 1 else ''}:"
    )
    for path in written:
        click.echo(f"  {path}")
    click.echo(
        "They open it on their own machine with 'gatehouse bundle open FILE --key KEYFILE --out DIR --signer KEY',"
        f" where KEY is this instance's key:\n  {audit.public_key_text(central_key)}"
    )
    if letter_numbers:
        click.echo(
            f"It can make visa letters once ('bundle open ... --letters --reason WHY'), in a block of {letter_numbers}"
            " numbers; the letters-made bundle it writes comes back here with 'gatehouse letters import FILE'."
        )


@bundle_group.command("import")
@instance_option
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def import_(instance_dir: Path, files: tuple[Path, ...]) -> None:
    """Import a field kit's bundle (give every part): all of it, or nothing if anything is wrong."""
    progress = TerminalProgress()
    try:
        with opened(instance_dir) as (instance, connection):
            report = import_from_kit(connection, instance, read_parts(files), steps=progress)
    except (BundleError, SyncError, BundleFileError) as error:
        progress.close()
        raise click.ClickException(f"{error} Nothing was imported.") from None
    finally:
        progress.close()
    if report.replay:
        click.echo(f"This bundle from kit {report.kit} was already imported: nothing changed.")
        return
    click.echo(f"Imported {report.added} registrations from kit {report.kit}.")
    notes = [
        (report.already_here, "already here, skipped"),
        (report.gone_since, "withdrawn or destroyed here since, not brought back"),
        (report.renamed, "given a new pseudonym: theirs was taken here, or not one this instance draws"),
        (report.waitlisted, "on the waiting list, every place being taken"),
        (report.withdrawn, "withdrawn on the kit, destroyed here"),
    ]
    for count, what in notes:
        if count:
            click.echo(f"  {count} {what}")


@bundle_group.command("open")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--key", "key_file", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Key file.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder.")
@click.option("--signer", "signer_text", help="The central instance's key ('gatehouse audit public-key').")
@click.option(
    "--unverified",
    is_flag=True,
    help="Open it without checking who signed it: anyone who knows your public key could have written it.",
)
@click.option("--letters", "make_letters", is_flag=True, help="Make visa letters instead (an export made for it).")
@click.option("--reason", default="", help="With --letters: why you open the letter fields (logged at central).")
@click.option("--language", default="en", show_default=True, help="With --letters: the language of the letter.")
@click.option("--only", multiple=True, metavar="PSEUDONYM", help="With --letters: only these people. Repeat.")
@click.option("--override", multiple=True, metavar="PSEUDONYM", help="With --letters: despite a finding. Repeat.")
@click.option("--override-reason", default="", help="With --letters: why the findings are set aside (logged).")
def open_(
    files: tuple[Path, ...],
    key_file: Path,
    out_dir: Path,
    signer_text: str | None,
    unverified: bool,
    make_letters: bool,
    reason: str,
    language: str,
    only: tuple[str, ...],
    override: tuple[str, ...],
    override_reason: str,
) -> None:
    """Open a staff export on this machine (asks your passphrase): a CSV and a printable page, and nothing else;
    or, with --letters, the visa letters it may make, and the bundle that registers them at central."""
    if signer_text is None and not unverified:
        # Anyone who knows a staff member's public key can write an export to them: without the signer's key,
        # what would be written could be anyone's words presented as the organisers' records.
        raise click.ClickException(
            "say whose signature to trust: --signer KEY, where KEY is what 'gatehouse audit public-key' prints on"
            " the central instance; or --unverified to open it unchecked (anyone who knows your public key could"
            " have written it). Nothing was written."
        )
    signer = verify_key(signer_text, "--signer") if signer_text else None
    if make_letters and (out_dir.exists() or out_dir.is_symlink()):
        raise click.ClickException(f"{out_dir} exists already: give a new folder, so that no letter is overwritten")
    progress = TerminalProgress()
    try:
        parts = read_parts(files)
        _public_key, locked = read_key_file(key_file)
        staff_key = crypto.unlock_private_key(locked, ask_secret("Passphrase of your key file"))
        opened = open_staff_export(parts, staff_key, signer, steps=progress)
        progress.close()
        letters = None
        if make_letters:
            letters = make_offline_letters(
                opened, staff_key, reason=reason, today=SYSTEM_CLOCK.date(), language=language, only=only,
                overrides=override, override_reason=override_reason,
            )  # fmt: skip
            paths = _write_letters(out_dir, letters)
        else:
            paths = write_outputs(out_dir, opened)
    except crypto.WrongPassphrase:
        raise click.ClickException("that passphrase does not open this key file; nothing was written") from None
    except NotForThisKey:
        raise click.ClickException(
            "this export was not made for this key file (or its header is damaged); nothing was written"
        ) from None
    except (BundleError, StaffExportError, BundleFileError, KeyFileError) as error:
        raise click.ClickException(f"{error} Nothing was written.") from None
    finally:
        progress.close()
    if signer is None:
        click.echo(
            f"WARNING: --unverified: the signer was not checked. It signed with the key"
            f" {audit.public_key_text(opened.signer)}:\n"
            "  compare it with 'gatehouse audit public-key' on the central instance before you trust what it says.",
            err=True,
        )
    if letters is not None:
        _report_letters(letters, paths)
        return
    click.echo(f"Opened {len(opened.rows)} registrations: what {opened.username} may read.")
    for path in paths:
        click.echo(f"  {path}")
    if opened.set_aside:
        count = len(opened.set_aside)
        click.echo(
            f"{count} registration{' does' if count == 1 else 's do'} not open with your keys and"
            f" {'is' if count == 1 else 'are'} set aside (marked in both files): {', '.join(opened.set_aside)}.\n"
            "  Such a record is damaged, or was forged by whoever held the field kit that brought it: tell an"
            " administrator of the central instance, who can destroy it."
        )
    click.echo("These files hold personal data in the clear: keep them on this machine, and destroy them when done.")


def _write_letters(out_dir: Path, letters: OfflineLetters) -> list[Path]:
    """The letters in a new folder, and beside them the letters-made bundle to carry to central."""
    if not letters.run.letters:
        return []
    paths = letter_document.write_folder(out_dir, letters.run.letters)
    first = letters.run.letters[0].reference
    return paths + write_parts(out_dir / f"letters-made-{first}.ghb", letters.bundle)


def _report_letters(letters: OfflineLetters, paths: list[Path]) -> None:
    made = letters.run.letters
    click.echo(f"Letters made: {len(made)}, numbered in this export's block ({letters.block[0]}-{letters.block[1]}).")
    for letter in made:
        click.echo(f"  {letter.reference}  {letter.code}  {letter.pseudonym}")
    print_findings(letters.run)
    if not made:
        return
    for path in paths:
        click.echo(f"  {path}")
    click.echo(
        f"Carry {paths[-1].name} to central and run 'gatehouse letters import' there: until then these letters are"
        " not in the register, and a consulate that checks one is told it is unknown. Make letters from this export"
        " once: letters of a second run would not be registered. The letters hold personal data in the clear: keep"
        " them on this machine, and destroy them once printed."
    )
