"""Anyone, anonymous or logged in with any role, sending hostile values to every route: in every query parameter
the code reads and every field of every form (huge, negative, not a number, not UTF-8, repeated, control and
direction-override characters, far too long). Never a 5xx; always a page with a sentence."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote_from_bytes

import pytest

from app.web.application import create_app
from tests.helpers import hidden_fields
from tests.staff_fixtures import login, register_canary, registration_ids

WEB_SOURCES = Path(__file__).resolve().parents[2] / "app" / "web"
HOSTILE: list[bytes] = [
    b"99999999999999999999999999",
    b"-1",
    b"-99999999999999999999999999",
    b"1e309",
    b"NaN",
    b"not a number",
    b"\xff\xfe\x80",  # not UTF-8
    b"",
    "\u202eevil\u202c\u0000\u0007".encode(),  # direction override, NUL, bell
    b"x" * 5000,
]
_FIELD = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"')
_ACTION = re.compile(r'<form[^>]*\baction="([^"]+)"')


def _query_parameters() -> set[str]:
    """Every query parameter any view reads, found in the code itself: the sweep grows with the views."""
    found = {"lang"}
    for source in WEB_SOURCES.rglob("*.py"):
        found |= set(re.findall(r"request\.args\.get(?:list)?\(\s*[\"'](\w+)[\"']", source.read_text("utf-8")))
    return found


def _encode(pairs: list[tuple[str, bytes]]) -> bytes:
    return "&".join(f"{name}={quote_from_bytes(value)}" for name, value in pairs).encode("ascii")


def _forms(client, path: str) -> list[tuple[str, list[str]]]:
    """(action, field names) of every form on the page at ``path``."""
    html = client.get(path).get_data(as_text=True)
    forms = []
    for chunk in html.split("<form")[1:]:
        action = _ACTION.search("<form" + chunk)
        fields = sorted(set(_FIELD.findall(chunk.split("</form>")[0])))
        if action:
            forms.append((action.group(1).replace("&amp;", "&"), fields))
    return forms


def _check(response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code}"
    if response.status_code >= 400:
        text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
        assert re.search(r"[A-Za-z]{3,}[^.]*\.", text), f"{what}: no sentence on the page"


@pytest.mark.parametrize("who", [None, "ana", "root", "audrey"])
def test_no_hostile_value_in_any_parameter_or_field_reaches_a_5xx(demo_instance, team, who):
    app = create_app({"INSTANCE_DIR": demo_instance.path, "TESTING": True})
    register_canary(app.test_client(), "QZX7HOSTILE3")
    registration_id = registration_ids(app)[0]
    client = app.test_client()
    if who:
        assert login(client, team[who]).status_code == 303
    parameters = sorted(_query_parameters())
    assert "before" in parameters and "lang" in parameters, "the scan of the views finds what they read"

    rules = sorted(app.url_map.iter_rules(), key=lambda rule: rule.endpoint in ("staff.logout", "emergency.wipe_page"))
    paths = [rule.rule.replace("<registration_id>", registration_id).replace("<path:filename>", "style.css")
             for rule in rules]  # fmt: skip
    for path in paths:
        for value in HOSTILE:
            for pairs in ([(name, value) for name in parameters], [(name, value) for name in parameters] * 2):
                _check(client.get(f"{path}?{_encode(pairs).decode()}"), f"GET {path} ?{pairs[0][0]}={value[:20]!r}")

    posted: set[str] = set()
    for page in [path for path in paths if "<" not in path and not path.endswith("/logout")]:
        for action, fields in _forms(client, page):
            if action.endswith("/logout"):
                continue
            token = hidden_fields(client.get(page).get_data(as_text=True)).get("csrf_token", "")
            csrf = [(name, token.encode()) for name in fields if name.endswith("csrf_token")]
            for value in HOSTILE:
                pairs = [(name, value) for name in fields if not name.endswith("csrf_token")]
                for body in (csrf + pairs, csrf + pairs * 2, pairs):
                    response = client.post(action, data=_encode(body), content_type="application/x-www-form-urlencoded")
                    _check(response, f"POST {action} from {page} with {value[:20]!r}")
            posted.add(action.split("?")[0])
    assert {"/register", "/status", "/status/withdraw", "/staff/login"} <= posted, posted
    if who in ("ana", "root"):
        assert {"/staff/grants", "/staff/export", f"/staff/registrations/{registration_id}/open"} <= posted, posted
    if who == "root":
        assert "/staff/wipe" in posted
    assert (demo_instance.path / "gatehouse.db").exists(), "no hostile form wiped the instance"
