"""Bundles: what goes in comes out, and nothing altered, moved, missing or foreign is ever read."""

from __future__ import annotations

import json
import random
import secrets
from pathlib import Path

import pytest
from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_encrypt, crypto_scalarmult_base
from nacl.public import PrivateKey
from nacl.signing import SigningKey

import offline_bundle
from offline_bundle import (
    BundleDamaged,
    BundleError,
    MissingParts,
    MixedParts,
    NotABundle,
    NotForThisKey,
    UnknownSigner,
    UnsupportedVersion,
    WrongKind,
    framing,
    read_bundle,
    write_bundle,
)
from offline_bundle import parts as part_format
from offline_bundle.bundle import _write
from offline_bundle.errors import number_list

VECTORS = Path(__file__).parent / "vectors" / "bundle-v2.json"
HEADER = {"event": "forum-2027", "exported_day": "2027-03-01", "schema": 3}


@pytest.fixture(scope="module")
def kit_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def central_key() -> PrivateKey:
    return PrivateKey.generate()


@pytest.fixture(scope="module")
def trusted(kit_key) -> dict[bytes, str]:
    return {bytes(kit_key.verify_key): "kit Tbilisi"}


def sealed_registrations(count: int, rng: random.Random | None = None) -> list[bytes]:
    """Opaque records of the sizes sealed registrations have (about 1 to 2 KB)."""
    rng = rng or random.Random(count)  # noqa: S311 - repeatable test data, not keys
    return [rng.randbytes(rng.randint(900, 2000)) for _ in range(count)]


def write_encrypted(kit_key, central_key, records, **options):
    return write_bundle("kit-sync", HEADER, records, signing_key=kit_key, recipient=central_key.public_key, **options)


def read_encrypted(given, trusted, central_key, **options):
    return read_bundle(given, kind="kit-sync", trusted_signers=trusted, recipient_key=central_key, **options)


def write_signed(kit_key, records, **options):
    return write_bundle("audit-log", HEADER, records, signing_key=kit_key, **options)


def read_signed(given, trusted, **options):
    return read_bundle(given, kind="audit-log", trusted_signers=trusted, **options)


def altered(part: bytes, position: int, mask: int = 0xFF) -> bytes:
    changed = bytearray(part)
    changed[position] ^= mask
    return bytes(changed)


# Round trips


def test_an_encrypted_bundle_gives_back_exactly_what_was_written(kit_key, central_key, trusted):
    records = [*sealed_registrations(20), b"", b"\x00" * 3]
    (part,) = write_encrypted(kit_key, central_key, records)
    bundle = read_encrypted([part], trusted, central_key)
    assert bundle.kind == "kit-sync"
    assert bundle.header == HEADER
    assert bundle.records == records
    assert bundle.signer == offline_bundle.Signer(bytes(kit_key.verify_key), "kit Tbilisi")
    assert len(bundle.bundle_id) == 16


def test_a_signed_only_bundle_is_verified_with_the_signers_public_key_alone(kit_key):
    records = [b"entry 1", b"entry 2"]
    given = write_signed(kit_key, records)
    verify_key = bytes(kit_key.verify_key)
    bundle = read_bundle(given, kind="audit-log", trusted_signers=lambda key: "instance" if key == verify_key else None)
    assert (bundle.records, bundle.signer.name) == (records, "instance")


def test_an_empty_bundle_round_trips(kit_key, central_key, trusted):
    assert read_encrypted(write_encrypted(kit_key, central_key, []), trusted, central_key).records == []
    assert read_signed(write_signed(kit_key, []), trusted).records == []


@pytest.mark.parametrize("encrypted", [True, False], ids=["encrypted", "signed-only"])
def test_parts_in_any_order_give_back_the_bundle_and_none_is_over_the_size(kit_key, central_key, trusted, encrypted):
    records = sealed_registrations(300)
    if encrypted:
        given = write_encrypted(kit_key, central_key, records, part_size=40_000)
    else:
        given = write_signed(kit_key, records, part_size=40_000)
    assert len(given) > 5
    assert all(len(part) <= 40_000 for part in given)
    random.Random(7).shuffle(given)  # noqa: S311 - a repeatable order
    bundle = read_encrypted(given, trusted, central_key) if encrypted else read_signed(given, trusted)
    assert bundle.records == records


