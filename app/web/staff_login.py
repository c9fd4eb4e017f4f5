"""What the login page and the wipe's re-check say when a login limit answers instead of the passphrase."""

from __future__ import annotations

from flask_babel import gettext as _

from app.staff.login_limits import CodeChecksPaused

# Sent with a 503 "busy": a moment, about as long as a few logins take to check.
BUSY_RETRY_AFTER_SECONDS = 5


def busy_message() -> str:
    return _("Many people are logging in right now. Please try again in a moment.")


def busy_headers() -> dict[str, str]:
    return {"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)}


def paused_message(paused: CodeChecksPaused) -> str:
    return _(
        "Too many wrong codes were given for this account. Wait %(minutes)d min, then try again.",
        minutes=paused.minutes_to_wait,
    )
