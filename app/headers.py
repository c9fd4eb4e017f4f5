"""The one place that sets security headers, on every response the application sends."""

from __future__ import annotations

import base64
import hashlib
from importlib import resources

from flask import Flask, Response
from markupsafe import Markup

# The page's only style, inlined so that a page loads in one request, and allowed by its hash.
INLINE_STYLE = Markup(resources.files("app").joinpath("style.css").read_text("utf-8").strip())  # noqa: S704 - our file
_STYLE_HASH = base64.b64encode(hashlib.sha256(str(INLINE_STYLE).encode("utf-8")).digest()).decode("ascii")

# No script source at all: nothing on any page may run code in the participant's browser.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        f"style-src 'sha256-{_STYLE_HASH}'",
        "img-src data:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)

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


def set_security_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    response.headers.pop("Server", None)
    return response


def init_app(app: Flask) -> None:
    app.after_request(set_security_headers)
    app.jinja_env.globals["inline_style"] = INLINE_STYLE