def test_identical_copies_of_a_part_are_ignored(kit_key, central_key, trusted):
    records = sealed_registrations(40)
    given = write_encrypted(kit_key, central_key, records, part_size=8_000)
    assert read_encrypted([*given, given[2], given[0]], trusted, central_key).records == records


def test_two_different_versions_of_one_part_are_refused(kit_key, central_key, trusted):
    # Only the signer can make them (same bundle id and key, other contents): a buggy or lying sender.
    same = {"bundle_id": bytes(16), "ephemeral_secret": bytes(range(32)), "part_size": 8_000, "progress": None}
    first = _write(
        "kit-sync", HEADER, sealed_registrations(40), signing_key=kit_key, recipient=central_key.public_key, **same
    )
    second = _write(
        "kit-sync", HEADER, sealed_registrations(41), signing_key=kit_key, recipient=central_key.public_key, **same
    )
    with pytest.raises(MixedParts, match="Two different versions of part 1"):
        read_encrypted([first[0], second[0], *first[1:]], trusted, central_key)


def test_progress_is_reported_up_to_the_total_bytes(kit_key, central_key, trusted):
    written: list[tuple[int, int]] = []
    given = write_encrypted(
        kit_key,
        central_key,
        sealed_registrations(100),
        part_size=20_000,
        progress=lambda done, total: written.append((done, total)),
    )
    total = sum(len(part) for part in given)
    assert len(written) == len(given)
    assert written[-1] == (total, total)
    assert [done for done, _ in written] == sorted(done for done, _ in written)
    read: list[tuple[int, int]] = []
    read_encrypted(given, trusted, central_key, progress=lambda done, total: read.append((done, total)))
    assert read[-1] == (total, total) and len(read) == len(given)


# Every byte matters


def test_every_single_byte_changed_in_a_small_signed_bundle_is_refused(kit_key, trusted):
    (part,) = write_signed(kit_key, [b"entry 1", b"entry 2", b"x" * 300])
    for position in range(len(part)):
        for mask in (0x01, 0xFF):
            with pytest.raises(BundleError) as refused:
                read_signed([altered(part, position, mask)], trusted)
            expected = NotABundle if position < 8 else UnsupportedVersion if position == 8 else BundleDamaged
            assert type(refused.value) is expected, (position, mask, refused.value)


def test_every_single_byte_changed_in_a_small_encrypted_bundle_is_refused(kit_key, central_key, trusted):
    (part,) = write_encrypted(kit_key, central_key, sealed_registrations(3))
    ephemeral_key_and_key_check = range(30, 78)
    for position in range(len(part)):
        for mask in (0x01, 0xFF):
            with pytest.raises(BundleError) as refused:
                read_encrypted([altered(part, position, mask)], trusted, central_key)
            if position < 8:
                assert type(refused.value) is NotABundle
            elif position == 8:
                assert type(refused.value) is UnsupportedVersion
            elif position in ephemeral_key_and_key_check:
                assert type(refused.value) is NotForThisKey
            else:
                assert type(refused.value) is BundleDamaged, (position, mask, refused.value)


def test_a_byte_changed_anywhere_in_a_large_bundle_names_its_part(kit_key, central_key, trusted):
    given = write_encrypted(kit_key, central_key, sealed_registrations(10_000), part_size=500_000)
    rng = random.Random(2027)  # noqa: S311 - repeatable positions
    hits = [
        (number, rng.randrange(part_format.overhead(part_format.ENCRYPTED), len(given[number])))
        for number in range(len(given))
    ]
    hits += [(rng.randrange(len(given)), rng.randrange(len(given[-1]))) for _ in range(10)]
    for index, position in hits:
        damaged = [*given]
        damaged[index] = altered(given[index], position)
        with pytest.raises(BundleError) as refused:
            read_encrypted(damaged, trusted, central_key)
        if position < 9:
            continue  # the magic or the version: not a bundle, or another version of one
        assert type(refused.value) is BundleDamaged and refused.value.positions == (index,)
        if position >= 30:  # beyond the part's own number: named by it
            assert (refused.value.parts, refused.value.total) == ((index + 1,), len(given))
            assert f"Part {index + 1} of {len(given)} is damaged" in str(refused.value)


