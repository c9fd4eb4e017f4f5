"""Staff exports opened on an air-gapped laptop: only the holder's compartments, only with their key and
passphrase, into a CSV and a printable page, and nothing written anywhere else."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nacl.public import PrivateKey

import crypto
from app.cli.main import cli
from app.common.key_files import read_key_file
from app.instance.folder import open_instance
from app.registrations.record_format import decode
from app.staff.offline_export import StaffExportError, open_staff_export
from offline_bundle import BundleError, read_bundle
from tests.helpers import hidden_fields, valid_answers
from tests.staff_fixtures import register_canary

CANARY = "QZX7OFFLINE93"
NEEDS_FIELDS = ["track", "diet", "access_needs"]
FORMULA = '=HYPERLINK("http://example.org","<script>alert(1)</script>")'


def _run(*arguments: str, stdin: str = "", cwd=None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def exported(demo_instance, app, client, team, tmp_path):
    """Three registrations (one whose needs start like a formula), otto's export and otto's key file."""
    register_canary(client, CANARY + "a")
    register_canary(client, CANARY + "b")
    tokens = hidden_fields(client.get("/register").get_data(as_text=True))
    formula = valid_answers(full_name=CANARY + "c-name", access_needs=FORMULA)
    assert client.post("/register", data={**tokens, **formula}).status_code == 200
    instance = ["--instance", str(demo_instance.path)]
    bundle, key_file = tmp_path / "otto.ghb", tmp_path / "otto.key"
    made = _run("bundle", "export", "--for-staff", "otto", "--out", str(bundle), *instance)
    assert made.returncode == 0, made.stderr
    assert "Wrote 3 registrations with what otto may read (needs)" in made.stdout
    assert _run("keys", "export", "otto", "--out", str(key_file), *instance).returncode == 0
    central_key = _run("audit", "public-key", *instance).stdout.strip()
    assert central_key in made.stdout
    return bundle, key_file, central_key, team


def test_a_holder_of_needs_opens_only_needs_with_their_key_and_nothing_else_is_written(exported, tmp_path):
    bundle, key_file, central_key, team = exported
    laptop, scratch = tmp_path / "laptop", tmp_path / "scratch"
    laptop.mkdir()
    scratch.mkdir()
    out = laptop / "otto-export"
    before = {path for path in tmp_path.rglob("*")}
    opened = _run(
        "bundle", "open", str(bundle), "--key", str(key_file), "--out", str(out), "--signer", central_key,
        stdin=team["otto"].passphrase + "\n", cwd=laptop, env={"TMPDIR": str(scratch), "HOME": str(scratch)},
    )  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    assert "Opened 3 registrations" in opened.stdout and "WARNING" not in opened.stderr
    written = {path for path in tmp_path.rglob("*")} - before
    assert written == {out, out / "registrations.csv", out / "registrations.html"}
    assert not any(scratch.iterdir())
    for path in out.iterdir():
        assert path.stat().st_mode & 0o777 == 0o600
    assert out.stat().st_mode & 0o777 == 0o700

    table = list(csv.reader(io.StringIO((out / "registrations.csv").read_text())))
    assert table[0] == ["pseudonym", "status", "submitted_day", *NEEDS_FIELDS]
    assert len(table) == 4
    needs = sorted(row[5] for row in table[1:])
    assert needs == sorted([f"{CANARY}a-needs", f"{CANARY}b-needs", "'" + FORMULA])
    html = (out / "registrations.html").read_text()
    everything = (out / "registrations.csv").read_text() + html + opened.stdout + opened.stderr
    assert f"{CANARY}a-name" not in everything and f"{CANARY}a-contact" not in everything  # identity, contact
    assert f"{CANARY}a-safety" not in everything  # safety
    assert f"{CANARY}b-needs" in html and "Vegan" in html  # a choice shown by its label
    for loads_something in ("<script", " src=", " href=", "url(", "@import", "<link", "<img", "<iframe"):
        assert loads_something not in html.lower()
    assert html.count("://") == 1, "no address but the one a participant typed, as text"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "default-src 'none'" in html


def test_the_export_carries_only_the_holders_ciphertexts_is_logged_and_holds_no_value_in_the_clear(
    exported, demo_instance
):
    bundle, key_file, _central_key, team = exported
    assert CANARY.encode() not in bundle.read_bytes()
    otto_key = crypto.unlock_private_key(read_key_file(key_file)[1], team["otto"].passphrase)
    records = read_bundle(
        [bundle.read_bytes()], kind="staff-export", trusted_signers=lambda _key: "central", recipient_key=otto_key
    )
    event = open_instance(demo_instance.path).event
    registrations = [decode(record, event) for record in records.records[1:]]
    assert len(registrations) == 3
    assert {part.compartment for r in registrations for _g, part in r.parts} == {"needs"}
    assert all(r.codename_lookup == b"" for r in registrations)
    connection = open_instance(demo_instance.path).connect()
    try:
        logged = connection.execute("SELECT actor, subject, detail FROM audit_log WHERE action = 'staff export'")
        assert logged.fetchall() == [("cli", "otto", '{"compartments": ["needs"], "registrations": 3}')]
    finally:
        connection.close()


def _open(bundle, key_file, out, passphrase, *more):
    return CliRunner().invoke(
        cli, ["bundle", "open", str(bundle), "--key", str(key_file), "--out", str(out), *more], input=passphrase + "\n"
    )


def test_a_wrong_passphrase_key_file_signer_or_byte_writes_nothing_and_says_why(exported, demo_instance, tmp_path):
    bundle, key_file, central_key, team = exported
    out = tmp_path / "out"
    wrong_passphrase = _open(bundle, key_file, out, "not otto's passphrase", "--unverified")
    assert wrong_passphrase.exit_code == 1 and "passphrase does not open this key file" in wrong_passphrase.output

    ana_key = tmp_path / "ana.key"
    assert _run("keys", "export", "ana", "--out", str(ana_key), "--instance", str(demo_instance.path)).returncode == 0
    wrong_key = _open(bundle, ana_key, out, team["ana"].passphrase, "--unverified")
    assert wrong_key.exit_code == 1 and "not made for this key file" in wrong_key.output

    other_key = "A" * 43 + "="
    wrong_signer = _open(bundle, key_file, out, team["otto"].passphrase, "--signer", other_key)
    assert wrong_signer.exit_code == 1 and "does not trust" in wrong_signer.output

    damaged = tmp_path / "damaged.ghb"
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0x20
    damaged.write_bytes(bytes(data))
    tampered = _open(damaged, key_file, out, team["otto"].passphrase, "--unverified")
    assert tampered.exit_code == 1 and "damaged" in tampered.output

    not_a_key = _open(bundle, bundle, out, team["otto"].passphrase, "--unverified")
    assert not_a_key.exit_code == 1 and "not a Gatehouse staff key file" in not_a_key.output
    for result in (wrong_passphrase, wrong_key, wrong_signer, tampered, not_a_key):
        assert "Traceback" not in result.output and "othing was written" in result.output
    assert not out.exists()

    unchecked = _open(bundle, key_file, out, team["otto"].passphrase, "--unverified")
    assert unchecked.exit_code == 0
    assert (
        f"WARNING: --unverified: the signer was not checked. It signed with the key {central_key}" in unchecked.output
    )
    again = _open(bundle, key_file, out, team["otto"].passphrase, "--unverified")
    assert again.exit_code == 1 and "exists already" in again.output


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.lists(st.binary(max_size=400), min_size=1, max_size=3))
def test_opening_any_files_raises_nothing_but_a_clear_error(files):
    with pytest.raises((BundleError, StaffExportError)) as refused:
        open_staff_export(files, PrivateKey.generate(), None)
    assert str(refused.value)


def test_a_holder_of_compartments_some_records_do_not_fill_yet_opens_their_export(demo_instance, client, tmp_path):
    """A visa holder exports while nobody is approved yet: the export carries no registration, and opens."""
    register_canary(client, CANARY + "v")
    instance = ["--instance", str(demo_instance.path)]
    words = " ".join(demo_instance.recovery_words)
    added = _run("staff", "add", "vic", "--role", "staff", *instance)
    passphrase = re.search(r"passphrase:\s+(.+)", added.stdout).group(1).strip()
    granted = _run("grant", "--compartment", "visa", "--to", "vic", "--recovery", *instance, stdin=words)
    assert granted.returncode == 0, granted.stderr
    bundle, key_file, out = tmp_path / "vic.ghb", tmp_path / "vic.key", tmp_path / "vic-export"
    made = _run("bundle", "export", "--for-staff", "vic", "--out", str(bundle), *instance)
    assert made.returncode == 0 and "Wrote 0 registrations" in made.stdout, made.stdout + made.stderr
    assert _run("keys", "export", "vic", "--out", str(key_file), *instance).returncode == 0
    central_key = _run("audit", "public-key", *instance).stdout.strip()
    opened = _open(bundle, key_file, out, passphrase, "--signer", central_key)
    assert opened.exit_code == 0, opened.output
    assert (out / "registrations.csv").read_text().splitlines()[1:] == []
