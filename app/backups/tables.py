"""An instance's tables as a backup carries them: each table named with its columns, each row as bytes.

A row is its values in column order, each a tag byte then the value, in SQLite's own storage classes:
``00`` NULL; ``01`` INTEGER, 8 bytes signed big-endian; ``02`` REAL, 8 bytes IEEE 754 big-endian;
``03`` TEXT, u32 length then UTF-8; ``04`` BLOB, u32 length then the bytes. offline_bundle/FORMAT.md
(the ``backup`` kind) specifies it with the rest of the backup.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.storage.connection import Connection

NULL, INTEGER, REAL, TEXT, BLOB = range(5)
# Not carried as a table: a restored instance gets these from the backup's document (app.backups.backup).
NOT_CARRIED = frozenset({"restored_secrets", "scrub_pending"})

Value = None | int | float | str | bytes


class RowMalformed(ValueError):
    """Bytes that are not a row as this module writes one."""


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    rows: int


def carried_tables(connection: Connection) -> list[Table]:
    """Every table of the database a backup carries, by name, with its columns and how many rows it holds."""
    names = [
        name
        for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name"
        )
        if name not in NOT_CARRIED
    ]
    return [
        Table(name, columns_of(connection, name), connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])  # noqa: S608 (names from sqlite_master)
        for name in names
    ]


def columns_of(connection: Connection, table: str) -> tuple[str, ...]:
    return tuple(row[1] for row in connection.execute(f'PRAGMA table_info("{table}")'))


def encoded_rows(connection: Connection, table: Table) -> list[bytes]:
    columns = ", ".join(f'"{column}"' for column in table.columns)
    return [encode_row(row) for row in connection.execute(f'SELECT {columns} FROM "{table.name}"')]  # noqa: S608


def insert(connection: Connection, table: Table, rows: Iterable[Sequence[Value]]) -> None:
    """Inside the caller's transaction; the table and its columns must be ones check_schema accepted."""
    columns = ", ".join(f'"{column}"' for column in table.columns)
    marks = ", ".join("?" * len(table.columns))
    connection.executemany(f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})', rows)  # noqa: S608


def schema_matches(connection: Connection, tables: Sequence[Table]) -> bool:
    """Whether the database holds exactly these tables with these columns (names checked before any SQL uses them)."""
    here = {table.name: table.columns for table in carried_tables(connection)}
    return here == {table.name: table.columns for table in tables}


def encode_row(values: Sequence[Value]) -> bytes:
    encoded = bytearray()
    for value in values:
        if value is None:
            encoded.append(NULL)
        elif isinstance(value, bool):
            raise TypeError("SQLite has no boolean values")
        elif isinstance(value, int):
            encoded.append(INTEGER)
            encoded += value.to_bytes(8, "big", signed=True)
        elif isinstance(value, float):
            encoded.append(REAL)
            encoded += struct.pack(">d", value)
        elif isinstance(value, str | bytes):
            data = value.encode("utf-8") if isinstance(value, str) else value
            encoded.append(TEXT if isinstance(value, str) else BLOB)
            encoded += len(data).to_bytes(4, "big") + data
        else:
            raise TypeError(f"a database value cannot be {type(value).__name__}")
    return bytes(encoded)


def decode_row(data: bytes, column_count: int) -> tuple[Value, ...]:
    """The values of one row of ``column_count`` columns; RowMalformed for anything else, trailing bytes included."""
    values: list[Value] = []
    at = 0
    try:
        for _ in range(column_count):
            tag, at = data[at], at + 1
            if tag == NULL:
                values.append(None)
            elif tag in (INTEGER, REAL):
                if at + 8 > len(data):
                    raise RowMalformed("a number runs past the end of its row")
                chunk, at = data[at : at + 8], at + 8
                values.append(
                    int.from_bytes(chunk, "big", signed=True) if tag == INTEGER else struct.unpack(">d", chunk)[0]
                )
            elif tag in (TEXT, BLOB):
                if at + 4 > len(data):
                    raise RowMalformed("a value's length runs past the end of its row")
                length, at = int.from_bytes(data[at : at + 4], "big"), at + 4
                if at + length > len(data):
                    raise RowMalformed("a value runs past the end of its row")
                chunk, at = data[at : at + length], at + length
                values.append(chunk.decode("utf-8") if tag == TEXT else bytes(chunk))
            else:
                raise RowMalformed(f"a value has the unknown tag {tag}")
    except IndexError:
        raise RowMalformed("a row ends before its last column") from None
    except UnicodeDecodeError:
        raise RowMalformed("a text value is not UTF-8") from None
    if at != len(data):
        raise RowMalformed("a row has bytes after its last column")
    return tuple(values)
