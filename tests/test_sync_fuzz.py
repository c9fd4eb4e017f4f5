"""Property-based: whatever files reach `bundle import`, it gives a clear error or imports whole, and never half."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nacl.public import PrivateKey
from nacl.signing import SigningKey

from app.events.definition import Event
from app.instance.folder import Instance
from app.kits.bundle import definition_hash
from app.kits.instance import KitIdentity, identity
from app.kits.sync import FORMAT, KIND, SyncError, import_from_kit
from app.registrations.record_format import RecordMalformed, decode, decode_withdrawal
from app.storage import db
from offline_bundle import BundleError, read_bundle, write_bundle
from tests.helpers import dump_database
from tests.kit_fixtures import make_kit
from tests.sync_fixtures import export, register_on_kit

PROPERTY = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)


@dataclass(repr=False)  # a short name in hypothesis' reports, not 70 kB of keys
class Synced:
    central: Instance
    connection: db.Connection  # to the central database
    kit: KitIdentity
    event: Event
    header: dict[str, str | int]
    part: bytes  # a genuine one-part bundle of two registrations
    records: list[bytes]  # its records


@pytest.fixture(scope="module")
def synced():
    with tempfile.TemporaryDirectory() as folder:
        kit = make_kit(Path(folder))
        register_on_kit(kit, 2)
        (part,) = export(kit).parts
        connection = kit.instance.connect()
        try:
            me = identity(connection)
            definition = connection.execute("SELECT definition FROM events").fetchone()[0]
        finally:
            connection.close()
        central = kit.central.connect()
        try:
            bundle_key = central.execute("SELECT private_key FROM instance_keys WHERE purpose = 'bundle'").fetchone()[0]
            records = read_bundle(
                [part], kind=KIND, trusted_signers=lambda _key: "kit", recipient_key=PrivateKey(bundle_key)
            ).records
            header = {"event": kit.central.event.id, "kit": me.name, "definition": definition_hash(definition)}
            yield Synced(kit.central, central, me, kit.instance.event, {**header, "format": FORMAT}, part, records)
        finally:
            central.close()


def _mutations(genuine: bytes):
    """Anything but the genuine part itself: random bytes, one byte changed, cut short, or extended."""
    return st.one_of(
        st.binary(max_size=300),
        st.tuples(st.integers(0, len(genuine) - 1), st.integers(1, 255)).map(
            lambda change: genuine[: change[0]] + bytes([genuine[change[0]] ^ change[1]]) + genuine[change[0] + 1 :]
        ),
        st.integers(0, len(genuine)).map(lambda cut: genuine[:cut]),
        st.binary(min_size=1, max_size=40).map(lambda tail: genuine + tail),
    ).filter(lambda candidate: candidate != genuine)


@PROPERTY
@given(data=st.data())
def test_import_of_any_files_gives_a_clear_error_and_changes_nothing(synced, data):
    before = dump_database(synced.connection)
    files = data.draw(st.lists(_mutations(synced.part), min_size=1, max_size=3))
    with pytest.raises(BundleError) as refused:
        import_from_kit(synced.connection, synced.central, files)
    assert str(refused.value)
    assert dump_database(synced.connection) == before


@PROPERTY
@given(
    records=st.lists(st.binary(max_size=200), min_size=1, max_size=4),
    keep=st.integers(0, 2),
    cut=st.integers(0, 400),
)
def test_an_authentic_bundle_with_any_records_imports_whole_or_not_at_all(synced, records, keep, cut):
    """Signed by a trusted kit, so only the record decoder stands between these bytes and the database."""
    damaged = synced.records[0][: cut + 1]  # a genuine record cut short, or whole when cut is beyond its end
    parts = write_bundle(
        KIND,
        synced.header,
        [*synced.records[:keep], damaged, *records],
        signing_key=SigningKey(synced.kit.signing_key),
        recipient=synced.kit.central_bundle_public_key,
    )
    before = dump_database(synced.connection)
    try:
        import_from_kit(synced.connection, synced.central, parts)
    except SyncError as error:
        assert str(error).startswith("The bundle is authentic but malformed")
        assert dump_database(synced.connection) == before
    else:
        assert all(_readable(record, synced.event) for record in [damaged, *records]), "imported in part"


def _readable(record: bytes, event: Event) -> bool:
    try:
        decode(record, event) if record[:1] == b"\x01" else decode_withdrawal(record)
    except RecordMalformed:
        return False
    return True


@PROPERTY
@given(data=st.one_of(st.binary(max_size=400), st.binary(max_size=60).map(lambda tail: b"\x01" + bytes(16) + tail)))
def test_the_record_decoder_raises_nothing_but_record_malformed(synced, data):
    try:
        decode(data, synced.event)
    except RecordMalformed:
        pass
