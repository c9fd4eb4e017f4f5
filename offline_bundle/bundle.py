"""Writing a bundle into parts, and reading parts back into a bundle only once every check has passed."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import nacl.exceptions
from nacl.public import PrivateKey, PublicKey
from nacl.signing import SigningKey

from offline_bundle import framing, parts
from offline_bundle.errors import (
    BundleDamaged,
    BundleError,
    MissingParts,
    MixedParts,
    NotForThisKey,
    UnknownSigner,
    WrongKind,
)

MIN_PART_SIZE = 1024

Progress = Callable[[int, int], None]
TrustedSigners = Mapping[bytes, str] | Callable[[bytes], str | None]


@dataclass(frozen=True)
class Signer:
    """Who signed a bundle: their Ed25519 verify key, and the name the reader's trusted_signers gave it."""

    verify_key: bytes
    name: str


@dataclass(frozen=True)
class Bundle:
    """A bundle whose every part was present, authentic and signed by a trusted key."""

    kind: str
    header: dict[str, str | int]
    signer: Signer
    bundle_id: bytes
    records: list[bytes]


def write_bundle(
    kind: str,
    header: Mapping[str, str | int],
    records: Iterable[bytes],
    *,
    signing_key: SigningKey,
    recipient: PublicKey | bytes | None = None,
    part_size: int | None = None,
    progress: Progress | None = None,
) -> list[bytes]:
    """Sign ``records`` with ``signing_key`` and, unless ``recipient`` is None, encrypt them to it.

    Returns the parts in order: one when ``part_size`` is None, else as many as needed for none to be
    larger than ``part_size`` bytes. Raises ValueError or TypeError for input no bundle can hold.
    """
    return _write(
        kind,
        header,
        records,
        signing_key=signing_key,
        recipient=recipient,
        part_size=part_size,
        progress=progress,
        bundle_id=secrets.token_bytes(parts.BUNDLE_ID_BYTES),
        ephemeral_secret=secrets.token_bytes(parts.KEY_BYTES),
    )


def _write(
    kind: str,
    header: Mapping[str, str | int],
    records: Iterable[bytes],
    *,
    signing_key: SigningKey,
    recipient: PublicKey | bytes | None,
    part_size: int | None,
    progress: Progress | None,
    bundle_id: bytes,
    ephemeral_secret: bytes,
) -> list[bytes]:
    """The writer with its randomness given: for the known-answer vectors only."""
    if not isinstance(signing_key, SigningKey):
        raise TypeError("signing_key must be a nacl.signing.SigningKey")
    if part_size is not None and (isinstance(part_size, bool) or not isinstance(part_size, int)):
        raise TypeError("the part size is a whole number of bytes, or None for one part")
    if part_size is not None and part_size < MIN_PART_SIZE:
        raise ValueError(f"the part size must be at least {MIN_PART_SIZE} bytes, not {part_size}")
    key = None
    if recipient is not None:
        try:
            key = parts.key_for_writer(ephemeral_secret, _public_key_bytes(recipient))
        except nacl.exceptions.CryptoError:  # a low-order point: the "shared" secret would be public
            raise ValueError("recipient is not a usable X25519 public key") from None
    body = framing.encode_body(kind, header, records)
    if key is not None:
        body = framing.pad(body)  # record counts stay hidden from whoever sees only the size
    return _seal(body, signing_key=signing_key, key=key, part_size=part_size, progress=progress, bundle_id=bundle_id)


