"""The audit log's chain and signed checkpoints, and their verification anywhere, with only a public key.

Each entry's hash covers its content and the previous entry's hash, so changing, removing,
inserting or reordering an entry breaks the chain from there on. A checkpoint is the
instance's Ed25519 signature over (event, entry number, head hash, day): someone who rewrites
the log and recomputes every hash still cannot forge the checkpoints, and entries dropped
from the end show up as a checkpoint that points past the last entry.

Whoever holds the signing key can rewrite the log and sign it all again. Against them an auditor
keeps what they saw: an earlier export (``first_divergence`` names the first entry a later export
does not carry unchanged) or a head code copied on paper (``head_code``, ``find_head``).
"""

from __future__ import annotations

import hashlib
import json
import re
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
    last_signed_hash: bytes = b""  # the head hash of the checkpoint at last_signed_seq

    @property
    def ok(self) -> bool:
        return not self.problem

    def prefix(self) -> VerifiedPrefix | None:
        """Where the next verification of this same log may start: None unless it holds and is signed somewhere."""
        if not self.ok or not self.last_signed_seq:
            return None
        return VerifiedPrefix(self.last_signed_seq, self.last_signed_hash, self.checkpoints)

    @property
    def head_code(self) -> str | None:
        """The code of the last signed checkpoint, for an auditor to copy; None unless the whole log holds."""
        return head_code(self.last_signed_seq, self.last_signed_hash) if self.ok and self.last_signed_seq else None


@dataclass(frozen=True)
class VerifiedPrefix:
    """A log found to hold up to a signed checkpoint: where a later verification of the same log may start."""

    seq: int  # the entry the last verified checkpoint covers
    entry_hash: bytes
    checkpoints: int  # how many checkpoints cover entries up to seq, every one verified


def first_broken_link(entries: Iterable[LogEntry], since: VerifiedPrefix | None = None) -> tuple[int, str] | None:
    """(entry number, what is wrong) for the first entry whose chain does not hold, or None; ``since``: the
    entries given follow a prefix already verified."""
    previous, expected_seq = (since.entry_hash, since.seq + 1) if since else (GENESIS_HASH, 1)
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
    since: VerifiedPrefix | None = None,
) -> Verification:
    """Check every link and every checkpoint signature; report the first problem, naming the entry.

    An export is signed at its head when it is written, so by default entries after the last
    checkpoint are a problem (appended later); a live log may have some since the last daily signing.
    With ``since``, ``entries`` and ``checkpoints`` are those after a prefix verified before, and only they
    are checked; the counts reported are the whole log's.
    """
    count = len(entries) + (since.seq if since else 0)
    checkpoint_count = len(checkpoints) + (since.checkpoints if since else 0)
    last_signed, last_signed_hash = (since.seq, since.entry_hash) if since else (0, b"")
    broken = first_broken_link(entries, since)
    if broken is not None:
        return Verification(count, checkpoint_count, last_signed, broken[1], broken[0])
    try:
        verify_key = VerifyKey(public_key)
    except (ValueError, TypeError):
        return Verification(count, checkpoint_count, last_signed, "the public key is not an Ed25519 public key")

    by_seq = {entry.seq: entry for entry in entries}
    for checkpoint in sorted(checkpoints, key=lambda c: c.seq):
        try:
            verify_key.verify(
                checkpoint_message(event_id, checkpoint.seq, checkpoint.head_hash, checkpoint.day), checkpoint.signature
            )
        except (BadSignatureError, ValueError, TypeError):
            return Verification(
                count,
                checkpoint_count,
                last_signed,
                f"the checkpoint at entry {checkpoint.seq} is not signed by this key, or was changed",
                checkpoint.seq,
            )
        entry = by_seq.get(checkpoint.seq)
        if entry is None:
            return Verification(
                count,
                checkpoint_count,
                last_signed,
                f"entries are missing at the end: a signed checkpoint covers entry {checkpoint.seq},"
                f" but the log ends at entry {count}",
                count + 1,
            )
        if entry.entry_hash != checkpoint.head_hash:
            return Verification(
                count,
                checkpoint_count,
                last_signed,
                f"the log was rewritten at or before entry {checkpoint.seq}: its hash differs from the signed"
                f" checkpoint (entries after the checkpoint at entry {last_signed} may have been changed)",
                last_signed + 1,
            )
        last_signed, last_signed_hash = checkpoint.seq, checkpoint.head_hash
    if head_signed and last_signed < count:
        return Verification(
            count,
            checkpoint_count,
            last_signed,
            f"entries {last_signed + 1} to {count} are not covered by any signed checkpoint: they were added"
            " after the export was signed",
            last_signed + 1,
        )
    return Verification(count, checkpoint_count, last_signed, last_signed_hash=last_signed_hash)


