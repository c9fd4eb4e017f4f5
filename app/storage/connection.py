"""What a database connection offers the services, as a type: SQL statements, and the clock it records days by.

The connection itself is a SQLCipher connection opened by app.storage.db; this module only names its
shape, so that every annotation means something to mypy and front-ends can name the type without
importing the module that opens the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

from app.common.clock import Clock


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    clock: Clock

    def execute(self, sql: str, parameters: Sequence[object] = ..., /) -> Cursor: ...

    def executemany(self, sql: str, parameters: Iterable[Sequence[object]], /) -> Cursor: ...

    def executescript(self, script: str, /) -> Cursor: ...

    def close(self) -> None: ...
