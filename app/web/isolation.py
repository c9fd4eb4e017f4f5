"""An organiser's text set apart from the page's own words only where it may be in another direction."""

from __future__ import annotations

from functools import cache

from flask import Flask
from markupsafe import Markup, escape

from app.events.completeness import missing_texts
from app.events.definition import Event
from app.web import state
from app.web.i18n import current_language


@cache
def _event_speaks(event: Event, language: str) -> bool:
    return not missing_texts(event, (language,))


def isolated(text: str) -> Markup:
    """The text, in <bdi> when the event lacks any text in the page's language: an English text that stands in
    for one would otherwise reorder the Arabic or Persian words around it. Within its own language it needs none,
    and the page saves the bytes."""
    instance = state.state().instance
    if instance is not None and _event_speaks(instance.event, current_language()):
        return escape(text)
    return Markup(f"<bdi>{escape(text)}</bdi>")  # noqa: S704 - escaped


def init_app(app: Flask) -> None:
    app.jinja_env.filters["isolated"] = isolated