# What an auditor keeps between two visits, against someone who holds the signing key and can rewrite and
# re-sign the whole log: an earlier export, or the head code of the last checkpoint copied on paper.


@dataclass(frozen=True)
class Divergence:
    """Where a later log stops carrying an earlier one: the first entry concerned, and what is wrong there."""

    seq: int
    problem: str


def first_divergence(
    earlier_entries: Sequence[LogEntry],
    earlier_checkpoints: Sequence[Checkpoint],
    later_entries: Sequence[LogEntry],
    later_checkpoints: Sequence[Checkpoint],
) -> Divergence | None:
    """None if the later log extends the earlier one, else the first divergence; both must verify first.

    Extending means every earlier entry is there unchanged at its number (so in the same order, none
    removed or inserted), and the checkpoints up to the earlier log's end are the same ones: re-signing
    them is what someone rewriting history with the instance's key must do.
    """
    found: list[Divergence] = []
    for earlier, later in zip(earlier_entries, later_entries, strict=False):  # a shorter later log: see below
        if earlier != later:
            found.append(
                Divergence(
                    earlier.seq,
                    f"entry {earlier.seq} differs from entry {earlier.seq} of the earlier export (it was changed,"
                    " or entries were removed, inserted or moved there)",
                )
            )
            break
    else:
        if len(later_entries) < len(earlier_entries):
            end = len(later_entries)
            found.append(
                Divergence(
                    end + 1,
                    f"entries {end + 1} to {len(earlier_entries)} of the earlier export are missing: this export"
                    f" ends at entry {end} (if it is the older of the two, give them the other way round)",
                )
            )
    end = len(earlier_entries)
    earlier_signed = {c.seq: c for c in earlier_checkpoints if c.seq <= end}
    later_signed = {c.seq: c for c in later_checkpoints if c.seq <= end}
    for seq in sorted(earlier_signed.keys() | later_signed.keys()):
        earlier_checkpoint, later_checkpoint = earlier_signed.get(seq), later_signed.get(seq)
        if later_checkpoint is None:
            problem = f"the checkpoint at entry {seq} of the earlier export is missing from this one"
        elif earlier_checkpoint is None:
            problem = (
                f"this export has a checkpoint at entry {seq} that the earlier export did not: it was signed later"
            )
        elif earlier_checkpoint != later_checkpoint:  # Ed25519 is deterministic: the same checkpoint, same bytes
            problem = f"the checkpoint at entry {seq} is not the one the earlier export holds: it was signed again"
        else:
            continue
        found.append(Divergence(seq, problem))
        break
    return min(found, key=lambda divergence: divergence.seq, default=None)


# A head code: "1234-9T2QF-CC19J-11EYR-0VN9H-99TPE", the entry number of a checkpoint, then the first
# 120 bits of its head hash as 24 characters of Crockford's base32 and one check character, in groups of
# five. To keep the code with a rewritten log, someone holding the signing key must find another log whose
# entry at that number has a hash beginning with those 120 bits: a second-preimage search of about 2**120
# BLAKE2b evaluations whatever they vary. The check character (Damm's algorithm over the number and the hash
# characters) catches a character miscopied on paper, so that a slip is not taken for a rewritten log.

