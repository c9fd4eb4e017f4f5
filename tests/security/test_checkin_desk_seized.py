"""A check-in desk lost at the venue: its folder and its passphrase give no name and no power to mint a pass.

The desk is a field kit that loaded central's pass list and checked passes in. The thief copies its folder while
it is stopped and holds the kit file and the passphrase. The pass list carries the pass public key, pass tags and
pseudonyms; the private pass key never leaves central, so no key the thief can reach signs a pass a desk accepts,
and no name of a participant is anywhere in what they hold (the kit holds no identity compartment key). Nor is
any pass id, which is a pass's short code: the list and the arrivals hold one-way tags, so nothing the thief
holds can be typed at another desk as a short code.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import shutil

from nacl.signing import SigningKey

import crypto
from app.checkin import lists, passes
from app.kits.instance import open_kit
from crypto import passes as pass_crypto
from tests.checkin_fixtures import AT_THE_DOOR, approved_with_passes, desk_app, said, scan
from tests.helpers import SetClock, dump_database
from tests.kit_fixtures import make_kit
from tests.security.test_field_kit_seized import _key_material
from tests.staff_fixtures import TEST_COST

CANARY = "QZX7DESK93"


def _forged(seed: bytes, event_id: str) -> list[str]:
    """Passes signed with ``seed`` taken as the pass secret, and as the Ed25519 seed itself."""
    return [
        pass_crypto.code_of(
            pass_crypto.make_pass(
                signing_key,
                event_id=event_id,
                pass_id=seed[:10],
                first_day=datetime.date(2027, 5, 4),
                last_day=datetime.date(2027, 5, 7),
            )
        )
        for signing_key in (pass_crypto.pass_signing_key(seed), SigningKey(seed))
    ]


def test_a_seized_desk_reveals_no_name_and_cannot_mint_a_pass(tmp_path):
    kit = make_kit(tmp_path, "door-1")
    clock = SetClock(AT_THE_DOOR)
    central = dataclasses.replace(kit.central, clock=clock)
    codes = approved_with_passes(central, 3, full_name=f"{CANARY}-name", safe_contact=f"{CANARY}-contact")
    keys = crypto.derive_kit_keys(kit.passphrase, TEST_COST)
    with central.connection() as connection:
        parts, _sequence = lists.export_list(connection, central.event, "door-1")
        pass_secret = connection.execute("SELECT private_key FROM instance_keys WHERE purpose = 'passes'").fetchone()[0]
        pass_public_key = passes.public_key(connection)
    desk = dataclasses.replace(kit.instance, clock=clock)
    with desk.connection() as connection:
        lists.load_list(connection, desk.event, parts, keys)
    door = desk_app(desk, "door-1").test_client()
    admitted = said(scan(door, next(iter(codes.values()))), "admitted")

    # The desk is stopped; its folder is copied off the disk, and the thief has the passphrase.
    seized = tmp_path / "seized"
    shutil.copytree(desk.path, seized)
    assert all(CANARY.encode() not in path.read_bytes() for path in seized.iterdir())
    opened = open_kit(seized, keys)
    with opened.connection() as connection:
        everything = dump_database(connection)
    assert CANARY.encode() not in everything
    assert all(pseudonym.encode() in everything for pseudonym in codes)  # what it holds instead of names
    for code in codes.values():
        pass_id = pass_crypto.pass_id_of(pass_crypto.read_code(code))
        short = pass_crypto.short_code_of(pass_id)
        for form in (pass_id, pass_id.hex().encode(), short.encode(), short.replace("-", "").encode()):
            assert form not in everything, "a short code that admits its bearer is on the desk"
    pass_seed = bytes(pass_crypto.pass_signing_key(pass_secret))
    for secret in (pass_secret, pass_seed):
        for form in (secret, secret.hex().encode(), base64.b64encode(secret)):
            assert form not in everything, "the private pass key left central"
    assert admitted

    # Every key the thief holds, taken as the pass secret or as the Ed25519 seed, makes passes a desk refuses.
    material = _key_material(kit, kit.passphrase)
    assert len(material) >= 15
    for candidate in material:
        assert bytes(pass_crypto.pass_signing_key(candidate).verify_key) != pass_public_key
        assert bytes(SigningKey(candidate).verify_key) != pass_public_key
        for forged in _forged(candidate, desk.event.id):
            refused = scan(door, forged)
            assert refused.status_code == 400 and said(refused, "refused").startswith("This pass is not genuine")
    with desk.connection() as connection:
        assert connection.execute("SELECT count(*) FROM arrivals").fetchone()[0] == 1