def test_two_damaged_parts_are_both_named(kit_key, central_key, trusted):
    given = write_encrypted(kit_key, central_key, sealed_registrations(60), part_size=10_000)
    damaged = [*given]
    damaged[1], damaged[4] = altered(given[1], 500), given[4][:-1]
    with pytest.raises(BundleDamaged, match=f"Parts 2 and 5 of {len(given)} are damaged"):
        read_encrypted(damaged, trusted, central_key)


@pytest.mark.parametrize("encrypted", [True, False], ids=["encrypted", "signed-only"])
def test_a_bundle_cut_at_any_length_is_refused(kit_key, central_key, trusted, encrypted):
    records = sealed_registrations(2)
    (part,) = write_encrypted(kit_key, central_key, records) if encrypted else write_signed(kit_key, records)
    for length in range(len(part)):
        with pytest.raises(BundleError) as refused:
            if encrypted:
                read_encrypted([part[:length]], trusted, central_key)
            else:
                read_signed([part[:length]], trusted)
        assert type(refused.value) is (NotABundle if length == 0 else BundleDamaged), length


@pytest.mark.parametrize("extra", [b"\x00", b"more", bytes(5000)], ids=["one byte", "some bytes", "many bytes"])
def test_bytes_appended_to_a_part_are_refused(kit_key, central_key, trusted, extra):
    given = write_encrypted(kit_key, central_key, sealed_registrations(30), part_size=10_000)
    with pytest.raises(BundleDamaged, match=f"Part 2 of {len(given)} is damaged"):
        read_encrypted([given[0], given[1] + extra, *given[2:]], trusted, central_key)
    (signed,) = write_signed(kit_key, [b"entry"])
    with pytest.raises(BundleDamaged):
        read_signed([signed + extra], trusted)


def test_a_whole_bundle_appended_to_itself_is_refused(kit_key, central_key, trusted):
    (part,) = write_encrypted(kit_key, central_key, sealed_registrations(2))
    with pytest.raises(BundleDamaged):
        read_encrypted([part + part], trusted, central_key)


# Nothing moves between bundles


@pytest.mark.parametrize("encrypted", [True, False], ids=["encrypted", "signed-only"])
def test_a_part_swapped_in_from_another_bundle_with_the_same_keys_is_refused(kit_key, central_key, trusted, encrypted):
    def write(records):
        if encrypted:
            return write_encrypted(kit_key, central_key, records, part_size=5_000)
        return write_signed(kit_key, records, part_size=5_000)

    def read(given):
        return read_encrypted(given, trusted, central_key) if encrypted else read_signed(given, trusted)

    first, second = (write([secrets.token_bytes(1500) for _ in range(12)]) for _ in range(2))
    assert len(first) == len(second) > 2
    with pytest.raises(MixedParts, match="different bundles"):
        read([first[0], second[1], *first[2:]])
    # Relabelled with the first bundle's id, the foreign part no longer authenticates.
    relabelled = second[1][:10] + first[1][10:26] + second[1][26:]
    with pytest.raises(BundleDamaged, match=f"Part 2 of {len(first)} is damaged"):
        read([first[0], relabelled, *first[2:]])


@pytest.mark.parametrize("encrypted", [True, False], ids=["encrypted", "signed-only"])
def test_parts_given_each_others_numbers_are_refused(kit_key, central_key, trusted, encrypted):
    records = [secrets.token_bytes(1500) for _ in range(12)]
    given = (
        write_encrypted(kit_key, central_key, records, part_size=5_000)
        if encrypted
        else write_signed(kit_key, records, part_size=5_000)
    )
    renumbered = [given[0][:26] + given[1][26:28] + given[0][28:], given[1][:26] + given[0][26:28] + given[1][28:]]
    with pytest.raises(BundleDamaged, match=f"Parts 1 and 2 of {len(given)} are damaged"):
        if encrypted:
            read_encrypted([*renumbered, *given[2:]], trusted, central_key)
        else:
            read_signed([*renumbered, *given[2:]], trusted)