HEAD_CODE_HASH_CHARACTERS = 24
HEAD_CODE_BITS = HEAD_CODE_HASH_CHARACTERS * 5
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {character: value for value, character in enumerate(_CROCKFORD)}
_READ_AS = str.maketrans("ILO", "110")  # Crockford: I and L are read as 1, O as 0
_GROUP = 5
_NUMBER_THEN_REST = re.compile(r"\A([0-9]{1,19})[\s-]+(.+)\Z", re.ASCII | re.DOTALL)


class MalformedHeadCode(ValueError):
    """Text that is not a head code as the auditor page shows it; the message says why, in one sentence."""


@dataclass(frozen=True)
class HeadCode:
    """A head code read back: the checkpoint's entry number and the first HEAD_CODE_BITS of its hash."""

    seq: int
    hash_prefix: bytes

    def __str__(self) -> str:
        return head_code(self.seq, self.hash_prefix)


def head_code(seq: int, head_hash: bytes) -> str:
    """The code a person copies for the entry ``seq`` whose hash is ``head_hash``."""
    number = int.from_bytes(head_hash[: HEAD_CODE_BITS // 8], "big")
    characters = [(number >> (5 * shift)) & 31 for shift in reversed(range(HEAD_CODE_HASH_CHARACTERS))]
    characters.append(_check_value([*map(int, str(seq)), *characters]))
    text = "".join(_CROCKFORD[value] for value in characters)
    return "-".join([str(seq), *(text[start : start + _GROUP] for start in range(0, len(text), _GROUP))])


def parse_head_code(text: str) -> HeadCode:
    """Read a code as copied: any case, I and L for 1, O for 0, hyphens and spaces anywhere after the number."""
    matched = _NUMBER_THEN_REST.match(text.strip())
    if matched is None:
        raise MalformedHeadCode(
            f"a head code is an entry number, a hyphen and {HEAD_CODE_HASH_CHARACTERS + 1} characters,"
            " as the auditor page shows it"
        )
    seq_text, rest = matched.groups()
    written = "".join(rest.split()).replace("-", "")
    characters = written.upper().translate(_READ_AS)
    # ASCII only, checked as written: upper() turns some other letters into code letters ("ı" into I, so 1).
    if not written.isascii() or any(character not in _VALUE for character in characters):
        raise MalformedHeadCode("a head code holds only digits and the letters A to Z except U")
    if len(characters) != HEAD_CODE_HASH_CHARACTERS + 1:
        raise MalformedHeadCode(
            f"a head code has {HEAD_CODE_HASH_CHARACTERS + 1} characters after the entry number; this one has"
            f" {len(characters)}"
        )
    values = [_VALUE[character] for character in characters]
    if _check_value([*map(int, seq_text), *values[:-1]]) != values[-1]:
        raise MalformedHeadCode("this head code does not add up: a character was copied wrong, so compare it again")
    seq = int(seq_text)
    if seq < 1:
        raise MalformedHeadCode("a head code's entry number starts at 1")
    number = 0
    for value in values[:-1]:
        number = number << 5 | value
    return HeadCode(seq, number.to_bytes(HEAD_CODE_BITS // 8, "big"))


def find_head(entries: Sequence[LogEntry], code: HeadCode) -> str | None:
    """None if the (verified) log holds the head the code was copied from, else why not, naming the entry."""
    if code.seq > len(entries):
        return (
            f"this export ends at entry {len(entries)}, before entry {code.seq} of the head code: entries were"
            " removed from the end, or the export is older than the code"
        )
    if entries[code.seq - 1].entry_hash[: len(code.hash_prefix)] != code.hash_prefix:
        return (
            f"entry {code.seq} differs from the entry the code was copied from (the log was rewritten at or"
            f" before entry {code.seq}, or the code is of another log)"
        )
    return None


def _check_value(values: Sequence[int]) -> int:
    """Damm's check over GF(32), x∘y = 2x + y: catches any one character changed and any two neighbours swapped."""
    interim = 0
    for value in values:
        interim = _times_two(interim) ^ value
    return _times_two(interim)  # the value that brings the whole code, check included, back to 0


def _times_two(value: int) -> int:
    """Doubling in GF(32), modulo the irreducible x**5 + x**2 + 1."""
    value <<= 1
    return value ^ 0b100101 if value & 0b100000 else value
