"""Registrations made over real HTTP to a running server leave nothing readable behind.

The server runs as `gatehouse serve` (waitress, production configuration) in its own
process, with its own temporary folder; a canary typed into every free-text field
must not appear, in any encoding, in any file it wrote or anything it printed.
"""

from __future__ import annotations

import base64
import codecs
import re
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

import crypto
from app.instance.folder import open_instance
from app.keys.keyring import keys_from_recovery
from app.registrations.records import load_all_records, open_record
from tests.helpers import dump_database, hidden_fields, valid_answers

CANARY_CORE = "QZX7CANARY93"


def canary_for(field_key: str) -> str:
    # ASCII core, a field marker, and non-ASCII letters so multi-byte encodings are exercised too.
    return f"{CANARY_CORE}-{field_key}-Ωμέγα-Цвет"


def encodings(text: str) -> list[bytes]:
    """Every form in which text might leak: raw, UTF-16, base64 at each alignment, hex, URL-encoded."""
    raw = text.encode("utf-8")
    forms = {raw, text.encode("utf-16-le"), text.encode("utf-16-be"), raw.hex().encode(), raw.hex().upper().encode()}
    forms.add(urllib.parse.quote(text).encode())
    forms.add(urllib.parse.quote_plus(text).encode())
    for offset in range(3):
        encoded = base64.b64encode(b"\x00" * offset + raw)
        # Drop the characters that mix in neighbouring bytes; the middle is fixed whatever surrounds it.
        forms.add(encoded[4 if offset else 0 : -4])
        forms.add(base64.urlsafe_b64encode(b"\x00" * offset + raw)[4 if offset else 0 : -4])
    core = CANARY_CORE.encode()
    forms.update({core, core.lower(), CANARY_CORE.encode("utf-16-le"), codecs.encode(CANARY_CORE, "rot13").encode()})
    return [form for form in forms if len(form) >= 8]


def leaks(blob: bytes, texts: list[str]) -> list[str]:
    found = []
    for text in texts:
        for form in encodings(text):
            if form in blob:
                found.append(f"{text!r} as {form[:24]!r}")
    return found


def _register_over_http(url: str, answers: dict[str, str]) -> str:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    form_page = opener.open(url + "/register", timeout=10).read().decode()
    body = urllib.parse.urlencode({**hidden_fields(form_page), **answers}).encode()
    receipt = opener.open(urllib.request.Request(url + "/register", data=body), timeout=10).read().decode()
    assert 'id="codename"' in receipt, receipt
    return receipt


def _canary_answers(instance_path: Path) -> dict[str, str]:
    event = open_instance(instance_path).event
    answers = valid_answers()
    for field in event.registration_fields():
        if field.type in ("text", "textarea"):
            answers[field.key] = canary_for(field.key)
    return answers


def _files_under(*folders: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for folder in folders for path in folder.rglob("*") if path.is_file()}


@pytest.fixture
def canary_registrations(demo_instance, live_server):
    answers = _canary_answers(demo_instance.path)
    for _ in range(3):
        _register_over_http(live_server.url, answers)
    return answers


def test_canary_appears_in_no_file_and_nothing_printed(demo_instance, live_server, canary_registrations):
    canaries = [value for value in canary_registrations.values() if CANARY_CORE in value]
    assert len(canaries) >= 6
    # While the server runs, the WAL holds the latest pages.
    files = _files_under(demo_instance.path, live_server.temp_dir)
    assert any(path.name.endswith("-wal") for path in files), "the test must see the WAL too"
    for path, blob in files.items():
        assert not leaks(blob, canaries), f"{path.name}: {leaks(blob, canaries)}"
    live_server.process.terminate()
    live_server.process.wait(timeout=10)
    for path, blob in _files_under(demo_instance.path, live_server.temp_dir).items():
        assert not leaks(blob, canaries), f"{path.name} after stop: {leaks(blob, canaries)}"
    assert not leaks(live_server.printed(), canaries)


def test_leak_detector_would_see_a_plaintext_canary():
    """The search above could fail: a planted value is found in every encoding it checks."""
    value = canary_for("full_name")
    for form in encodings(value):
        assert leaks(b"padding " + form + b" padding", [value])
    assert leaks(b"xx" + base64.b64encode(b"prefix:" + value.encode()) + b"yy", [value])


def test_database_key_alone_opens_no_field(demo_instance, live_server, canary_registrations):
    instance = open_instance(demo_instance.path)  # holds the database key, as a thief of secret.key would
    connection = instance.connect()
    try:
        dump = dump_database(connection)
        records = list(load_all_records(connection, instance.event.id))
    finally:
        connection.close()
    canaries = [value for value in canary_registrations.values() if CANARY_CORE in value]
    assert not leaks(dump, canaries), "the decrypted database pages hold no value in the clear"
    assert len(records) == 3
    stranger_keys = {(c.name, 1): crypto.new_key_pair() for c in instance.event.compartments}
    for record in records:
        assert open_record(instance.event.id, record, {}) == {}
        with pytest.raises(crypto.RecordTampered):
            open_record(instance.event.id, record, stranger_keys)


def test_compartment_keys_from_the_recovery_words_open_every_field_exactly(
    demo_instance, live_server, canary_registrations
):
    instance = open_instance(demo_instance.path)
    recovery_key = crypto.private_key_from_recovery_words(" ".join(demo_instance.recovery_words))
    connection = instance.connect()
    try:
        compartment_keys = keys_from_recovery(connection, instance.event.id, recovery_key)
        opened = [
            open_record(instance.event.id, record, compartment_keys)
            for record in load_all_records(connection, instance.event.id)
        ]
    finally:
        connection.close()
    for values in opened:
        flat = {key: value for fields in values.values() for key, value in fields.items()}
        expected = {f.key: canary_registrations[f.key] for f in instance.event.registration_fields()}
        assert flat == expected


def test_ten_megabyte_post_to_the_real_server_is_refused_unread(demo_instance, live_server):
    import http.client

    host, port = re.match(r"http://([\d.]+):(\d+)", live_server.url).groups()
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.putrequest("POST", "/register")
    connection.putheader("Content-Type", "application/x-www-form-urlencoded")
    connection.putheader("Content-Length", str(10 * 1024 * 1024))
    connection.endheaders()
    connection.send(b"full_name=" + b"x" * 1000)  # the rest is never sent: the answer must not wait for it
    response = connection.getresponse()
    assert response.status == 413
    connection.close()
    assert urllib.request.urlopen(live_server.url + "/", timeout=5).status == 200, "the server carries on"


def test_the_same_form_sent_many_times_at_once_is_stored_once(demo_instance, live_server):
    """A retry racing the original over a failing link: one record, and every answer says it is in."""
    import concurrent.futures
    import http.cookiejar

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form_page = opener.open(live_server.url + "/register", timeout=10).read().decode()
    body = urllib.parse.urlencode({**hidden_fields(form_page), **valid_answers()}).encode()

    def send(_):
        request = urllib.request.Request(live_server.url + "/register", data=body)
        return opener.open(request, timeout=20).read().decode()

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        receipts = list(pool.map(send, range(8)))
    codenames = {re.search(r'id="codename"[^>]*>([^<]+)<', receipt).group(1) for receipt in receipts}
    assert len(codenames) == 1
    connection = open_instance(demo_instance.path).connect()
    try:
        assert connection.execute("SELECT count(*) FROM registrations").fetchone()[0] == 1
    finally:
        connection.close()
