"""Reading a stolen SQLCipher file the way a thief holding its key would: every page decrypted, free ones too.

SQLite's own reader shows only live rows. Someone who wants deleted values reads the pages
directly: the database file page by page, and every frame of the WAL, including pages on the
free list and older versions of pages that the WAL still carries. With a raw 32-byte key
(`PRAGMA key = "x'…'"`), SQLCipher 4 encrypts each page with AES-256-CBC under that key and
a random IV kept in the page's reserved tail (IV 16 bytes, then an HMAC-SHA512 of 64 bytes);
the first page starts with the file's 16-byte salt in the clear.
"""

from __future__ import annotations

import sys
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PAGE_SIZE = 4096
RESERVED = 16 + 64  # IV, then HMAC-SHA512
SALT = 16
WAL_HEADER = 32
WAL_FRAME_HEADER = 24


def decrypt_page(page: bytes, number: int, database_key: bytes) -> bytes:
    """The plaintext of one encrypted page (page 1 without its salt)."""
    start = SALT if number == 1 else 0
    iv = page[PAGE_SIZE - RESERVED : PAGE_SIZE - RESERVED + 16]
    decryptor = Cipher(algorithms.AES(database_key), modes.CBC(iv)).decryptor()
    return decryptor.update(page[start : PAGE_SIZE - RESERVED]) + decryptor.finalize()


def database_pages(path: Path, database_key: bytes) -> list[bytes]:
    raw = path.read_bytes()
    return [
        decrypt_page(raw[offset : offset + PAGE_SIZE], offset // PAGE_SIZE + 1, database_key)
        for offset in range(0, len(raw) - PAGE_SIZE + 1, PAGE_SIZE)
    ]


def wal_pages(path: Path, database_key: bytes) -> list[bytes]:
    """Every frame the WAL file holds, whether or not SQLite would still read it."""
    if not path.exists():
        return []
    raw = path.read_bytes()
    pages = []
    frame = WAL_FRAME_HEADER + PAGE_SIZE
    for offset in range(WAL_HEADER, len(raw) - frame + 1, frame):
        number = int.from_bytes(raw[offset : offset + 4], "big")
        page = raw[offset + WAL_FRAME_HEADER : offset + frame]
        pages.append(decrypt_page(page, number, database_key))
    return pages


def every_page_decrypted(database: Path, database_key: bytes) -> bytes:
    """The database file and its WAL, every page decrypted and joined: all a key holder can read, live or not."""
    wal = database.with_name(database.name + "-wal")
    return b"".join(database_pages(database, database_key) + wal_pages(wal, database_key))


def values_still_in(values: list[bytes], data: bytes) -> list[bytes]:
    """Those values of which some 16-byte stretch, at any offset, is somewhere in ``data``; fast on megabytes.

    Every 8-byte window of every value, at every offset, is indexed; ``data`` is read 8 bytes at a time at
    aligned places, one of which any 16-byte stretch covers whole; each hit is then checked on the bytes around it.
    """
    owners: dict[int, list[int]] = {}
    for number, value in enumerate(values):
        for start in range(len(value) - 7):
            owners.setdefault(int.from_bytes(value[start : start + 8], sys.byteorder), []).append(number)
    found: set[int] = set()
    for place, word in enumerate(memoryview(data[: len(data) // 8 * 8]).cast("Q")):
        for number in owners.get(word, ()):
            around = data[max(0, place * 8 - 16) : place * 8 + 24]
            value = values[number]
            if number not in found and any(value[i : i + 16] in around for i in range(len(value) - 15)):
                found.add(number)
    return [values[number] for number in sorted(found)]
