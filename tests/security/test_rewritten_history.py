"""A server holder who rewrites history: the database, its key and the instance's log-signing key.

They change or remove an entry the auditor has already seen, recompute every hash from the first entry,
sign every checkpoint again with the instance's own key, and export. That export verifies on its own.
What the auditor kept from an earlier visit catches it: the earlier export (`gatehouse audit verify NEW
--since OLD`) or the head code copied from /staff/audit on paper (`--head CODE`). Both name the entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from app.instance.folder import opened
from app.storage import db
from crypto import log_chain
from tests.staff_fixtures import login, open_page, register_canary, registration_ids
from tests.test_staff_cli import gatehouse

CANARY = "QZX7HISTORY41"
REASON = "curious, no real need"
Rows = list[list[object]]  # (seq, day, actor, action, subject, detail, reason), in order


def _head_code_on_the_page(client) -> str:
    """The code an auditor copies on paper from the auditor page."""
    html = client.get("/staff/audit").get_data(as_text=True)
    matched = re.search(r"Head code of the last signed checkpoint[^<]*<code[^>]*>([^<]+)</code>", html)
    assert matched, "the auditor page shows no head code"
    return matched.group(1)


def _rewrite_history(instance_path: Path, edit: Callable[[Rows], None]) -> None:
    """The forgery: edit the rows, recompute the whole chain, and sign every checkpoint again with the
    instance's signing key, as app/audit/log.py signs, at the same places (clipped to the new end)."""
    with opened(instance_path) as (instance, connection), db.transaction(connection):
        rows: Rows = [
            list(row)
            for row in connection.execute(
                "SELECT seq, day, actor, action, subject, detail, reason FROM audit_log ORDER BY seq"
            )
        ]
        signed_days = connection.execute("SELECT seq, day FROM audit_checkpoints ORDER BY seq").fetchall()
        signing_key = SigningKey(
            connection.execute("SELECT private_key FROM instance_keys WHERE purpose = 'signing'").fetchone()[0]
        )
        edit(rows)
        connection.execute("DELETE FROM audit_checkpoints")
        connection.execute("DELETE FROM audit_log")
        previous, hashes = log_chain.GENESIS_HASH, {}
        for seq, (_old_seq, day, actor, action, subject, detail, reason) in enumerate(rows, start=1):
            digest = log_chain.entry_hash(seq, day, actor, action, subject, detail, reason, previous)
            connection.execute(
                "INSERT INTO audit_log (seq, day, actor, action, subject, detail, reason, previous_hash, entry_hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (seq, day, actor, action, subject, detail, reason, previous, digest),
            )
            previous, hashes[seq] = digest, digest
        for seq, day in {min(seq, len(rows)): day for seq, day in signed_days}.items():
            checkpoint = log_chain.sign_checkpoint(signing_key, instance.event.id, seq, hashes[seq], day)
            connection.execute(
                "INSERT INTO audit_checkpoints (seq, day, head_hash, signature) VALUES (?, ?, ?, ?)",
                (checkpoint.seq, checkpoint.day, checkpoint.head_hash, checkpoint.signature),
            )


def _edit_the_reason(rows: Rows, seq: int) -> None:
    rows[seq - 1][6] = "routine check"


def _remove_the_entry(rows: Rows, seq: int) -> None:
    del rows[seq - 1]


def _auditor_keeps_an_export_and_a_head_code(demo_instance, app, client, team, tmp_path) -> tuple[str, str, int]:
    """A working day: a registration and a curious opening. The auditor then exports the log with the CLI,
    keeps the file, and copies the head code from the page. Returns (public key, head code, opening's number)."""
    register_canary(app.test_client(), CANARY)
    staff = app.test_client()
    login(staff, team["otto"])
    open_page(staff, registration_ids(app)[0], REASON)
    login(client, team["audrey"])
    instance = ["--instance", str(demo_instance.path)]
    public_key = gatehouse("audit", "public-key", *instance).stdout.strip()
    assert gatehouse("audit", "export", *instance, "--out", str(tmp_path / "earlier.ghb")).returncode == 0
    with opened(demo_instance.path) as (_instance, connection):
        (opening,) = connection.execute("SELECT seq FROM audit_log WHERE action = 'open'").fetchone()
    open_page(staff, registration_ids(app)[0], "checking the dietary needs")  # the log goes on
    return public_key, _head_code_on_the_page(client), opening


def _verify(export: Path, public_key: str, *options: str):
    return gatehouse("audit", "verify", str(export), "--public-key", public_key, *options)


def test_an_honest_later_export_extends_the_earlier_one_and_holds_the_head_code(
    demo_instance, app, client, team, tmp_path
):
    public_key, code, _opening = _auditor_keeps_an_export_and_a_head_code(demo_instance, app, client, team, tmp_path)
    later = tmp_path / "later.ghb"
    assert gatehouse("audit", "export", "--instance", str(demo_instance.path), "--out", str(later)).returncode == 0
    result = _verify(later, public_key, "--since", str(tmp_path / "earlier.ghb"), "--head", code)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "EXTENDS earlier.ghb" in result.stdout and f"HOLDS the head code {code}" in result.stdout
    assert re.search(r"^Head code: \d+-[0-9A-Z-]+ ", result.stdout, re.MULTILINE)


@pytest.mark.parametrize("forgery", [_edit_the_reason, _remove_the_entry])
def test_history_rewritten_and_signed_again_with_the_instance_key_is_caught_by_the_earlier_export_and_the_head_code(
    demo_instance, app, client, team, tmp_path, forgery
):
    public_key, code, opening = _auditor_keeps_an_export_and_a_head_code(demo_instance, app, client, team, tmp_path)
    _rewrite_history(demo_instance.path, lambda rows: forgery(rows, opening))
    forged = tmp_path / "forged.ghb"
    assert gatehouse("audit", "export", "--instance", str(demo_instance.path), "--out", str(forged)).returncode == 0

    alone = _verify(forged, public_key)
    assert alone.returncode == 0, "the rewritten log verifies on its own: this is why the auditor keeps something"

    since = _verify(forged, public_key, "--since", str(tmp_path / "earlier.ghb"))
    assert since.returncode == 1, since.stdout
    assert f"DIVERGES: this export does not extend earlier.ghb. Entry {opening} differs from entry {opening} " in (
        since.stdout
    )

    head = _verify(forged, public_key, "--head", code)
    code_seq = int(code.split("-")[0])
    assert head.returncode == 1, head.stdout
    assert f"DIVERGES: this export does not hold the head code {code}. Entry {code_seq} differs " in head.stdout

    both = _verify(forged, public_key, "--since", str(tmp_path / "earlier.ghb"), "--head", code)
    assert both.returncode == 1 and both.stdout.count("DIVERGES:") == 2
    for result in (since, head, both):  # entries are named by number; no value from the log is printed
        assert "Traceback" not in result.stderr
        assert REASON not in result.stdout and "routine check" not in result.stdout and CANARY not in result.stdout
