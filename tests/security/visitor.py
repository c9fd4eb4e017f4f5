"""A browser without JavaScript, over real HTTP to a running server: one cookie jar per person."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

# What a participant's browser and network say about them: never to be stored or printed anywhere.
USER_AGENT = "Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 QZX7AGENT"
FORWARDED_FOR = "203.0.113.77"
_CSRF = re.compile(r'name="((?:\w+-)?csrf_token)"[^>]*value="([^"]+)"')
_SUBMISSION = re.compile(r'name="submission"[^>]*value="([^"]+)"')


@dataclass
class Page:
    status: int
    html: str
    headers: dict[str, list[str]]


@dataclass
class Visitor:
    base_url: str
    host: str | None = None  # sent as the Host header, to look like an onion visitor on loopback
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def __post_init__(self) -> None:
        if self.host and self.host.endswith(".onion"):
            self.jar.set_policy(_OnionCookiePolicy())
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def request(self, path: str, data: dict[str, str] | None = None) -> Page:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base_url + path, data=body)
        request.add_header("User-Agent", USER_AGENT)
        request.add_header("X-Forwarded-For", FORWARDED_FOR)
        if self.host:
            request.add_header("Host", self.host)
        try:
            response = self._opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        headers: dict[str, list[str]] = {}
        for name, value in response.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        return Page(response.status, response.read().decode("utf-8"), headers)

    def get(self, path: str) -> Page:
        return self.request(path)

    def post_form(self, form_path: str, path: str, data: dict[str, str], prefix: str = "") -> Page:
        """Fetch the page with the form for its CSRF token, then send the form as a browser would."""
        form_page = self.get(form_path).html
        tokens = dict(_CSRF.findall(form_page))
        return self.request(path, {f"{prefix}csrf_token": tokens[f"{prefix}csrf_token"], **data})


class _OnionCookiePolicy(http.cookiejar.DefaultCookiePolicy):
    """Tor Browser treats an onion address as a secure context: Secure cookies go back over it."""

    def return_ok_secure(self, cookie, request):
        return True


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Keep a redirect's own response, with its cookies, instead of following it."""

    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Participant:
    """Someone who registered: their own browser, and what the receipt page told them."""

    visitor: Visitor
    receipt: Page
    codename: str
    pseudonym: str


def register(base_url: str, answers: dict[str, str], host: str | None = None) -> Participant:
    """One participant registering: their own visitor, the form fetched, then sent."""
    visitor = Visitor(base_url, host)
    form_page = visitor.get("/register").html
    tokens = {"csrf_token": dict(_CSRF.findall(form_page))["csrf_token"]}
    tokens["submission"] = _SUBMISSION.search(form_page).group(1)
    page = visitor.request("/register", {**tokens, **answers})
    assert page.status == 200 and 'id="codename"' in page.html, page.html[:500]
    codename = re.search(r'id="codename"[^>]*>([^<]+)<', page.html).group(1)
    pseudonym = re.search(r'id="pseudonym"[^>]*>([^<]+)<', page.html).group(1)
    return Participant(visitor, page, codename, pseudonym)


def status(participant: Participant) -> Page:
    return participant.visitor.post_form("/status", "/status", {"codename": participant.codename})


def send_follow_up(participant: Participant, answers: dict[str, str]) -> Page:
    """The details asked after approval, sent from the status page as the participant would."""
    page = status(participant)
    form = page.html.split('action="/status/follow-up')[1].split("</form>")[0]  # the page has a form per action
    record = re.search(r'name="record"[^>]*value="([^"]+)"', form).group(1)
    csrf = dict(_CSRF.findall(form))["csrf_token"]
    return participant.visitor.request("/status/follow-up", {"csrf_token": csrf, "record": record, **answers})


def answer(participant: Participant, text: str) -> Page:
    """Look up the status (reading the messages), then answer in the box below them."""
    page = status(participant)
    form = page.html.split('id="answer"')[1].split("</form>")[0]
    tokens = dict(re.findall(r'name="(csrf_token|record)"[^>]*value="([^"]+)"', form))
    return participant.visitor.request("/status/answer", {**tokens, "text": text})


def send_message(visitor: Visitor, registration_id: str, text: str) -> Page:
    page = f"/staff/registrations/{registration_id}"
    return visitor.post_form(page, f"{page}/message", {"message-text": text, "message-canned": ""}, prefix="message-")


def withdraw(participant: Participant) -> Page:
    return participant.visitor.post_form(
        "/status", "/status/withdraw", {"codename": participant.codename, "confirm": "y"}
    )


def log_in(base_url: str, person, host: str | None = None) -> Visitor:
    """A staff member logging in with passphrase and a fresh TOTP code (staff_fixtures.Person)."""
    visitor = Visitor(base_url, host)
    page = _log_in(visitor, person, person.code())
    assert page.status == 303, page.html[:500]
    return visitor


def log_in_with(base_url: str, person, code: str) -> Page:
    """A login attempt with the person's passphrase and the given code; the answer page."""
    return _log_in(Visitor(base_url), person, code)


def _log_in(visitor: Visitor, person, code: str) -> Page:
    return visitor.post_form(
        "/staff/login", "/staff/login", {"username": person.username, "passphrase": person.passphrase, "code": code}
    )


def registration_ids(visitor: Visitor) -> list[str]:
    return sorted(set(re.findall(r"/staff/registrations/([0-9a-f]{32})", visitor.get("/staff/").html)))


def open_record(visitor: Visitor, registration_id: str, reason: str) -> Page:
    path = f"/staff/registrations/{registration_id}"
    return visitor.post_form(path, path + "/open", {"reason": reason})


def decide(visitor: Visitor, registration_id: str, decision: str) -> None:
    path = f"/staff/registrations/{registration_id}"
    assert visitor.post_form(path, path + "/decision", {"decision": decision}).status == 303


def registration_id_of(visitor: Visitor, pseudonym: str) -> str:
    """The id behind a pseudonym on the staff list (each row links the pseudonym to its page)."""
    html = visitor.get("/staff/").html
    return re.search(r"/staff/registrations/([0-9a-f]{32})\"[^>]*>\s*" + re.escape(pseudonym), html).group(1)


def log_out(visitor: Visitor) -> None:
    assert visitor.post_form("/staff/", "/staff/logout", {}).status == 303
