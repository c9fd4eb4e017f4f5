"""The one place that sets security headers, on every response the application sends."""

from __future__ import annotations

import base64
import hashlib
from importlib import resources
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, Response, request
from markupsafe import Markup
from werkzeug.urls import iri_to_uri

from app.web import access
from app.web.state import state

# The pages' only styles, inlined so that a page loads in one request, and allowed by their hashes. Staff and
# auditor pages add their own after the shared one, so that no participant page carries their weight.


def _style(name: str) -> Markup:
    """Our stylesheet, inlined: one rule a line in the file, one line on the wire (a participant page has 12 KB)."""
    return Markup(resources.files("app.web").joinpath(name).read_text("utf-8").replace("\n", ""))  # noqa: S704


INLINE_STYLE = _style("style.css")
STAFF_STYLE = _style("staff.css")


def _hash(style: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode("ascii") + "'"


def _policy(*styles: str) -> str:
    # No script source at all: nothing on any page may run code in the participant's browser.
    return "; ".join(
        (
            "default-src 'none'",
            "style-src " + " ".join(_hash(style) for style in styles),
            "img-src data:",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        )
    )


CONTENT_SECURITY_POLICY = _policy(INLINE_STYLE)
STAFF_CONTENT_SECURITY_POLICY = _policy(INLINE_STYLE, STAFF_STYLE)


SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    # Every page may hold personal values or a codename: nothing is kept by browsers or proxies.
    "Cache-Control": "no-store, max-age=0",
    "Pragma": "no-cache",
}


def _request_host() -> str:
    return request.host.split(":")[0].lower()


def _onion_location() -> str | None:
    """Where this page is on the onion address, for a visitor who came by the clear address; else None."""
    hostname = state().onion.hostname()
    if hostname is None or _request_host() == hostname:
        return None
    query = request.query_string.decode("latin-1")
    return f"http://{hostname}{iri_to_uri(request.script_root + request.path)}{'?' + query if query else ''}"


def _relative_location(location: str) -> str:
    """A redirect written as a path, so that no page names the address it was reached by (onion or clear)."""
    parts = urlsplit(location)
    if parts.netloc and parts.netloc.lower() == request.host.lower():
        return urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
    return location


def set_security_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    if access.is_staff_page():
        response.headers["Content-Security-Policy"] = STAFF_CONTENT_SECURITY_POLICY
    response.headers.pop("Server", None)
    onion_location = _onion_location()
    if onion_location:
        response.headers["Onion-Location"] = onion_location
    if "Location" in response.headers:
        response.headers["Location"] = _relative_location(response.headers["Location"])
    return response


def init_app(app: Flask) -> None:
    app.after_request(set_security_headers)
    app.jinja_env.globals["inline_style"] = INLINE_STYLE
    app.context_processor(lambda: {"staff_style": STAFF_STYLE if access.is_staff_page() else None})
