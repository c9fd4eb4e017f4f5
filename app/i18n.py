"""The participant's language: chosen with ?lang=, else from Accept-Language; and its direction."""

from __future__ import annotations

from flask import Flask, request
from flask_babel import Babel, get_locale

# Language codes with their names in their own language, as shown in the language links.
LANGUAGES = {"en": "English"}
RIGHT_TO_LEFT = frozenset({"ar", "fa", "he", "ur"})
DEFAULT_LANGUAGE = "en"


def select_language() -> str:
    requested = request.args.get("lang", "")
    if requested in LANGUAGES:
        return requested
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def current_language() -> str:
    return str(get_locale() or DEFAULT_LANGUAGE)


def _template_context() -> dict[str, object]:
    language = current_language()
    return {
        "lang": language,
        "dir": "rtl" if language in RIGHT_TO_LEFT else "ltr",
        "languages": LANGUAGES,
    }


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_language, default_locale=DEFAULT_LANGUAGE)
    app.context_processor(_template_context)
