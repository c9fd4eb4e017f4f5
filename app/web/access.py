"""Who may open a staff page: ``staff_required(roles)`` on each view, checked against the database each time."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import abort, redirect, request, url_for

from app.staff import sessions
from app.staff.sessions import StaffSession
from app.web import state

COOKIE = "gatehouse_staff"


def current_session() -> StaffSession | None:
    """The live session of this request's cookie, as the database has the account now."""
    return sessions.resume(
        state.state().sessions, request.cookies.get(COOKIE), state.connection(), state.instance().event.id
    )


def staff_required(roles: tuple[str, ...]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Hand the live staff session to the view; send others to the login page, or refuse a wrong role."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            session = current_session()
            if session is None:
                return redirect(url_for("staff.login"))
            if session.role not in roles:
                abort(403)
            return view(session, *args, **kwargs)

        return guarded

    return decorate
