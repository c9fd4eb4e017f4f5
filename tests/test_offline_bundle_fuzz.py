"""Property tests: whatever bytes arrive, the bundle reader answers with a bundle or a BundleError, nothing else.

The number of examples comes from the hypothesis profile in conftest.py: 10,000 per test when CI is set.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from nacl.public import PrivateKey
from nacl.signing import SigningKey

from offline_bundle import Bundle, BundleError, framing, read_bundle, write_bundle
from offline_bundle import parts as part_format
from offline_bundle.bundle import _seal

# Fixed keys: a failing example replays the same way every time.
SIGNER = SigningKey(bytes(range(1, 33)))
RECIPIENT = PrivateKey(bytes(range(33, 65)))
TRUSTED = {bytes(SIGNER.verify_key): "fuzz signer"}
HEADER = {"event": "forum-2027", "schema": 3}
RECORDS = [bytes([number]) * (200 + 150 * number) for number in range(6)]
SIGNED = write_bundle("audit-log", HEADER, RECORDS, signing_key=SIGNER, part_size=1024)
ENCRYPTED = write_bundle(
    "kit-sync", HEADER, RECORDS, signing_key=SIGNER, recipient=RECIPIENT.public_key, part_size=4096
)
OTHER_SIGNED = write_bundle("audit-log", HEADER, RECORDS, signing_key=SIGNER, part_size=1024)

fuzz_settings = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def read_or_refuse(given_parts: list[bytes], encrypted: bool) -> Bundle | None:
    """The bundle, or None when the reader refused with a BundleError; any other exception fails the test."""
    try:
        bundle = read_bundle(
            given_parts,
            kind=("audit-log", "kit-sync"),
            trusted_signers=TRUSTED,
            recipient_key=RECIPIENT if encrypted else None,
        )
        event("read")
        return bundle
    except BundleError as refusal:
        assert str(refusal)  # a person reads it: never empty
        event(f"refused: {type(refusal).__name__}")  # shown by --hypothesis-show-statistics
        return None


def part_headers() -> st.SearchStrategy[bytes]:
    """Plausible clear headers, so that the fuzzer gets past the magic and the version."""
    return st.builds(
        lambda mode, bundle_id, number, count, rest: (
            part_format.MAGIC
            + bytes([1, mode])
            + bundle_id
            + number.to_bytes(2, "big")
            + count.to_bytes(2, "big")
            + rest
        ),
        st.sampled_from([0, 1, 2, 3, 255]),
        st.sampled_from([bytes(16), SIGNED[0][10:26], ENCRYPTED[0][10:26]]) | st.binary(min_size=16, max_size=16),
        st.integers(0, 6),
        st.integers(0, 6),
        st.binary(max_size=400),
    )


@fuzz_settings
@given(
    st.lists(
        st.binary(max_size=300) | st.binary(max_size=300).map(part_format.MAGIC.__add__) | part_headers(),
        min_size=1,
        max_size=4,
    ),
    st.booleans(),
)
@example([b""], False)
@example([part_format.MAGIC], True)
def test_arbitrary_bytes_are_refused_with_a_bundle_error(given_parts, encrypted):
    assert read_or_refuse(given_parts, encrypted) is None


def mutate(original: list[bytes], operations: list[tuple], extra_parts: list[bytes]) -> list[bytes]:
    mutated = [bytearray(part) for part in original]
    for name, which, position, value in operations:
        part = mutated[which % len(mutated)]
        at = position % (len(part) + 1)
        if name == "xor" and at < len(part):
            part[at] ^= value[0] or 1
        elif name == "insert":
            part[at:at] = value
        elif name == "delete":
            del part[at : at + len(value)]
        elif name == "truncate":
            del part[at:]
        elif name == "drop" and len(mutated) > 1:
            mutated.remove(part)
        elif name == "duplicate":
            mutated.append(bytearray(part))
        elif name == "swap in":
            mutated[which % len(mutated)] = bytearray(extra_parts[position % len(extra_parts)])
        elif name == "splice":  # this part's header onto another part's body
            other = extra_parts[position % len(extra_parts)]
            mutated[which % len(mutated)] = bytearray(part[: len(value) * 8] + other[len(value) * 8 :])
        elif name == "reorder":
            mutated.reverse()
    return [bytes(part) for part in mutated]


operations = st.lists(
    st.tuples(
        st.sampled_from(["xor", "insert", "delete", "truncate", "drop", "duplicate", "swap in", "splice", "reorder"]),
        st.integers(0, 20),
        st.integers(0, 5000),
        st.binary(min_size=1, max_size=12),
    ),
    min_size=1,
    max_size=4,
)


@fuzz_settings
@given(operations, st.booleans())
def test_a_changed_bundle_is_refused_or_read_unchanged(changes, encrypted):
    original = ENCRYPTED if encrypted else SIGNED
    extra = [*OTHER_SIGNED, *ENCRYPTED, *SIGNED]
    bundle = read_or_refuse(mutate(original, changes, extra), encrypted)
    if bundle is not None:  # only reordering, copying or swapping in identical parts may leave it readable
        assert (bundle.records, bundle.header) == (RECORDS, HEADER)


body_kinds = st.sampled_from(["kit-sync", "audit-log"] * 2 + ["staff-export", "", "Kit", "k" * 33, "kit\u00e9"])
header_texts = st.sampled_from(
    [
        '{"event":"forum-2027","schema":3}',
        '{"schema":3,"event":"forum-2027"}',
        '{"a":1,"a":2}',
        '{"a":1.5}',
        '{"a":true}',
        '{"a":null}',
        '{"a":[1]}',
        '{"a":1e400}',
        '{"a":NaN}',
        "[]",
        '"text"',
        "{" * 5000,
        "[" * 60_000,
        '{"a":' + "9" * 5000 + "}",
        '{"a":' + "9" * 17 + "}",
        '{"\\ud800":"x"}',
        "{}",
        "\u00ff",
    ]
) | st.dictionaries(
    st.sampled_from(["event", "kit", "", "\u00e9", "\ud800"]),
    st.text(max_size=8) | st.integers(-(2**60), 2**60),
    max_size=3,
).map(lambda header: json.dumps(header, sort_keys=True, separators=(",", ":")))


@st.composite
def bodies(draw, *, padded: bool) -> bytes:
    """Bodies near the valid framing: at most one length or count off by a little or a lot, padding or not."""
    kind = draw(body_kinds).encode("utf-8")
    header = draw(header_texts).encode("utf-8", "surrogatepass")
    records = draw(st.lists(st.binary(max_size=64), max_size=5))
    lengths = [len(kind), len(header), len(records), *map(len, records)]
    sizes = [1, 2, 4, *[4] * len(records)]
    tamper = draw(st.none() | st.tuples(st.integers(0, len(lengths) - 1), st.sampled_from([1, -1, 7, 2**31])))
    if tamper is not None:
        field, off = tamper
        lengths[field] = (lengths[field] + off) % (1 << (8 * sizes[field]))
    prefixes = [length.to_bytes(size, "big") for length, size in zip(lengths, sizes, strict=True)]
    pieces = [prefixes[0], kind, prefixes[1], header, prefixes[2]]
    for prefix, record in zip(prefixes[3:], records, strict=True):
        pieces += [prefix, record]
    body = b"".join(pieces)
    if draw(st.integers(0, 9)) == 0:
        padded = not padded
    if padded:
        body = framing.pad(body)
    return body + draw(st.sampled_from([b""] * 6 + [b"\x00", b"\x01", bytes(100)]))


@fuzz_settings
@given(st.booleans().flatmap(lambda encrypted: st.tuples(st.just(encrypted), bodies(padded=encrypted) | st.binary())))
def test_authentic_parts_around_any_body_give_a_canonical_bundle_or_a_bundle_error(encrypted_and_body):
    encrypted, body = encrypted_and_body
    key = part_format.key_for_writer(bytes(range(65, 97)), bytes(RECIPIENT.public_key)) if encrypted else None
    part_size = 8192 if encrypted else 1024  # several parts, without sealing 17 of them per example
    given_parts = _seal(body, signing_key=SIGNER, key=key, part_size=part_size, progress=None, bundle_id=bytes(16))
    bundle = read_or_refuse(given_parts, encrypted)
    if bundle is not None:  # accepted only if the writer would have written exactly these bytes
        written = framing.encode_body(bundle.kind, bundle.header, bundle.records)
        assert (framing.pad(written) if encrypted else written) == body