def test_a_recipient_cannot_reencrypt_a_bundle_to_someone_else(kit_key, central_key, trusted):
    (part,) = write_encrypted(kit_key, central_key, sealed_registrations(2))
    header = part_format.parse_header(part, None)
    key = part_format.key_for_reader(bytes(central_key), bytes(central_key.public_key), header.ephemeral_public_key)
    payload = _decrypt(part, header, key)
    other = PrivateKey.generate()
    other_key = part_format.key_for_writer(secrets.token_bytes(32), bytes(other.public_key))
    forwarded_header = part_format.encode_header(header.bundle_id, 1, 1, other_key)
    forwarded = forwarded_header + crypto_aead_xchacha20poly1305_ietf_encrypt(
        payload, forwarded_header, bytes(23) + b"\x01", other_key.aead_key
    )
    with pytest.raises(BundleDamaged):
        read_encrypted([forwarded], trusted, other)


def test_a_recipient_cannot_strip_the_encryption_and_pass_it_off_as_signed_only(kit_key, central_key, trusted):
    (part,) = write_encrypted(kit_key, central_key, sealed_registrations(2))
    header = part_format.parse_header(part, None)
    key = part_format.key_for_reader(bytes(central_key), bytes(central_key.public_key), header.ephemeral_public_key)
    stripped = part_format.encode_header(header.bundle_id, 1, 1, None) + _decrypt(part, header, key)
    with pytest.raises(BundleDamaged):
        read_bundle([stripped], kind="kit-sync", trusted_signers=trusted)


def _decrypt(part: bytes, header, key) -> bytes:
    from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_decrypt

    return crypto_aead_xchacha20poly1305_ietf_decrypt(
        part[len(header.raw) :], header.raw, bytes(23) + b"\x01", key.aead_key
    )


# Who may read, and who may write


def test_a_bundle_signed_by_an_unknown_key_is_refused(kit_key, central_key):
    stranger = SigningKey.generate()
    given = write_encrypted(stranger, central_key, sealed_registrations(5))
    with pytest.raises(UnknownSigner) as refused:
        read_encrypted(given, {bytes(kit_key.verify_key): "kit"}, central_key)
    assert refused.value.verify_key == bytes(stranger.verify_key)
    assert bytes(stranger.verify_key).hex() in str(refused.value)
    with pytest.raises(UnknownSigner):
        read_signed(write_signed(stranger, [b"entry"]), lambda key: None)


@pytest.mark.parametrize("encrypted", [True, False], ids=["encrypted", "signed-only"])
def test_a_bundle_naming_a_trusted_key_but_signed_by_another_is_refused(kit_key, central_key, trusted, encrypted):
    # A forger knows the kit's public key and the central key: all it lacks is the kit's signing key.
    forger = SigningKey.generate()
    key = part_format.key_for_writer(secrets.token_bytes(32), bytes(central_key.public_key)) if encrypted else None
    header = part_format.encode_header(secrets.token_bytes(16), 1, 1, key)
    body = framing.encode_body("kit-sync", HEADER, [b"forged registration"])
    body = framing.pad(body) if encrypted else body
    signed = part_format._signed_message(header, key, bytes(kit_key.verify_key), body)
    payload = bytes(kit_key.verify_key) + forger.sign(signed).signature + body
    if key is None:
        forged = header + payload
    else:
        forged = header + crypto_aead_xchacha20poly1305_ietf_encrypt(payload, header, bytes(23) + b"\x01", key.aead_key)
    with pytest.raises(BundleDamaged):
        read_bundle(
            [forged], kind="kit-sync", trusted_signers=trusted, recipient_key=central_key if encrypted else None
        )


def test_an_unknown_signer_is_named_before_damage_or_missing_parts(kit_key, central_key):
    given = write_encrypted(SigningKey.generate(), central_key, sealed_registrations(30), part_size=10_000)
    with pytest.raises(UnknownSigner):
        read_encrypted([given[0], altered(given[1], 400)], {bytes(kit_key.verify_key): "kit"}, central_key)


