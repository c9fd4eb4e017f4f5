"""A curious insider: staff who look at what they hold without need, or who would like it not to show.

Every opening and export is in the hash-chained log with its reason; no page of the application
shows a value without writing that entry first; and a log altered afterwards, even re-signed with
the server's own key, is caught by `gatehouse audit verify` or by comparison with an earlier export.
"""

from __future__ import annotations

import base64
import json

import pytest
from nacl.signing import SigningKey

from app.audit import log as audit
from app.audit.bundle import KIND as AUDIT_KIND
from app.storage import db
from app.web.state import state_of
from crypto import log_chain
from offline_bundle import write_bundle
from tests.helpers import hidden_fields
from tests.security import canaries
from tests.staff_fixtures import csrf, login, open_page, registration_ids
from tests.test_audit_log import _document_of
from tests.test_staff_cli import gatehouse

REASON = "curious, no real need"


def _register(client, number: int) -> None:
    tokens = hidden_fields(client.get("/register").get_data(as_text=True))
    assert client.post("/register", data={**tokens, **canaries.canary_answers(number)}).status_code == 200


def _log(app) -> list[audit.Entry]:
    connection = state_of(app).instance.connect()
    try:
        return audit.entries(connection)
    finally:
        connection.close()


def test_curious_insider_every_opening_and_export_is_logged_with_its_reason(app, client, team):
    for number in range(3):
        _register(app.test_client(), number)
    ids = registration_ids(app)
    login(client, team["otto"])
    before = len(_log(app))
    reasons = [f"reason number {n}" for n in range(3)]
    for registration_id, reason in zip(ids, reasons, strict=True):
        assert canaries.found_in(open_page(client, registration_id, reason).get_data(as_text=True))
    client.post("/staff/export", data={"csrf_token": csrf(client), "reason": "catering list"})
    new = _log(app)[before:]
    assert [(e.actor, e.action, e.reason) for e in new] == [
        *(("otto", "open", reason) for reason in reasons),
        ("otto", "export", "catering list"),
    ]
    connection = state_of(app).instance.connect()
    try:
        pseudonyms = dict(connection.execute("SELECT id, pseudonym FROM registrations"))
    finally:
        connection.close()
    assert [e.subject for e in new[:3]] == [pseudonyms[i] for i in ids]
    assert all('"needs"' in e.detail for e in new)
    assert all(not canaries.found_in(" ".join(map(str, vars(e).values()))) for e in _log(app))


def _close_what_is_open(app) -> None:
    """What a reader opened stays open across their pages until closed (app.staff.sessions); the sweep closes it
    before each request, so that every route must log its own reading. What stays open is checked by
    tests/test_review_queue.py (test_answers_left_open_are_those_the_opening_named)."""
    for session in state_of(app).sessions._sessions.values():
        session.open_record = session.queue = None


def _sweep(app, client, registration_id: str, actor: str) -> list[str]:
    """Every route and method of the application, as this visitor; the requests that showed a value
    without a logged reason from this actor."""
    untraced = []
    token = next(
        (hidden_fields(page)["csrf_token"] for path in ("/staff/", "/staff/audit", "/register")
         if "csrf_token" in hidden_fields(page := client.get(path).get_data(as_text=True))), "",
    )  # fmt: skip
    form = {f"{prefix}csrf_token": token for prefix in ("", "grant-", "revoke-")}
    form |= {
        "reason": REASON,
        "decision": "approved",
        "grant-compartment": "safety",
        "grant-username": actor,
        "size": "20",
        "then": "save",
    }
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: rule.endpoint == "staff.logout")
    for rule in rules:
        path = rule.rule.replace("<registration_id>", registration_id).replace("<path:filename>", "style.css")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            _close_what_is_open(app)
            before = len(_log(app))
            response = client.open(path, method=method, data=form if method == "POST" else None)
            shown = canaries.found_in(response.get_data())
            traced = [e for e in _log(app)[before:] if e.actor == actor and e.reason == REASON]
            if shown and not traced:
                untraced.append(f"{method} {path}")
    return untraced


@pytest.mark.parametrize("who", ["ana", "root", "audrey", None])
def test_curious_insider_cannot_read_without_a_trace_through_any_page(app, team, who):
    for number in range(2):
        _register(app.test_client(), number)
    client = app.test_client()
    if who:
        assert login(client, team[who]).status_code == 303
    assert _sweep(app, client, registration_ids(app)[0], who or "anonymous") == []


