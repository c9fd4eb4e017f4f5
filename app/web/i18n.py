"""The page's language and direction: ?lang=, else (staff) the one kept in the session, else Accept-Language."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, current_app, request, url_for
from flask_babel import Babel, get_locale
from werkzeug.exceptions import HTTPException

from app.staff.sessions import StaffSession
from app.web import access, state
from app.web.languages import DEFAULT_LANGUAGE, LANGUAGES, RIGHT_TO_LEFT, asked_language

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "RIGHT_TO_LEFT", "current_language", "init_app", "select_language"]


def select_language() -> str:
    asked = asked_language()
    if asked:
        return asked
    session = _staff_session()
    if session is not None and session.language in LANGUAGES:
        return session.language
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def _staff_session() -> StaffSession | None:
    """The session of a staff page's request; None elsewhere, before set-up and once the service is closed."""
    web = state.state()
    if not access.is_staff_page() or web.instance is None or web.closed:
        return None
    return access.current_session()


def _settle_staff_language() -> None:
    """On a staff page, keep a ?lang= in the session for the pages that follow, and fix this request's language
    now, while the session lives: a logout or a wipe ends it before the page is drawn."""
    if not access.is_staff_page():
        return
    session, asked = _staff_session(), asked_language()
    if session is not None and asked:
        session.language = asked
    get_locale()


def current_language() -> str:
    return str(get_locale() or DEFAULT_LANGUAGE)


def _this_page_again() -> str | None:
    """The path that shows this page again with a GET: the page itself, or, after a staff form that can only be
    posted (/staff/registrations/ID/open), the page the form is on. None where there is none."""
    rule = request.url_rule
    if rule is not None and "GET" in (rule.methods or ()):
        return request.path
    if rule is None or not access.is_staff_page():
        return None
    parent = request.path.rsplit("/", 1)[0]
    try:
        current_app.url_map.bind("").match(parent, method="GET")
    except HTTPException:  # no such page, or not one to GET
        return None
    return parent


def language_links() -> list[tuple[str, str, str, str]]:
    """(code, own name, direction, address) of each language, always in the order of LANGUAGES: this same page,
    with the rest of its query, where it can be fetched again; else the start page (a participant's) or the login
    page (staff's). The direction isolates each name, so that "العربية" and "فارسی" side by side never swap places."""
    again = _this_page_again()
    links = []
    for code, name in LANGUAGES.items():
        if again is None:
            address = url_for("staff.login" if access.is_staff_page() else "participant.index", lang=code)
        else:
            query = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
            address = ("" if again == request.path else again) + "?" + urlencode([*query, ("lang", code)])
        links.append((code, name, "rtl" if code in RIGHT_TO_LEFT else "ltr", address))
    return links


def _template_context() -> dict[str, object]:
    language = current_language()
    return {
        "lang": language,
        "dir": "rtl" if language in RIGHT_TO_LEFT else "ltr",
        "language_links": language_links,
        "staff_page": access.is_staff_page(),
    }


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_language, default_locale=DEFAULT_LANGUAGE)
    app.before_request(_settle_staff_language)
    app.context_processor(_template_context)