def test_a_bundle_for_another_recipient_does_not_open(kit_key, central_key, trusted):
    given = write_encrypted(kit_key, PrivateKey.generate(), sealed_registrations(5), part_size=5_000)
    with pytest.raises(NotForThisKey, match="does not open with your key"):
        read_encrypted(given, trusted, central_key)


def test_an_encrypted_bundle_is_not_read_without_a_key_nor_a_signed_one_with_a_key(kit_key, central_key, trusted):
    with pytest.raises(NotForThisKey, match="is encrypted"):
        read_bundle(write_encrypted(kit_key, central_key, [b"r"]), kind="kit-sync", trusted_signers=trusted)
    with pytest.raises(NotForThisKey, match="not encrypted"):
        read_bundle(write_signed(kit_key, [b"r"]), kind="audit-log", trusted_signers=trusted, recipient_key=central_key)


def test_a_bundle_of_another_kind_is_refused(kit_key, trusted):
    given = write_signed(kit_key, [b"entry"])
    with pytest.raises(WrongKind, match='of kind "audit-log", not "kit-sync"'):
        read_bundle(given, kind="kit-sync", trusted_signers=trusted)
    assert read_bundle(given, kind=("kit-sync", "audit-log"), trusted_signers=trusted).kind == "audit-log"


# Missing and foreign files


def test_missing_parts_are_named_with_the_total(kit_key, central_key, trusted):
    given = write_encrypted(kit_key, central_key, sealed_registrations(200), part_size=20_000)
    assert len(given) >= 9
    kept = [part for number, part in enumerate(given, start=1) if number not in (2, 3, 4, 7)]
    with pytest.raises(MissingParts) as refused:
        read_encrypted(kept, trusted, central_key)
    assert (refused.value.missing, refused.value.total) == ((2, 3, 4, 7), len(given))
    assert str(refused.value).startswith(f"Parts 2-4 and 7 of {len(given)} are missing")


def test_files_that_are_not_bundles_are_named_by_position(kit_key, central_key, trusted):
    given = write_encrypted(kit_key, central_key, sealed_registrations(30), part_size=10_000)
    with pytest.raises(NotABundle, match="The 2nd file given is not a Gatehouse bundle"):
        read_encrypted([given[0], b"%PDF-1.7 ...", *given[1:]], trusted, central_key)
    with pytest.raises(NotABundle, match="^This file is not"):
        read_encrypted([b""], trusted, central_key)
    with pytest.raises(BundleError, match="No bundle part was given"):
        read_encrypted([], trusted, central_key)


def test_a_text_mode_transfer_is_recognised(kit_key, trusted):
    (part,) = write_signed(kit_key, [b"entry"])
    with pytest.raises(NotABundle, match="text-mode transfer"):
        read_signed([part.replace(b"\n", b"\r\n")], trusted)
    with pytest.raises(NotABundle, match="text-mode transfer"):
        read_signed([part.replace(b"\r\n", b"\n")], trusted)


def test_a_newer_format_version_is_named(kit_key, trusted):
    (part,) = write_signed(kit_key, [b"entry"])
    with pytest.raises(UnsupportedVersion, match="format version 3.*or a newer one"):
        read_signed([part[:8] + b"\x03" + part[9:]], trusted)


def test_a_version_1_bundle_is_refused_as_older_not_as_damaged():
    vectors = json.loads((VECTORS.parent / "bundle-v1.json").read_text())
    for case in vectors["bundles"]:
        parts = [bytes.fromhex(part) for part in case["parts"]]
        signer = SigningKey(bytes.fromhex(case["signer_seed"])).verify_key.encode()
        recipient = case.get("recipient_secret_key")
        with pytest.raises(UnsupportedVersion, match="format version 1.*written again by this version"):
            read_bundle(
                parts,
                kind=case["kind"],
                trusted_signers={signer: "vector signer"},
                recipient_key=PrivateKey(bytes.fromhex(recipient)) if recipient else None,
            )


# What an observer of an encrypted bundle learns


def test_an_encrypted_bundle_shows_neither_signer_nor_kind_nor_header_nor_records(kit_key, central_key):
    records = sealed_registrations(12)
    given = write_encrypted(kit_key, central_key, records, part_size=5_000)
    everything = b"".join(given)
    for secret_piece in [bytes(kit_key.verify_key), b"kit-sync", b"forum-2027", *(record[:16] for record in records)]:
        assert secret_piece not in everything