def _seal(
    body: bytes,
    *,
    signing_key: SigningKey,
    key: parts.BundleKey | None,
    part_size: int | None,
    progress: Progress | None,
    bundle_id: bytes,
) -> list[bytes]:
    """Cut ``body`` into chunks and seal each as a part (also used to fuzz the body parser behind authentication)."""
    mode = parts.SIGNED_ONLY if key is None else parts.ENCRYPTED
    capacity = max(1, len(body)) if part_size is None else part_size - parts.overhead(mode)
    count = max(1, -(-len(body) // capacity))
    if count > parts.MAX_PARTS:
        raise ValueError(f"this bundle would need {count} parts; at most {parts.MAX_PARTS} are allowed")
    total_bytes = len(body) + count * parts.overhead(mode)
    written: list[bytes] = []
    done = 0
    for number in range(1, count + 1):
        chunk = body[(number - 1) * capacity : number * capacity]
        written.append(parts.seal(parts.encode_header(bundle_id, number, count, key), number, chunk, signing_key, key))
        done += len(written[-1])
        if progress is not None:
            progress(done, total_bytes)
    return written


def read_bundle(
    given_parts: Iterable[bytes],
    *,
    kind: str | Collection[str],
    trusted_signers: TrustedSigners,
    recipient_key: PrivateKey | None = None,
    progress: Progress | None = None,
) -> Bundle:
    """Check every part, then return the bundle; raise a BundleError and return nothing if any check fails.

    ``kind`` is the kind (or kinds) the caller is ready to handle. ``trusted_signers`` maps a verify key's
    32 bytes to a name, or is a function that returns the name or None. ``recipient_key`` is the private
    key an encrypted bundle is expected to be for; None expects a signed-only bundle.
    Parts may come in any order; identical copies of a part are ignored.
    """
    kinds = (kind,) if isinstance(kind, str) else tuple(kind)
    if not kinds or not all(isinstance(each, str) for each in kinds):
        raise TypeError("kind must be a bundle kind, or a collection of them")
    name_of = _trust_function(trusted_signers)
    if recipient_key is not None and not isinstance(recipient_key, PrivateKey):
        raise TypeError("recipient_key must be a nacl.public.PrivateKey or None")
    if isinstance(given_parts, bytes | bytearray | memoryview | str):
        raise TypeError("read_bundle takes a list of parts, not one part's bytes")
    given = list(given_parts)
    unique = _without_copies(given)
    if not unique:
        raise BundleError("No bundle part was given.")
    opened = _open_all(unique, name_of, recipient_key, len(given) == 1, progress)
    first = next(iter(opened.values()))
    body = b"".join(opened[number].chunk for number in range(1, first.header.count + 1))
    found_kind, header, records = framing.decode_body(body, padded=first.header.mode == parts.ENCRYPTED)
    if found_kind not in kinds:
        raise WrongKind(found_kind, kinds)
    name = name_of(first.signer)
    if name is None:  # _open_all has checked it already; asked again in case trust changed meanwhile
        raise UnknownSigner(first.signer)
    return Bundle(found_kind, header, Signer(first.signer, name), first.header.bundle_id, records)


def _open_all(
    unique: list[tuple[int, bytes]],
    name_of: Callable[[bytes], str | None],
    recipient_key: PrivateKey | None,
    single_file: bool,
    progress: Progress | None,
) -> dict[int, parts.OpenedPart]:
    """Every part authenticated and numbered 1..count, all of one bundle; else the BundleError that says why."""
    expected_mode = parts.SIGNED_ONLY if recipient_key is None else parts.ENCRYPTED
    keys: dict[bytes, parts.BundleKey | None] = {}
    opened: dict[int, parts.OpenedPart] = {}
    failed: list[tuple[int, parts.PartHeader | None]] = []
    not_for_this_key = wrong_mode = 0
    total_bytes, done = sum(len(part) for _, part in unique), 0
    for position, part in unique:
        header = None
        try:
            header = parts.parse_header(part, None if single_file else position)
            if header.mode != expected_mode:
                wrong_mode += 1
                raise parts.PartUnreadable()
            key = None
            if recipient_key is not None:
                if header.ephemeral_public_key not in keys:
                    keys[header.ephemeral_public_key] = _reader_key(recipient_key, header.ephemeral_public_key)
                key = keys[header.ephemeral_public_key]
                if key is None:
                    raise parts.PartUnreadable()
            this = parts.open_part(part, header, key)
        except parts.PartUnreadable as unreadable:
            not_for_this_key += unreadable.not_for_this_key
            failed.append((position, header))
        else:
            if name_of(this.signer) is None:  # said first: nothing else about an untrusted bundle matters
                raise UnknownSigner(this.signer)
            _check_belongs(this, opened)
            opened[this.header.number] = this
        done += len(part)
        if progress is not None:
            progress(done, total_bytes)
    if not opened and wrong_mode == len(failed):
        raise NotForThisKey(_wrong_mode_message(recipient_key is not None))
    if not opened and not_for_this_key == len(failed):
        raise NotForThisKey(
            "This bundle does not open with your key: it was encrypted to another key, or its header is damaged."
        )
    total = _total(opened, failed)
    if failed or total is None:
        numbers = [header.number for _, header in failed if header is not None]
        raise BundleDamaged(
            parts=numbers if total is not None else (),
            positions=[position for position, _ in failed],
            total=total,
            missing=_missing(set(opened) | set(numbers), total) if total is not None else (),
        )
    missing = _missing(set(opened), total)
    if missing:
        raise MissingParts(missing, total)
    return opened


def _check_belongs(this: parts.OpenedPart, opened: Mapping[int, parts.OpenedPart]) -> None:
    """Authentic parts that do not make one bundle: a part of another bundle, or two versions of one part."""
    for other in opened.values():
        if other.header.bundle_id != this.header.bundle_id:
            raise MixedParts("These parts belong to different bundles: give the parts of one bundle at a time.")
        if other.signer != this.signer or other.header.count != this.header.count:
            raise MixedParts("These parts claim to be one bundle but disagree about its signer or its size.")
        break
    if this.header.number in opened:
        raise MixedParts(f"Two different versions of part {this.header.number} were given.")


def _total(opened: Mapping[int, parts.OpenedPart], failed: list[tuple[int, parts.PartHeader | None]]) -> int | None:
    """The part count, from an authentic part if any, else from the damaged ones if they agree."""
    if opened:
        return next(iter(opened.values())).header.count
    claimed = {header.count for _, header in failed if header is not None}
    return claimed.pop() if len(claimed) == 1 else None


def _missing(present: set[int], total: int) -> list[int]:
    return [number for number in range(1, total + 1) if number not in present]


def _without_copies(given_parts: Sequence[bytes]) -> list[tuple[int, bytes]]:
    """Each distinct part once, with its position in what was given; identical copies add nothing."""
    seen: set[bytes] = set()
    unique = []
    for position, part in enumerate(given_parts):
        if not isinstance(part, bytes | bytearray | memoryview):
            raise TypeError(f"each part must be bytes, not {type(part).__name__}")
        part = bytes(part)
        if part not in seen:
            seen.add(part)
            unique.append((position, part))
    return unique


def _reader_key(recipient_key: PrivateKey, ephemeral_public_key: bytes) -> parts.BundleKey | None:
    try:
        return parts.key_for_reader(bytes(recipient_key), bytes(recipient_key.public_key), ephemeral_public_key)
    except parts.PartUnreadable:
        return None


def _trust_function(trusted_signers: TrustedSigners) -> Callable[[bytes], str | None]:
    if isinstance(trusted_signers, Mapping):
        for verify_key, name in trusted_signers.items():
            if not isinstance(verify_key, bytes) or len(verify_key) != parts.KEY_BYTES or not isinstance(name, str):
                raise TypeError("trusted_signers maps 32-byte verify keys (bytes) to names (str)")
        return trusted_signers.get
    if callable(trusted_signers):
        return trusted_signers
    raise TypeError("trusted_signers must be a mapping of verify keys to names, or a function")


def _public_key_bytes(recipient: PublicKey | bytes) -> bytes:
    raw = bytes(recipient) if isinstance(recipient, PublicKey) else recipient
    if not isinstance(raw, bytes) or len(raw) != parts.KEY_BYTES:
        raise TypeError("recipient must be a nacl.public.PublicKey, 32 bytes, or None")
    return raw


def _wrong_mode_message(expected_encrypted: bool) -> str:
    if expected_encrypted:
        return "This bundle is not encrypted, so it was not addressed to your key; open it without one."
    return "This bundle is encrypted: it opens only with the private key it was encrypted to."
