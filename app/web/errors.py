"""The one place that turns errors into pages: a clear sentence, in the person's language, never a traceback."""

from __future__ import annotations

import logging
import traceback

from flask import Flask, render_template
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError

from app.web.state import state

log = logging.getLogger("gatehouse")


def _message(status: int) -> str:
    messages = {
        400: _("The request could not be understood. Please go back and try again."),
        403: _("You may not open this page."),
        404: _("There is no page at this address."),
        405: _("This page cannot be used that way. Please go back and try again."),
        413: _("What you sent is far too large. Please shorten your answers and send the form again."),
        429: _("Too many attempts. Please wait a minute and try again."),
        503: _(
            "This Gatehouse is not set up yet. Its administrator needs to run 'gatehouse demo' or 'gatehouse init'."
        ),
    }
    if status == 503 and state().closed:
        return _("This service is closed. Nothing more can be sent or read here.")
    return messages.get(
        status, _("Something went wrong on our side. Please go back and send the form again: it is never stored twice.")
    )


def _render(status: int) -> tuple[str, int]:
    return render_template("error.html", status=status, message=_message(status)), status


def _http_error(error: HTTPException) -> tuple[str, int]:
    return _render(error.code or 500)


def _unexpected_error(error: Exception) -> tuple[str, int]:
    # Only the type and where it happened: an exception's message may hold what a person typed.
    frames = traceback.extract_tb(error.__traceback__)
    where = " <- ".join(f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" for frame in reversed(frames))
    log.error("unexpected %s at %s", type(error).__name__, where)
    return _render(InternalServerError.code)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
