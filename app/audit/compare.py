"""An export checked against what an auditor kept from an earlier visit: that export, or a head code on paper.

Whoever holds the instance's signing key can rewrite the whole log and sign it again, and such an export
verifies on its own. What they cannot do is change what the auditor already holds: these checks name the
first entry where a new export departs from it.
"""

from __future__ import annotations

from app.audit.bundle import AuditExport
from app.common.errors import GatehouseError
from crypto import log_chain
from crypto.log_chain import Divergence, HeadCode


class HeadCodeMalformed(GatehouseError, ValueError):
    """The text given is not a head code as the auditor page shows it; the message says why."""


class DifferentLogs(GatehouseError):
    """The two exports are of different events, so one cannot extend the other."""


def parse_head_code(text: str) -> HeadCode:
    """A head code as copied from /staff/audit or `gatehouse audit verify`; HeadCodeMalformed with the reason."""
    try:
        return log_chain.parse_head_code(text)
    except log_chain.MalformedHeadCode as error:
        raise HeadCodeMalformed(f"{error}.") from None


def divergence(earlier: AuditExport, later: AuditExport) -> Divergence | None:
    """None if ``later`` extends ``earlier`` (entries and checkpoints), else the first divergence.

    Both must have verified with the auditor's key: an export that does not is refused before this.
    """
    if not (earlier.verification.ok and later.verification.ok):
        raise ValueError("compare two exports only once each has verified")
    if earlier.event_id != later.event_id:
        raise DifferentLogs(
            f"the earlier export is the log of {earlier.event_id} and this one of {later.event_id}:"
            " one cannot extend the other."
        )
    return log_chain.first_divergence(earlier.entries, earlier.checkpoints, later.entries, later.checkpoints)


def missing_head(export: AuditExport, code: HeadCode) -> str | None:
    """None if the (verified) export holds the head the code was copied from, else why not."""
    if not export.verification.ok:
        raise ValueError("look for a head only in an export that has verified")
    return log_chain.find_head(export.entries, code)
