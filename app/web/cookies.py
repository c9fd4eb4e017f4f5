"""When cookies are marked Secure: over HTTPS, and on an onion address (a secure context in Tor Browser)."""

from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface


def cookie_is_secure() -> bool:
    return request.is_secure or request.host.split(":")[0].endswith(".onion")


class _SessionInterface(SecureCookieSessionInterface):
    def get_cookie_secure(self, app: Flask) -> bool:
        return cookie_is_secure()


def init_app(app: Flask) -> None:
    app.session_interface = _SessionInterface()
