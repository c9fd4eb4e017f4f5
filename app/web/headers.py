"""The one place that sets security headers, on every response the application sends."""

from __future__ import annotations

import base64
import hashlib
from importlib import resources
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, Response, g, request
from markupsafe import Markup
from werkzeug.urls import iri_to_uri

from app.web.state import state


def _style(filename: str) -> str:
    return resources.files("app.web").joinpath(filename).read_text("utf-8").strip()


# The page's only style, inlined so that a page loads in one request, and allowed by its hash.
INLINE_STYLE = Markup(_style("style.css"))  # noqa: S704 - our file
# A page with rules of its own (the badges' print layout) carries style.css followed by them, allowed by the hash
# of that whole in its own response: no other page carries those bytes, and each page allows only the style it has.
PAGE_STYLES = {"badges": Markup(f"{INLINE_STYLE}\n{_style('badges.css')}")}  # noqa: S704 - our files


def content_security_policy(style: str) -> str:
    """No script source at all: nothing on any page may run code in the participant's browser."""
    style_hash = base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode("ascii")
    return "; ".join(
        (
            "default-src 'none'",
            f"style-src 'sha256-{style_hash}'",
            "img-src data:",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        )
    )


CONTENT_SECURITY_POLICY = content_security_policy(INLINE_STYLE)
_PAGE_POLICIES = {name: content_security_policy(style) for name, style in PAGE_STYLES.items()}

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


def page_style(name: str) -> Markup:
    """The inline style of a page with rules of its own (PAGE_STYLES); its response's policy allows that style."""
    g.page_style = name
    return PAGE_STYLES[name]


def set_security_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    if "page_style" in g:
        response.headers["Content-Security-Policy"] = _PAGE_POLICIES[g.page_style]
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
