"""What one participant's browser does: keep a cookie, fetch a form, send it, read the answer.

Standard library only (http.client over one keep-alive connection). A registration is the
real two requests: GET /register, which sets the session cookie and carries the CSRF and
submission tokens, then POST /register. A withdrawal is GET /status, then POST /status/withdraw
with the codename. An answer counts only when the whole page has arrived.
"""

from __future__ import annotations

import html
import http.client
import random
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from http.cookies import SimpleCookie

from app.events.definition import Event

_HIDDEN = re.compile(r'<input[^>]*\bname="(csrf_token|submission)"[^>]*\bvalue="([^"]*)"')
_PSEUDONYM = re.compile(r'id="pseudonym"[^>]*>([^<]+)<')
_CODENAME = re.compile(r'id="codename"[^>]*>([^<]+)<')
_WITHDRAWN = re.compile(r'<p id="withdrawn">')

# Names in several scripts, so that the load also crosses the UTF-8 paths end to end.
_NAMES = ("Ana", "Алесь", "سارا", "Nguyễn", "ဇော်", "Thandiwe", "Ilse", "Chạy")

# What a browser whose connection was cut raises: the server was killed, or refused it.
CONNECTION_ERRORS = (OSError, http.client.HTTPException)


@dataclass(frozen=True)
class Submission:
    """One filled-in registration form: its session, its tokens, and the answers typed into it."""

    cookie: str
    form: dict[str, str]  # everything POSTed, tokens included

    @property
    def token(self) -> str:
        return self.form["submission"]


@dataclass(frozen=True)
class Acknowledged:
    """A registration whose whole receipt came back."""

    submission: Submission
    pseudonym: str
    codename: str


# (status, (pseudonym, codename) from a whole receipt or None); status None when the connection was cut.
Answer = tuple[int | None, tuple[str, str] | None]


def answers_for(event: Event, rng: random.Random, serial: str) -> dict[str, str]:
    """Answers to every registration field, each text unique to this participant."""
    answers: dict[str, str] = {}
    for rule in event.registration_fields():
        if not rule.required and rng.random() < 0.25:
            answers[rule.key] = ""  # optional fields are sometimes left empty
        elif rule.type == "choice":
            answers[rule.key] = rng.choice(rule.choices)[0]
        elif rule.type == "email":
            answers[rule.key] = f"p{serial}@example.org"
        elif rule.type == "date":
            answers[rule.key] = f"2027-05-{rng.randint(1, 28):02d}"
        else:
            text = f"{rng.choice(_NAMES)} {rule.key} {serial}"
            if rule.type == "textarea":
                text += "\nsecond line"
            answers[rule.key] = text[-rule.max_length :]
    answers["consent"] = "y"
    return answers


class Browser:
    """One keep-alive connection and a cookie jar, emptied for each new participant."""

    def __init__(self, url: str, timeout: float) -> None:
        parsed = urllib.parse.urlsplit(url)
        self._connection = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=timeout)
        self.cookies: dict[str, str] = {}

    def new_participant(self) -> None:
        self.cookies = {}

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def get(self, path: str) -> tuple[int, str]:
        return self._exchange("GET", path, None, self.cookie_header())

    def post(self, path: str, form: Mapping[str, str], cookie: str | None = None) -> tuple[int, str]:
        cookie = self.cookie_header() if cookie is None else cookie
        return self._exchange("POST", path, urllib.parse.urlencode(form), cookie)

    def _exchange(self, method: str, path: str, body: str | None, cookie: str) -> tuple[int, str]:
        headers = {"Cookie": cookie} if cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self._connection.request(method, path, body=body, headers=headers)
            response = self._connection.getresponse()
            text = response.read().decode("utf-8")  # IncompleteRead if the body is cut short
        except CONNECTION_ERRORS:
            self._connection.close()  # the next request opens a fresh connection
            raise
        for header in response.headers.get_all("Set-Cookie") or ():
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            self.cookies.update({name: morsel.value for name, morsel in jar.items()})
        if response.will_close:
            self._connection.close()
        return response.status, text

    def close(self) -> None:
        self._connection.close()


def fill_in(browser: Browser, event: Event, rng: random.Random, serial: str) -> tuple[int, Submission | None]:
    """GET the registration form as a new participant and fill it in: (status, the form to send)."""
    browser.new_participant()
    status, page = browser.get("/register")
    if status != 200:
        return status, None
    tokens = dict(_HIDDEN.findall(page))
    return status, Submission(browser.cookie_header(), {**tokens, **answers_for(event, rng, serial)})


def send(browser: Browser, submission: Submission) -> Answer:
    """POST a filled-in form (the first time, again after a crash, or twice at once)."""
    status, text = browser.post("/register", submission.form, submission.cookie)
    return status, parse_receipt(text) if status == 200 else None


def parse_receipt(text: str) -> tuple[str, str] | None:
    """(pseudonym, codename) from a receipt page, or None if the page is not a whole receipt."""
    pseudonym, codename = _PSEUDONYM.search(text), _CODENAME.search(text)
    if not pseudonym or not codename or "</html>" not in text:
        return None
    return html.unescape(pseudonym.group(1)).strip(), html.unescape(codename.group(1)).strip()


def withdraw(browser: Browser, codename: str) -> tuple[int, bool]:
    """Withdraw with the codename, as a participant does from the status page: (status, whole confirmation)."""
    browser.new_participant()
    status, page = browser.get("/status")
    if status != 200:
        return status, False
    form = {"csrf_token": dict(_HIDDEN.findall(page))["csrf_token"], "codename": codename, "confirm": "y"}
    status, text = browser.post("/status/withdraw", form)
    return status, status == 200 and bool(_WITHDRAWN.search(text)) and "</html>" in text