def test_small_encrypted_bundles_have_the_same_size_whatever_their_record_count(kit_key, central_key):
    sizes = {len(write_encrypted(kit_key, central_key, sealed_registrations(count))[0]) for count in (0, 1, 5, 9)}
    assert len(sizes) == 1


def test_padding_rounds_large_bundles_to_steps_of_a_sixty_fourth(kit_key, central_key):
    from offline_bundle.framing import MIN_PADDED_BODY, padded_length

    for size in [1, MIN_PADDED_BODY, MIN_PADDED_BODY + 1, 100_000, 10_000_000, 123_456_789]:
        padded = padded_length(size)
        assert padded >= max(size, MIN_PADDED_BODY)
        assert padded - size < max(MIN_PADDED_BODY, size / 64)


def test_record_lengths_are_read_in_their_shortest_form_only():
    body = framing.encode_body("kit-sync", HEADER, [b"x" * 200, b""])
    at = body.index(b"x" * 200) - 2
    assert body[at : at + 2] == b"\xc8\x01"  # 200 as a varint
    assert framing.decode_body(body, padded=False)[2] == [b"x" * 200, b""]
    for length in (b"\xc8\x81\x00", b"\xc8\x81\x80\x80\x00", b"\xff\xff\xff\x7f"):
        with pytest.raises(BundleDamaged, match="length"):
            framing.decode_body(body[:at] + length + body[at + 2 :], padded=False)


# Limits and the writer's refusals


def test_the_writer_refuses_what_no_bundle_may_hold(kit_key, central_key):
    def write(kind="kit-sync", header=None, records=(), **options):
        options.setdefault("signing_key", kit_key)
        return write_bundle(kind, HEADER if header is None else header, records, **options)

    for kind in ["", "Kit-Sync", "kit sync", "k" * 33, "ünicode", "1kit"]:
        with pytest.raises(ValueError, match="kind"):
            write(kind=kind)
    for header in [{"ratio": 0.5}, {"flag": True}, {"list": [1]}, {"": "x"}, {"big": 2**60}, {"x": "y" * 70_000}]:
        with pytest.raises(ValueError):
            write(header=header)
    with pytest.raises(TypeError):
        write(records=["text, not bytes"])
    with pytest.raises(ValueError, match="over the limit"):
        write(records=[bytes(offline_bundle.MAX_RECORD_BYTES + 1)])
    with pytest.raises(ValueError, match="part size"):
        write(part_size=offline_bundle.MIN_PART_SIZE - 1)
    with pytest.raises(TypeError, match="part size"):
        write(part_size="500KB")
    with pytest.raises(ValueError, match="parts"):
        write(records=[bytes(2_000_000)] * 40, part_size=1024)
    with pytest.raises(ValueError, match="not a usable"):
        write(recipient=bytes(32))
    with pytest.raises(TypeError):
        write(signing_key=bytes(kit_key))


def test_the_reader_refuses_to_be_called_wrongly(kit_key, central_key, trusted):
    (part,) = write_signed(kit_key, [b"entry"])
    with pytest.raises(TypeError, match="list of parts"):
        read_signed(part, trusted)
    with pytest.raises(TypeError, match="kind"):
        read_bundle([part], kind=(), trusted_signers=trusted)
    with pytest.raises(TypeError, match="32-byte verify keys"):
        read_signed([part], {kit_key.verify_key: "keyed by the object, not its bytes"})
    with pytest.raises(TypeError, match="recipient_key"):
        read_bundle([part], kind="audit-log", trusted_signers=trusted, recipient_key=central_key.public_key)


def test_the_smallest_part_size_still_works(kit_key, central_key, trusted):
    records = sealed_registrations(5)
    given = write_encrypted(kit_key, central_key, records, part_size=offline_bundle.MIN_PART_SIZE)
    assert all(len(part) <= offline_bundle.MIN_PART_SIZE for part in given)
    assert read_encrypted(given[::-1], trusted, central_key).records == records


