"""Who may open a staff page: ``staff_required(roles)`` on each view, checked against the database each time."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import abort, g, redirect, request, url_for

from app.staff import sessions
from app.staff.sessions import StaffSession
from app.web import state
from app.web.languages import asked_language

COOKIE = "gatehouse_staff"


def is_staff_page() -> bool:
    """Whether this request is for a staff page: every address under /staff, whichever blueprint serves it, and
    the auditor's short /audit. The one test of it: it decides the staff language, footer and stylesheet."""
    return request.path.startswith("/staff/") or request.path in ("/staff", "/audit")


def current_session() -> StaffSession | None:
    """The live session of this request's cookie, as the database has the account now; resumed once a request."""
    if "staff_session" not in g:
        token = request.cookies.get(COOKIE)  # none: no session, and no need to open the database to say so
        g.staff_session = (
            sessions.resume(state.state().sessions, token, state.connection(), state.instance().event.id)
            if token
            else None
        )
    found: StaffSession | None = g.staff_session
    return found


def staff_required(roles: tuple[str, ...]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Hand the live staff session to the view; send others to the login page, or refuse a wrong role."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            session = current_session()
            if session is None:
                return redirect(url_for("staff.login", lang=asked_language()))
            if session.role not in roles:
                abort(403)
            return view(session, *args, **kwargs)

        return guarded

    return decorate
