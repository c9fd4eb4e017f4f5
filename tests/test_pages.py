"""Pages carry no script, reach no other origin, set every security header, and stay small."""

from __future__ import annotations

import re

import pytest

from tests.helpers import PAGE_BUDGET_BYTES, hidden_fields, valid_answers, wire_bytes

_EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
_URL = re.compile(r"""(?:src|href|action|formaction|srcset|poster|data)\s*=\s*["']?\s*([^"'\s>]+)""", re.IGNORECASE)


def _pages(client):
    """Every participant page, including the error and receipt pages."""
    form = client.get("/register")
    tokens = hidden_fields(form.get_data(as_text=True))
    return {
        "index": client.get("/"),
        "register": form,
        "register with errors": client.post("/register", data={**tokens, **valid_answers(full_name="")}),
        "registered": client.post("/register", data={**tokens, **valid_answers()}),
        "not found": client.get("/nowhere"),
        "status": client.get("/status"),
        "status not found": client.post(
            "/status", data={"csrf_token": tokens["csrf_token"], "codename": "wrong words " * 4}
        ),
    }


def test_pages_carry_no_script_and_no_event_handler(client):
    for name, page in _pages(client).items():
        html = page.get_data(as_text=True)
        assert "<script" not in html.lower(), name
        assert not _EVENT_HANDLER.search(html), name
        assert "javascript:" not in html.lower(), name


def test_pages_link_to_nothing_on_another_origin(client):
    for name, page in _pages(client).items():
        for url in _URL.findall(page.get_data(as_text=True)):
            assert url.startswith(("/", "?", "#", "data:,")), f"{name} refers to {url}"


def test_csp_allows_no_script_and_only_the_inline_style_by_hash(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert "script-src" not in directives, "no script source may be allowed, not even 'self'"
    assert re.fullmatch(r"'sha256-[A-Za-z0-9+/]+=*'", directives["style-src"])
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"


def test_inline_style_matches_the_hash_the_policy_allows(client):
    import base64
    import hashlib

    response = client.get("/")
    style = re.search(r"<style>(.*?)</style>", response.get_data(as_text=True), re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in response.headers["Content-Security-Policy"]
    assert response.get_data(as_text=True).count("<style") == 1


def test_staff_pages_add_their_own_style_which_no_participant_page_carries(client):
    import base64
    import hashlib

    from app.web.headers import STAFF_STYLE

    response = client.get("/staff/login")
    styles = re.findall(r"<style>(.*?)</style>", response.get_data(as_text=True), re.S)
    assert len(styles) == 2 and styles[1] == str(STAFF_STYLE)
    policy = response.headers["Content-Security-Policy"]
    for style in styles:
        assert f"'sha256-{base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()}'" in policy
    for name, page in _pages(client).items():
        assert str(STAFF_STYLE) not in page.get_data(as_text=True), name


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
        ("Cache-Control", "no-store, max-age=0"),
    ],
)
def test_every_page_sends_the_security_headers(client, header, value):
    for name, page in _pages(client).items():
        assert page.headers.get(header) == value, name
        assert "camera=()" in page.headers["Permissions-Policy"], name


def test_participant_pages_fit_the_budget_with_the_headers_waitress_sends(client):
    for name, page in _pages(client).items():
        body, headers = wire_bytes(page)
        assert headers > 300, f"{name}: {headers} bytes cannot hold the security headers"
        assert body + headers <= PAGE_BUDGET_BYTES, f"{name} is {body} + {headers} bytes, over {PAGE_BUDGET_BYTES}"


def test_html_declares_language_and_direction(client):
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'<html lang="en" dir="ltr">', html)


def test_session_cookie_is_http_only_and_strict(client):
    cookie = client.get("/register").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