def test_a_record_at_the_size_limit_round_trips(kit_key, trusted):
    record = bytes(offline_bundle.MAX_RECORD_BYTES)
    assert read_signed(write_signed(kit_key, [record]), trusted).records == [record]


# Size and known answers


@pytest.mark.parametrize("encrypted", [True, False], ids=["encrypted", "signed-only"])
def test_ten_thousand_registrations_cost_at_most_five_percent_beyond_their_bytes(kit_key, central_key, encrypted):
    fixed_header = 1024
    for records in (sealed_registrations(10_000), [secrets.token_bytes(1024) for _ in range(10_000)]):
        if encrypted:
            given = write_encrypted(kit_key, central_key, records, part_size=500_000)
        else:
            given = write_signed(kit_key, records, part_size=500_000)
        record_bytes = sum(len(record) for record in records)
        assert sum(len(part) for part in given) <= 1.05 * record_bytes + fixed_header


def test_known_answer_bundles_open_to_their_records():
    for vector in json.loads(VECTORS.read_text())["bundles"]:
        signer = bytes.fromhex(vector["signer_verify_key"])
        recipient = PrivateKey(bytes.fromhex(vector["recipient_secret_key"])) if vector["encrypted"] else None
        bundle = read_bundle(
            [bytes.fromhex(part) for part in vector["parts"]],
            kind=vector["kind"],
            trusted_signers={signer: "vector signer"},
            recipient_key=recipient,
        )
        assert bundle.records == [bytes.fromhex(record) for record in vector["records"]]
        assert (bundle.header, bundle.bundle_id.hex()) == (vector["header"], vector["bundle_id"])


def test_the_writer_reproduces_the_known_answer_bundles_byte_for_byte():
    for vector in json.loads(VECTORS.read_text())["bundles"]:
        recipient = PrivateKey(bytes.fromhex(vector["recipient_secret_key"])) if vector["encrypted"] else None
        produced = _write(
            vector["kind"],
            vector["header"],
            [bytes.fromhex(record) for record in vector["records"]],
            signing_key=SigningKey(bytes.fromhex(vector["signer_seed"])),
            recipient=None if recipient is None else recipient.public_key,
            part_size=vector["part_size"],
            progress=None,
            bundle_id=bytes.fromhex(vector["bundle_id"]),
            ephemeral_secret=bytes.fromhex(vector.get("ephemeral_secret_key", "00" * 32)),
        )
        assert [part.hex() for part in produced] == vector["parts"]
        if recipient is not None:
            assert (
                crypto_scalarmult_base(bytes.fromhex(vector["ephemeral_secret_key"])).hex()
                == vector["ephemeral_public_key"]
            )


def test_known_answer_refusals_are_refused_with_their_error():
    document = json.loads(VECTORS.read_text())
    for refusal in document["refusals"]:
        vector = document["bundles"][refusal["bundle"]]
        given = [bytearray.fromhex(part) for part in vector["parts"]]
        if "xor" in refusal:
            part, position, mask = refusal["xor"]
            given[part][position] ^= mask
        if "drop" in refusal:
            del given[refusal["drop"]]
        if "truncate" in refusal:
            part, length = refusal["truncate"]
            del given[part][length:]
        if "append" in refusal:
            part, extra = refusal["append"]
            given[part] += bytes.fromhex(extra)
        recipient = refusal.get("recipient_secret_key", vector.get("recipient_secret_key"))
        with pytest.raises(getattr(offline_bundle, refusal["error"])):
            read_bundle(
                [bytes(part) for part in given],
                kind=vector["kind"],
                trusted_signers={bytes.fromhex(refusal.get("trusted_verify_key", vector["signer_verify_key"])): "x"},
                recipient_key=PrivateKey(bytes.fromhex(recipient)) if recipient else None,
            )


def test_part_lists_read_as_short_english():
    assert number_list([7]) == "7"
    assert number_list([2, 3, 4, 7]) == "2-4 and 7"
    assert number_list([1, 3, 5, 6]) == "1, 3, 5 and 6"
    assert number_list([6, 5, 5]) == "5 and 6"
    assert number_list(list(range(1, 401))) == "1-400"
