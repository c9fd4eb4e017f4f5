"""Field kits: made on the central instance, run on a laptop from a passphrase, holding nothing they can read."""

from __future__ import annotations

import re
import socket
import ssl
import urllib.parse
import urllib.request

import pytest
from click.testing import CliRunner

import crypto
from app.cli.main import cli
from app.events.definition import demo_event_source
from app.instance.folder import SECRET_FILE
from app.kits.bundle import KitError, open_kit_bundle
from app.kits.instance import open_kit
from offline_bundle import NotForThisKey
from tests.helpers import hidden_fields, valid_answers
from tests.kit_fixtures import gatehouse, make_central, make_kit, running_kit, unverified_context
from tests.staff_fixtures import TEST_COST

CANARY = "QZX7KIT93"
INVITATION_ONLY = "invitation_required = false"


def register_over_http(url: str, answers: dict[str, str]) -> tuple[str, str]:
    """Register as a browser would, on the kit; return (pseudonym, codename) from the receipt."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(), urllib.request.HTTPSHandler(context=unverified_context())
    )
    page = opener.open(url + "/register", timeout=10).read().decode()
    assert 'name="invitation"' not in page, "a kit asks for no invitation code"
    body = urllib.parse.urlencode({**hidden_fields(page), **answers}).encode()
    receipt = opener.open(urllib.request.Request(url + "/register", data=body), timeout=10).read().decode()
    pseudonym = re.search(r'id="pseudonym"[^>]*>([^<]+)<', receipt).group(1)
    codename = re.search(r'id="codename"[^>]*>([^<]+)<', receipt).group(1)
    assert 'id="waitlisted"' not in receipt, "a kit never waitlists: the central instance decides"
    return pseudonym, codename


def canary_answers(tag: str) -> dict[str, str]:
    return valid_answers(
        full_name=f"{CANARY}-{tag}-name",
        safe_contact=f"{CANARY}-{tag}-contact",
        access_needs=f"{CANARY}-{tag}-needs",
    )


def _kit_passphrase(output: str) -> str:
    return re.search(r"^    ([a-z]+(?: [a-z]+){6})$", output, re.MULTILINE).group(1)


def test_kit_create_records_the_kit_logs_it_and_encrypts_the_file_to_the_passphrase(tmp_path):
    central, _words = make_central(tmp_path / "central")
    kit_file = tmp_path / "border.kit"
    made = gatehouse("kit", "create", "--instance", str(central.path), "--name", "border-1", "--out", str(kit_file))
    assert made.returncode == 0, made.stderr
    passphrase = _kit_passphrase(made.stdout)
    assert kit_file.stat().st_mode & 0o777 == 0o600
    connection = central.connect()
    try:
        ((name, verify_key),) = connection.execute("SELECT name, verify_key FROM kits").fetchall()
        logged = connection.execute("SELECT actor, subject FROM audit_log WHERE action = 'kit create'").fetchall()
        lookup_key = central.secrets.codename_lookup_key
    finally:
        connection.close()
    assert name == "border-1" and logged == [("cli", "border-1")]
    assert passphrase not in kit_file.read_text(errors="replace")

    contents = open_kit_bundle([kit_file.read_bytes()], crypto.derive_kit_keys(passphrase))  # the production cost
    assert contents.name == "border-1" and contents.codename_lookup_key == lookup_key
    from nacl.signing import SigningKey

    assert bytes(SigningKey(contents.kit_signing_key).verify_key) == verify_key
    wrong = crypto.new_passphrase()
    with pytest.raises(NotForThisKey):
        open_kit_bundle([kit_file.read_bytes()], crypto.derive_kit_keys(wrong))

    second_file = str(kit_file) + "2"
    again = gatehouse("kit", "create", "--instance", str(central.path), "--name", "border-1", "--out", second_file)
    assert again.returncode == 1 and "already a kit named border-1" in again.stderr
    assert not (tmp_path / "border.kit2").exists()


def test_a_kit_registers_people_with_no_invitation_and_no_waiting_list(tmp_path):
    invitation_only = demo_event_source().replace(INVITATION_ONLY, "invitation_required = true")
    central, _words = make_central(tmp_path / "central", invitation_only)
    kit_file = tmp_path / "border.kit"
    made = gatehouse("kit", "create", "--instance", str(central.path), "--name", "border-1", "--out", str(kit_file))
    passphrase = _kit_passphrase(made.stdout)
    kit_dir = tmp_path / "kit"
    with running_kit(kit_dir, passphrase, tmp_path, kit_file=kit_file) as kit:
        pseudonym, codename = register_over_http(kit.url, canary_answers("a"))
        assert central.secrets.codename_lookup_key  # the look-up key the kit uses is central's
        printed = kit.printed().decode()
        files = {path: path.read_bytes() for folder in (kit_dir, kit.temp_dir) for path in folder.rglob("*")}
    assert "Central instance key:" in printed and CANARY not in printed
    assert all(CANARY.encode() not in blob for blob in files.values()), "nothing typed is readable on the kit's disk"
    assert any(path.name.endswith("-wal") for path in files), "the WAL was searched too"
    assert sorted(path.name for path in kit_dir.iterdir() if not path.name.startswith("gatehouse.db")) == []
    assert not (kit_dir / SECRET_FILE).exists()

    instance = open_kit(kit_dir, crypto.derive_kit_keys(passphrase))
    connection = instance.connect()
    try:
        rows = connection.execute("SELECT pseudonym, status, codename_lookup, source_kit FROM registrations").fetchall()
    finally:
        connection.close()
    lookup = crypto.codename_lookup(central.secrets.codename_lookup_key, codename)
    assert rows == [(pseudonym, "submitted", lookup, None)]

    # Started again without the kit file: the same database opens with the passphrase alone.
    with running_kit(kit_dir, passphrase, tmp_path) as kit:
        register_over_http(kit.url, canary_answers("b"))


def test_a_wrong_passphrase_starts_no_kit_and_says_so(tmp_path):
    kit = make_kit(tmp_path)
    kit_dir = tmp_path / "new-kit"
    refused = gatehouse("kit", "serve", str(kit.kit_file), "--instance", str(kit_dir), stdin=crypto.new_passphrase())
    assert refused.returncode == 1 and "this passphrase does not open this kit file" in refused.stderr
    assert not kit_dir.exists()
    not_words = gatehouse("kit", "serve", str(kit.kit_file), "--instance", str(kit_dir), stdin="hunter2")
    assert not_words.returncode == 1 and "seven words" in not_words.stderr
    assert "Traceback" not in refused.stderr + not_words.stderr


def test_a_kit_on_a_network_serves_https_with_the_certificate_it_prints(tmp_path):
    central, _words = make_central(tmp_path / "central")
    kit_file = tmp_path / "border.kit"
    made = gatehouse("kit", "create", "--instance", str(central.path), "--name", "lan", "--out", str(kit_file))
    with running_kit(tmp_path / "kit", _kit_passphrase(made.stdout), tmp_path, kit_file=kit_file, https=True) as kit:
        printed = kit.printed().decode()
        port = int(kit.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with unverified_context().wrap_socket(raw, server_hostname="localhost") as tls:
                der = tls.getpeercert(binary_form=True)
        register_over_http(kit.url, canary_answers("tls"))
        with pytest.raises(OSError):  # plain HTTP to the TLS port gets nowhere
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
    from app.serving.tls import fingerprint_of

    assert fingerprint_of(der) in printed
    assert f"https://127.0.0.1:{port}/" in printed
    assert ssl.DER_cert_to_PEM_cert(der).encode() not in kit.output.read_bytes()
    assert not any((tmp_path / "kit").glob("*.pem")) and not any(kit.temp_dir.iterdir())


def test_another_kits_passphrase_does_not_open_this_kit(tmp_path):
    first = make_kit(tmp_path, "first")
    second = make_kit(tmp_path, "second", central=(first.central, first.recovery_words))
    with pytest.raises(KitError, match="this passphrase does not open the kit"):
        open_kit(first.instance.path, crypto.derive_kit_keys(second.passphrase, TEST_COST))


def test_from_kit_to_central_to_staff_by_the_commands_a_coordinator_and_an_organiser_run(tmp_path):
    from app.web.application import create_app
    from tests.staff_fixtures import ROSTER, login, make_team, open_page

    central, words = make_central(tmp_path / "central")
    kit_file, kit_dir = tmp_path / "border.kit", tmp_path / "kit"
    made = gatehouse("kit", "create", "--instance", str(central.path), "--name", "border-1", "--out", str(kit_file))
    passphrase = _kit_passphrase(made.stdout)
    with running_kit(kit_dir, passphrase, tmp_path, kit_file=kit_file) as kit:
        people = [register_over_http(kit.url, canary_answers(tag)) for tag in ("a", "b", "c")]

    bundle = tmp_path / "to-central.ghb"
    exported = gatehouse(
        "bundle", "export", "--to", "central", "--instance", str(kit_dir), "--out", str(bundle), "--part-size", "5KB",
        stdin=passphrase + "\n",
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    parts = sorted(tmp_path.glob("to-central.ghb.part-*-of-*"))
    assert len(parts) >= 3 and all(path.stat().st_mode & 0o777 == 0o600 for path in parts)
    assert "Wrote 3 registrations" in exported.stdout and str(parts[0]) in exported.stdout
    assert "[#" not in exported.stdout + exported.stderr, "no progress bar where there is no terminal"
    nothing_new = gatehouse(
        "bundle", "export", "--to", "central", "--instance", str(kit_dir), "--out", str(tmp_path / "again"),
        stdin=passphrase + "\n",
    )  # fmt: skip
    assert nothing_new.returncode == 0 and "Nothing new to export" in nothing_new.stdout

    missing = gatehouse("bundle", "import", "--instance", str(central.path), *map(str, parts[1:]))
    assert missing.returncode == 1 and f"Part 1 of {len(parts)} is missing" in missing.stderr
    imported = gatehouse("bundle", "import", "--instance", str(central.path), *map(str, parts))
    assert imported.returncode == 0, imported.stderr
    assert "Imported 3 registrations from kit border-1." in imported.stdout
    replay = gatehouse("bundle", "import", "--instance", str(central.path), *map(str, parts))
    assert replay.returncode == 0 and "already imported: nothing changed" in replay.stdout

    team = make_team(central.path, words, ROSTER)
    app = create_app({"INSTANCE_DIR": central.path, "TESTING": True})
    staff = app.test_client()
    login(staff, team["ana"])
    listing = staff.get("/staff/").get_data(as_text=True)
    for pseudonym, _codename in people:
        assert re.search(rf"{pseudonym}</a></td><td[^>]*>submitted</td>", listing), pseudonym
    assert listing.count('<td class="kit">border-1</td>') == 3
    connection = central.connect()
    try:
        ids = dict(connection.execute("SELECT pseudonym, id FROM registrations"))
    finally:
        connection.close()
    opened = open_page(staff, ids[people[0][0]]).get_data(as_text=True)
    assert f"{CANARY}-a-name" in opened and f"{CANARY}-a-needs" in opened

    # A holder of identity opens the kit's registrations on an air-gapped laptop as well.
    runner, on_central = CliRunner(), ["--instance", str(central.path)]
    key_file, export_file, out = tmp_path / "ana.key", tmp_path / "ana.ghb", tmp_path / "ana-export"
    assert runner.invoke(cli, ["keys", "export", "ana", "--out", str(key_file), *on_central]).exit_code == 0
    made = runner.invoke(cli, ["bundle", "export", "--for-staff", "ana", "--out", str(export_file), *on_central])
    assert made.exit_code == 0, made.output
    central_key = runner.invoke(cli, ["audit", "public-key", *on_central]).output.strip()
    opening = ["bundle", "open", str(export_file), "--key", str(key_file), "--out", str(out), "--signer", central_key]
    opened = runner.invoke(cli, opening, input=team["ana"].passphrase)
    assert opened.exit_code == 0, opened.output
    table = (out / "registrations.csv").read_text()
    assert all(f"{CANARY}-{tag}-name" in table and f"{CANARY}-{tag}-contact" in table for tag in "abc")

    participant = app.test_client()
    tokens = hidden_fields(participant.get("/status").get_data(as_text=True))
    status = participant.post("/status", data={"csrf_token": tokens["csrf_token"], "codename": people[1][1]})
    assert status.status_code == 200 and people[1][0] in status.get_data(as_text=True)


def test_setting_up_an_instance_over_a_kit_refuses_and_keeps_the_kit(tmp_path):
    kit = make_kit(tmp_path)
    before = (kit.instance.path / "gatehouse.db").read_bytes()
    for command in (["init", "--event", str(tmp_path / "event.toml")], ["demo", "--port", "1"]):
        (tmp_path / "event.toml").write_text(demo_event_source())
        result = gatehouse(*command, "--instance", str(kit.instance.path))
        assert result.returncode == 1 and "already exists" in result.stderr
    assert (kit.instance.path / "gatehouse.db").read_bytes() == before
    assert not (kit.instance.path / SECRET_FILE).exists()