def _rehash_from(entries: list[dict], start: int) -> None:
    """What a forger with the database does after editing entry ``start``: recompute every hash after it."""
    previous = base64.b64decode(entries[start - 2]["entry_hash"]) if start > 1 else log_chain.GENESIS_HASH
    for entry in entries[start - 1 :]:
        digest = log_chain.entry_hash(
            entry["seq"], entry["day"], entry["actor"], entry["action"], entry["subject"], entry["detail"],
            entry["reason"], previous,
        )  # fmt: skip
        entry["previous_hash"] = base64.b64encode(previous).decode()
        entry["entry_hash"] = base64.b64encode(digest).decode()
        previous = digest


def _resigned(signing_key, document: dict, checkpoint: dict) -> dict:
    """A checkpoint signed again over the forged entry at its place, with the key taken from the database."""
    head = next(base64.b64decode(e["entry_hash"]) for e in document["entries"] if e["seq"] == checkpoint["seq"])
    signed = log_chain.sign_checkpoint(signing_key, document["event"], checkpoint["seq"], head, checkpoint["day"])
    return {
        "seq": signed.seq,
        "day": signed.day,
        "head_hash": base64.b64encode(signed.head_hash).decode(),
        "signature": base64.b64encode(signed.signature).decode(),
    }


def _continues(earlier: dict, later: dict) -> bool:
    """An auditor's check: every entry of the earlier export is in the later one, unchanged."""
    later_hashes = {entry["seq"]: entry["entry_hash"] for entry in later["entries"]}
    return all(later_hashes.get(entry["seq"]) == entry["entry_hash"] for entry in earlier["entries"])


def test_curious_insider_who_alters_the_log_is_caught_by_audit_verify(demo_instance, app, client, team, tmp_path):
    _register(app.test_client(), 0)
    login(client, team["otto"])
    open_page(client, registration_ids(app)[0], REASON)
    instance = ["--instance", str(demo_instance.path)]
    public_key = gatehouse("audit", "public-key", *instance).stdout.strip()
    assert gatehouse("audit", "export", *instance, "--out", str(tmp_path / "earlier.ghb")).returncode == 0
    earlier = _document_of((tmp_path / "earlier.ghb").read_bytes())
    (opening,) = [e for e in earlier["entries"] if e["action"] == "open"]

    connection = state_of(app).instance.connect()
    try:  # the insider, with a shell and the database key, edits the reason in place
        with db.transaction(connection):
            connection.execute("UPDATE audit_log SET reason = 'routine check' WHERE seq = ?", (opening["seq"],))
    finally:
        connection.close()
    assert gatehouse("audit", "export", *instance, "--out", str(tmp_path / "later.ghb")).returncode == 0
    caught = gatehouse("audit", "verify", str(tmp_path / "later.ghb"), "--public-key", public_key)
    assert caught.returncode == 1 and f"BROKEN: entry {opening['seq']} " in caught.stdout, caught.stdout

    # A forger who also recomputes every hash and re-signs every checkpoint with the server's key
    # passes verify alone: the earlier export the auditor kept is what shows it.
    forged = _document_of((tmp_path / "later.ghb").read_bytes())
    _rehash_from(forged["entries"], opening["seq"])
    connection = state_of(app).instance.connect()
    try:
        signing_key = SigningKey(
            connection.execute("SELECT private_key FROM instance_keys WHERE purpose = 'signing'").fetchone()[0]
        )
    finally:
        connection.close()
    forged["checkpoints"] = [_resigned(signing_key, forged, checkpoint) for checkpoint in forged["checkpoints"]]
    head = {name: forged[name] for name in ("format", "version", "event", "checkpoints")}
    records = [json.dumps(head).encode(), *(json.dumps(entry).encode() for entry in forged["entries"])]
    (part,) = write_bundle(AUDIT_KIND, {"event": forged["event"]}, records, signing_key=signing_key)
    (tmp_path / "forged.ghb").write_bytes(part)
    passes = gatehouse("audit", "verify", str(tmp_path / "forged.ghb"), "--public-key", public_key)
    assert passes.returncode == 0, "the known limit: a server holder can re-sign a rewritten log"
    assert any(entry["reason"] == "routine check" for entry in forged["entries"])
    assert _continues(earlier, forged) is False
