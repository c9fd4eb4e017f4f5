"""The bundle body: kind, header and records, length-prefixed, and the padding of encrypted bodies.

The body is the byte string that the parts carry in pieces. It is only parsed after every part
has been authenticated, but the parser still treats it as untrusted: a trusted signer can be buggy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

from offline_bundle.errors import BundleDamaged

MAX_KIND_BYTES = 32
MAX_HEADER_BYTES = 65_535
MAX_RECORD_BYTES = 16 * 1024 * 1024
MAX_HEADER_INT = 2**53 - 1  # integers any JSON reader holds exactly
MIN_PADDED_BODY = 16 * 1024
_MAX_VARINT_BYTES = 4  # 28 bits: every length up to MAX_RECORD_BYTES
PADDING_SHIFT = 6  # steps of 1/64 of the power of two below: padding adds under 1.5625 % beyond the minimum

_KIND = re.compile(r"[a-z][a-z0-9-]{0,31}")

HeaderValue = str | int


def encode_body(kind: str, header: Mapping[str, HeaderValue], records: Iterable[bytes]) -> bytes:
    """``u8 len | kind | u16 len | header JSON | u32 count | (varint len | record)*``; ValueError on bad input."""
    kind_bytes = _checked_kind(kind)
    header_bytes = canonical_header(header)
    pieces = [bytes([len(kind_bytes)]), kind_bytes, len(header_bytes).to_bytes(2, "big"), header_bytes, b""]
    count = 0
    for record in records:
        if not isinstance(record, bytes | bytearray | memoryview):
            raise TypeError(f"records must be bytes, not {type(record).__name__}")
        if len(record) > MAX_RECORD_BYTES:
            raise ValueError(f"a record of {len(record)} bytes is over the limit of {MAX_RECORD_BYTES}")
        pieces.append(encode_varint(len(record)))
        pieces.append(bytes(record))
        count += 1
    if count >= 2**32:
        raise ValueError("too many records for one bundle")
    pieces[4] = count.to_bytes(4, "big")
    return b"".join(pieces)


def decode_body(body: bytes, *, padded: bool) -> tuple[str, dict[str, HeaderValue], list[bytes]]:
    """The inverse of ``encode_body`` (plus ``pad`` when ``padded``); raises BundleDamaged on any deviation."""
    view = memoryview(body)
    position = 0

    def take(size: int, what: str) -> bytes:
        nonlocal position
        if size > len(view) - position:
            raise BundleDamaged(reason=f"its contents end in the middle of {what}")
        piece = view[position : position + size].tobytes()
        position += size
        return piece

    kind_bytes = take(take(1, "the kind")[0], "the kind")
    try:
        kind = kind_bytes.decode("ascii")
        _checked_kind(kind)
    except (UnicodeDecodeError, ValueError):
        raise BundleDamaged(reason="its kind is not a valid name") from None
    header = _parse_header(take(int.from_bytes(take(2, "the header"), "big"), "the header"))
    count = int.from_bytes(take(4, "the record count"), "big")
    records = []
    for _ in range(count):
        size = 0
        for shift in range(0, 7 * _MAX_VARINT_BYTES, 7):
            byte = take(1, "a record's length")[0]
            size |= (byte & 0x7F) << shift
            if not byte & 0x80:
                break
        else:
            raise BundleDamaged(reason="a record's length is too long")
        if (byte == 0 and shift) or size > MAX_RECORD_BYTES:
            raise BundleDamaged(reason="a record's length is not in its shortest form, or over the size limit")
        records.append(take(size, "a record"))
    rest = view[position:]
    if padded:
        if len(body) != padded_length(position) or any(rest.tobytes()):
            raise BundleDamaged(reason="its padding is not what the format prescribes")
    elif len(rest):
        raise BundleDamaged(reason="there are bytes after its last record")
    return kind, header, records


def canonical_header(header: Mapping[str, HeaderValue]) -> bytes:
    """Sorted keys, no spaces, ASCII only: one byte string per header, so vectors can be reproduced."""
    if not isinstance(header, Mapping):
        raise TypeError("the header must be a mapping of str to str or int")
    for key, value in header.items():
        if not isinstance(key, str) or not key:
            raise ValueError("header keys must be non-empty strings")
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValueError(f"header value for {key!r} must be a str or an int")
        if isinstance(value, int) and abs(value) > MAX_HEADER_INT:
            raise ValueError(f"header value for {key!r} is beyond ±2**53-1")
        if not _is_unicode_text(key) or (isinstance(value, str) and not _is_unicode_text(value)):
            raise ValueError("header text must be valid Unicode (no lone surrogates)")
    encoded = json.dumps(dict(header), sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    if len(encoded) > MAX_HEADER_BYTES:
        raise ValueError(f"the header is {len(encoded)} bytes encoded; the limit is {MAX_HEADER_BYTES}")
    return encoded


def encode_varint(value: int) -> bytes:
    """7 bits a byte, least significant group first, the high bit set on every byte but the last."""
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def padded_length(size: int) -> int:
    """At least MIN_PADDED_BODY, else rounded up to a step of 1/64 of the power of two at or below ``size``.

    Hides the exact number of records from anyone who sees only the size of an encrypted bundle.
    """
    if size <= MIN_PADDED_BODY:
        return MIN_PADDED_BODY
    step = 1 << (size.bit_length() - 1 - PADDING_SHIFT)
    return -(-size // step) * step


def pad(body: bytes) -> bytes:
    return body + bytes(padded_length(len(body)) - len(body))


def _is_unicode_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _checked_kind(kind: str) -> bytes:
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        raise ValueError("a bundle kind is 1 to 32 characters: a lower-case letter, then letters, digits or '-'")
    return kind.encode("ascii")


def _parse_header(raw: bytes) -> dict[str, HeaderValue]:
    try:
        header = json.loads(raw.decode("ascii"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BundleDamaged(reason="its header is not valid JSON") from None
    if not isinstance(header, dict):
        raise BundleDamaged(reason="its header is not a JSON object")
    try:
        canonical = canonical_header(header)
    except (TypeError, ValueError):
        raise BundleDamaged(reason="its header holds values other than text and whole numbers") from None
    if canonical != raw:  # one encoding per header: no duplicate keys, no alternative spellings
        raise BundleDamaged(reason="its header is not in canonical form")
    return header
