"""The audit log's chain and signed checkpoints, and their verification anywhere, with only a public key.

Each entry's hash covers its content and the previous entry's hash, so changing, removing,
inserting or reordering an entry breaks the chain from there on. A checkpoint is the
instance's Ed25519 signature over (event, entry number, head hash, day): someone who rewrites
the log and recomputes every hash still cannot forge the checkpoints, and entries dropped
from the end show up as a checkpoint that points past the last entry.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

GENESIS_HASH = bytes(32)
_ENTRY_PERSON = b"gh.audit.v1"
_CHECKPOINT_LABEL = b"gatehouse audit checkpoint v1\x00"


@dataclass(frozen=True)
class LogEntry:
    seq: int
    day: str
    actor: str
    action: str
    subject: str
    detail: str  # JSON object, as stored
    reason: str
    previous_hash: bytes
    entry_hash: bytes


@dataclass(frozen=True)
class Checkpoint:
    seq: int  # the entry whose hash is signed: the head of the chain when the checkpoint was made
    day: str
    head_hash: bytes
    signature: bytes


def entry_hash(
    seq: int, day: str, actor: str, action: str, subject: str, detail: str, reason: str, previous: bytes
) -> bytes:
    content = json.dumps([seq, day, actor, action, subject, detail, reason], ensure_ascii=False).encode("utf-8")
    return hashlib.blake2b(previous + content, digest_size=32, person=_ENTRY_PERSON).digest()


def checkpoint_message(event_id: str, seq: int, head_hash: bytes, day: str) -> bytes:
    event = event_id.encode("utf-8")
    day_bytes = day.encode("ascii")
    return b"".join(
        (
            _CHECKPOINT_LABEL,
            struct.pack(">H", len(event)),
            event,
            struct.pack(">Q", seq),
            head_hash,
            struct.pack(">H", len(day_bytes)),
            day_bytes,
        )
    )


def sign_checkpoint(signing_key: SigningKey, event_id: str, seq: int, head_hash: bytes, day: str) -> Checkpoint:
    signature = signing_key.sign(checkpoint_message(event_id, seq, head_hash, day)).signature
    return Checkpoint(seq, day, head_hash, signature)


@dataclass(frozen=True)
class Verification:
    """What an auditor learns from checking a log: whether it holds, and if not, where it first breaks."""

    entries: int
    checkpoints: int
    last_signed_seq: int  # 0 when no checkpoint verified
    problem: str = ""  # empty when everything holds
    first_broken_seq: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problem


def first_broken_link(entries: Iterable[LogEntry]) -> tuple[int, str] | None:
    """(entry number, what is wrong) for the first entry whose chain does not hold, or None."""
    previous, expected_seq = GENESIS_HASH, 1
    for entry in entries:
        if entry.seq != expected_seq:
            return expected_seq, f"entry {expected_seq} is missing or out of place (entry {entry.seq} stands there)"
        if entry.previous_hash != previous:
            return entry.seq, f"entry {entry.seq} does not follow the entry before it"
        recomputed = entry_hash(
            entry.seq, entry.day, entry.actor, entry.action, entry.subject, entry.detail, entry.reason, previous
        )
        if entry.entry_hash != recomputed:
            return entry.seq, f"entry {entry.seq} was changed after it was written"
        previous, expected_seq = entry.entry_hash, expected_seq + 1
    return None


def verify_log(
    event_id: str,
    entries: Sequence[LogEntry],
    checkpoints: Sequence[Checkpoint],
    public_key: bytes,
    head_signed: bool = True,
) -> Verification:
    """Check every link and every checkpoint signature; report the first problem, naming the entry.

    An export is signed at its head when it is written, so by default entries after the last
    checkpoint are a problem (appended later); a live log may have some since the last daily signing.
    """
    count = len(entries)
    broken = first_broken_link(entries)
    if broken is not None:
        return Verification(count, len(checkpoints), 0, broken[1], broken[0])
    try:
        verify_key = VerifyKey(public_key)
    except (ValueError, TypeError):
        return Verification(count, len(checkpoints), 0, "the public key is not an Ed25519 public key")

    by_seq = {entry.seq: entry for entry in entries}
    last_signed = 0
    for checkpoint in sorted(checkpoints, key=lambda c: c.seq):
        try:
            verify_key.verify(
                checkpoint_message(event_id, checkpoint.seq, checkpoint.head_hash, checkpoint.day), checkpoint.signature
            )
        except (BadSignatureError, ValueError, TypeError):
            return Verification(
                count,
                len(checkpoints),
                last_signed,
                f"the checkpoint at entry {checkpoint.seq} is not signed by this key, or was changed",
                checkpoint.seq,
            )
        entry = by_seq.get(checkpoint.seq)
        if entry is None:
            return Verification(
                count,
                len(checkpoints),
                last_signed,
                f"entries are missing at the end: a signed checkpoint covers entry {checkpoint.seq},"
                f" but the log ends at entry {count}",
                count + 1,
            )
        if entry.entry_hash != checkpoint.head_hash:
            return Verification(
                count,
                len(checkpoints),
                last_signed,
                f"the log was rewritten at or before entry {checkpoint.seq}: its hash differs from the signed"
                f" checkpoint (entries after the checkpoint at entry {last_signed} may have been changed)",
                last_signed + 1,
            )
        last_signed = checkpoint.seq
    if head_signed and last_signed < count:
        return Verification(
            count,
            len(checkpoints),
            last_signed,
            f"entries {last_signed + 1} to {count} are not covered by any signed checkpoint: they were added"
            " after the export was signed",
            last_signed + 1,
        )
    return Verification(count, len(checkpoints), last_signed)
