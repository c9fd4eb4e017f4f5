"""Field kit seized: a coordinator's laptop, taken at a border town, with the kit's files on it.

The attacker copies the kit's folder while the kit is stopped, and may also hold the kit file it
was made from and the coordinator's passphrase. Without the passphrase nothing on disk opens the
database (its key comes from Argon2id at start-up; there is no key file). With it, the database
opens but no value does: the kit holds compartment public keys only, so every key it has fails
on every sealed data key and every ciphertext it collected.
"""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_decrypt
from nacl.exceptions import CryptoError as NaclCryptoError

import crypto
from app.instance.folder import SECRET_FILE
from app.kits.bundle import decode
from app.kits.instance import open_kit
from app.registrations.records import load_all_records, open_record
from app.registrations.register import register
from app.storage import db
from crypto.records import associated_data
from offline_bundle import read_bundle
from tests.helpers import dump_database
from tests.kit_fixtures import make_kit
from tests.staff_fixtures import TEST_COST
from tests.test_kits import CANARY, canary_answers


def _key_material(kit, passphrase: str) -> list[bytes]:
    """Every key a thief with the kit, its file and its passphrase could lay hands on."""
    keys = crypto.derive_kit_keys(passphrase, TEST_COST)
    record = read_bundle(
        [kit.kit_file.read_bytes()], kind="kit", trusted_signers=lambda _key: "x", recipient_key=keys.bundle_key
    ).records[0]
    contents = decode(record)
    material = [bytes(keys.bundle_key), keys.master_secret, contents.kit_signing_key, contents.codename_lookup_key]
    material += [contents.central_verify_key, contents.central_bundle_public_key, contents.recovery_public_key]
    material += [key.public_key for key in contents.compartment_keys]
    secrets = kit.instance.secrets
    material += [secrets.database_key, secrets.receipt_key, secrets.invitation_key, secrets.session_key]
    connection = kit.instance.connect()
    try:
        tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"'):  # noqa: S608
                material += [value[:32] for value in row if isinstance(value, bytes) and len(value) >= 32]
    finally:
        connection.close()
    return list(dict.fromkeys(material))


def test_seized_field_kit_reveals_nothing(tmp_path):
    kit = make_kit(tmp_path)
    connection = kit.instance.connect()
    try:
        for tag in ("a", "b", "c"):
            register(connection, kit.instance, crypto.new_submission_token(), canary_answers(tag))
    finally:
        connection.close()
    # The kit is stopped; its folder is copied off the disk.
    seized = tmp_path / "seized"
    shutil.copytree(kit.instance.path, seized)
    files = {path.name: path.read_bytes() for path in seized.iterdir()}

    # Without the passphrase: no key file, and nothing in the folder or the kit file opens the database.
    assert SECRET_FILE not in files and set(files) <= {"gatehouse.db", "gatehouse.db-wal", "gatehouse.db-shm"}
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(seized / "gatehouse.db").execute("SELECT count(*) FROM sqlite_master").fetchone()
    candidates = [kit.kit_file.read_bytes(), *files.values()]
    for blob in candidates:
        for offset in range(0, max(1, len(blob) - 31), 32):
            with pytest.raises(db.DatabaseKeyError):
                db.connect(seized / "gatehouse.db", blob[offset : offset + 32].ljust(32, b"\0")).close()
    assert all(CANARY.encode() not in blob for blob in files.values())

    # With the passphrase: the database opens, and still no value does.
    opened = open_kit(seized, crypto.derive_kit_keys(kit.passphrase, TEST_COST))
    connection = opened.connect()
    try:
        assert CANARY.encode() not in dump_database(connection)
        records = list(load_all_records(connection, opened.event.id))
    finally:
        connection.close()
    assert len(records) == 3
    material = _key_material(kit, kit.passphrase)
    assert len(material) >= 15
    sealed_keys = [part.sealed_data_key for record in records for _generation, part in record.parts]
    ciphertexts = [
        (ciphertext, associated_data(opened.event.id, record.registration_id, part.compartment, field_key))
        for record in records
        for _generation, part in record.parts
        for field_key, ciphertext in part.ciphertexts.items()
    ]
    for candidate in material:
        for sealed in sealed_keys:
            with pytest.raises(crypto.RecordTampered):
                crypto.open_sealed(crypto.PrivateKey(candidate), sealed)
        for ciphertext, bound_to in ciphertexts:
            with pytest.raises(NaclCryptoError):
                nonce, sealed = ciphertext[1:25], ciphertext[25:]
                crypto_aead_xchacha20poly1305_ietf_decrypt(sealed, bound_to, nonce, candidate)

    # The same search finds the values with a key that does open them: the recovery key, kept on paper at central.
    recovery = crypto.private_key_from_recovery_words(" ".join(kit.recovery_words))
    connection = kit.central.connect()
    try:
        from app.keys.keyring import keys_from_recovery

        held = keys_from_recovery(connection, kit.central.event.id, recovery)
    finally:
        connection.close()
    values = [open_record(opened.event.id, record, held)["identity"]["full_name"] for record in records]
    assert sorted(values) == [f"{CANARY}-{tag}-name" for tag in ("a", "b", "c")]
