"""The participant's language: chosen with ?lang=, else from Accept-Language; and its direction."""

from __future__ import annotations

from flask import Flask, request, url_for
from flask_babel import Babel, get_locale

# Language codes with their names in their own language, as shown in the language links.
LANGUAGES = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "ru": "Русский",
    "ar": "العربية",
    "fa": "فارسی",
}
# Staff and auditor strings are marked for translation but catalogued in English only so far:
# a staff page never comes out half in one language and half in another.
STAFF_LANGUAGES = {"en": "English"}
STAFF_BLUEPRINTS = frozenset({"staff", "counts"})
RIGHT_TO_LEFT = frozenset({"ar", "fa", "he", "ur"})
DEFAULT_LANGUAGE = "en"


def _offered() -> dict[str, str]:
    return STAFF_LANGUAGES if request.blueprint in STAFF_BLUEPRINTS else LANGUAGES


def select_language() -> str:
    offered = _offered()
    requested = request.args.get("lang", "")
    if requested in offered:
        return requested
    return request.accept_languages.best_match(offered) or DEFAULT_LANGUAGE


def current_language() -> str:
    return str(get_locale() or DEFAULT_LANGUAGE)


def language_links() -> list[tuple[str, str, str]]:
    """(code, own name, address) of each language: this same page where it can be fetched again, else the start."""
    rule = request.url_rule
    same_page = rule is not None and "GET" in (rule.methods or ())
    return [
        (code, name, f"?lang={code}" if same_page else url_for("participant.index", lang=code))
        for code, name in _offered().items()
    ]


def _template_context() -> dict[str, object]:
    language = current_language()
    return {
        "lang": language,
        "dir": "rtl" if language in RIGHT_TO_LEFT else "ltr",
        "language_links": language_links,
    }


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_language, default_locale=DEFAULT_LANGUAGE)
    app.context_processor(_template_context)
