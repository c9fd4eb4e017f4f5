"""The languages every page is offered in, each by its own name, which read right to left, and the one asked for."""

from __future__ import annotations

from flask import request

# Language codes with their names in their own language, as shown in the language links.
LANGUAGES = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "ru": "Русский",
    "ar": "العربية",
    "fa": "فارسی",
}
RIGHT_TO_LEFT = frozenset({"ar", "fa", "he", "ur"})
DEFAULT_LANGUAGE = "en"


def asked_language() -> str | None:
    """The language this request's ?lang= names, if it is one offered; None otherwise."""
    asked = request.args.get("lang", "")
    return asked if asked in LANGUAGES else None
