"""Days, never times: the only resolution at which Gatehouse records when something happened."""

from __future__ import annotations

import datetime


def today() -> str:
    """Today's date in UTC, as YYYY-MM-DD."""
    return datetime.datetime.now(datetime.UTC).date().isoformat()
