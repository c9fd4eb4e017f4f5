"""Reading a running process's memory as someone who seized the machine would: every readable mapping.

Root (or the process's own parent) reads /proc/PID/mem at the addresses /proc/PID/maps lists.
The process is stopped while it is read, so the copy is one moment's memory, as a forensic
memory image of a seized server would be.
"""

from __future__ import annotations

import os
import re
import signal
from dataclasses import dataclass

# Kernel-provided pages that hold no process data and refuse to be read.
_SKIPPED = ("[vvar]", "[vvar_vclock]", "[vsyscall]")


@dataclass(frozen=True)
class MemoryImage:
    data: bytes
    regions: int

    def holds(self, secret: bytes) -> bool:
        return secret in self.data

    def offset_of(self, secret: bytes) -> int:
        return self.data.index(secret)


def read_process_memory(pid: int) -> MemoryImage:
    chunks = []
    os.kill(pid, signal.SIGSTOP)
    try:
        with open(f"/proc/{pid}/maps", encoding="ascii") as maps, open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
            for line in maps:
                fields = line.split()
                start, end = (int(address, 16) for address in fields[0].split("-"))
                name = fields[5] if len(fields) > 5 else ""
                if not fields[1].startswith("r") or name in _SKIPPED:
                    continue
                mem.seek(start)
                try:
                    chunks.append(mem.read(end - start))
                except OSError:
                    continue  # a guard page or a mapping that vanished: nothing there to read
    finally:
        os.kill(pid, signal.SIGCONT)
    return MemoryImage(b"\0".join(chunks), len(chunks))


def x25519_forms(private_key: bytes) -> list[bytes]:
    """A private key as stored, and clamped as X25519 uses it: either one computes the same shared secrets."""
    clamped = bytearray(private_key)
    clamped[0] &= 248
    clamped[31] = (clamped[31] & 127) | 64
    return [private_key, bytes(clamped)]


def text_forms(text: str) -> list[bytes]:
    """A string as it may sit in memory: UTF-8 or Latin-1, CPython's 2- and 4-byte forms, form-encoded."""
    return [
        text.encode("utf-8"),
        text.encode("utf-16-le"),
        text.encode("utf-32-le"),
        text.replace(" ", "+").encode("utf-8"),
    ]


def canaries_found(data: bytes, prefix: str, rest: str, rest_length: int) -> set[tuple[str, ...]]:
    """Every canary ``prefix`` followed by ``rest_length`` characters matching ``rest`` (a regex with groups),
    in the one-, two- and four-byte forms CPython keeps strings in."""
    found: set[tuple[str, ...]] = set()
    tail = re.compile(rest)
    for encoding, width in (("latin-1", 1), ("utf-16-le", 2), ("utf-32-le", 4)):
        start = prefix.encode(encoding)
        position = data.find(start)
        while position != -1:
            after = position + len(start)
            match = tail.fullmatch(data[after : after + rest_length * width].decode(encoding, "replace"))
            if match:
                found.add(match.groups())
            position = data.find(start, position + 1)
    return found
