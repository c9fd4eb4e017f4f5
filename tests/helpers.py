"""Helpers shared by the tests: reading forms, typical answers, dumping a database."""

from __future__ import annotations

import datetime
import re
import time
from types import SimpleNamespace

import waitress.task

from app.common.actor import Actor
from app.common.clock import Clock
from app.registrations import messages
from app.registrations.lifecycle import decide
from app.serving.server import WAITRESS_SETTINGS
from app.web.state import state_of

_HIDDEN = re.compile(r'<input[^>]*\bname="(csrf_token|submission)"[^>]*\bvalue="([^"]*)"')


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs (CSRF token, submission token) of a form page."""
    return {name: value for name, value in _HIDDEN.findall(html)}


def valid_answers(**overrides: str) -> dict[str, str]:
    answers = {
        "full_name": "Ana Example",
        "badge_name": "Ana",
        "organisation": "Example Collective",
        "country": "Examplestan",
        "safe_contact": "signal: example",
        "track": "digital-security",
        "diet": "vegan",
        "access_needs": "",
        "photo_consent": "no-face",
        "safety_notes": "",
        "consent": "y",
    }
    answers.update(overrides)
    return answers


def dump_database(connection) -> bytes:
    """Every value in every table, as bytes: what someone holding the database key could read."""
    chunks = []
    for (table,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for row in connection.execute(f'SELECT * FROM "{table}"'):
            for value in row:
                chunks.append(value if isinstance(value, bytes) else str(value).encode("utf-8"))
    return b"\n".join(chunks)


class SetClock(Clock):
    """A clock that stands where a test puts it, and moves only when the test moves it."""

    def __init__(self, now: datetime.datetime | None = None) -> None:
        self._now = now or datetime.datetime.now(datetime.UTC)
        self._monotonic = 1_000_000.0

    def now(self) -> datetime.datetime:
        return self._now

    def monotonic(self) -> float:
        return self._monotonic

    def advance(self, seconds: float) -> None:
        self._now += datetime.timedelta(seconds=seconds)
        self._monotonic += seconds


# Participant pages, for the page tests and the page-size benchmark alike.


def header_bytes(response) -> int:
    """Bytes of the status line and headers waitress sends before this response's body: built by waitress's own
    code, with the settings the server runs with (no Server header), adding the Date it adds."""
    channel = SimpleNamespace(server=SimpleNamespace(adj=SimpleNamespace(ident=WAITRESS_SETTINGS["ident"])))
    task = waitress.task.Task(channel, SimpleNamespace(version="1.1", headers={}))
    task.status = response.status
    task.response_headers = response.headers.to_wsgi_list()
    task.content_length = len(response.get_data())
    task.wrote_header, task.close_on_finish, task.start_time = False, False, time.time()
    return len(task.build_response_header())


def wire_bytes(response) -> tuple[int, int]:
    """(body, headers) of a response as waitress puts it on the wire; the page budget counts their sum."""
    return len(response.get_data()), header_bytes(response)


PAGE_BUDGET_BYTES = 12 * 1024

FOLLOW_UP = {
    "passport_name": "QZX7PASS93 Example",
    "passport_number": "QZX7NUM93",
    "passport_expiry": "2031-02-03",
    "arrival_date": "2027-05-03",
    "travel_from": "Examplegrad",
}


def ids_by_pseudonym(app) -> dict[str, str]:
    connection = state_of(app).instance.connect()
    try:
        return {p: i for i, p in connection.execute("SELECT id, pseudonym FROM registrations")}
    finally:
        connection.close()


def approve(app, registration_id):
    connection = state_of(app).instance.connect()
    try:
        decide(connection, state_of(app).instance.event.id, registration_id, "approved", "ana")
    finally:
        connection.close()


def send_canned_messages(app, registration_id, keys=("passport_expiry", "flight_booked", "could_not_reach")):
    """The event's canned messages, sent by a holder of messages_by (sending needs only its public key)."""
    instance = state_of(app).instance
    holder = Actor("ana", "staff", frozenset({instance.event.messages.by}))
    connection = instance.connect()
    try:
        for key in keys:
            messages.send(connection, instance.event, registration_id, text="", canned=key, actor=holder)
    finally:
        connection.close()


def page_text(response) -> str:
    return response.get_data(as_text=True)


def codename_on(html: str) -> str:
    return re.search(r'id="codename"[^>]*>([^<]+)<', html).group(1)


def form_on(html: str, action: str) -> tuple[str, dict[str, str]]:
    """The full action (with its query) of the form posting to this path, and its CSRF and record tokens."""
    start = html.index(f'action="{action}')
    form = html[start : html.index("</form>", start)]
    tokens = dict(re.findall(r'name="(csrf_token|record|submission)"[^>]*value="([^"]*)"', form))
    return re.match(r'action="([^"]+)"', form).group(1).replace("&amp;", "&"), tokens


def every_participant_page(app, client, language: str) -> dict[str, tuple[object, str]]:
    """Every participant page in this language, each with a sentence it must show in that language."""
    q = f"?lang={language}"
    form = client.get("/register" + q)
    tokens = hidden_fields(page_text(form))
    with_errors = client.post("/register" + q, data={**tokens, **valid_answers(full_name="")})
    every_answer_wrong = client.post("/register" + q, data={"submission": tokens["submission"], "diet": "?"})
    receipt = client.post("/register" + q, data={**tokens, **valid_answers()})
    codename = codename_on(page_text(receipt))
    status_form = client.get("/status" + q)
    csrf = hidden_fields(page_text(status_form))["csrf_token"]
    wrong = client.post("/status" + q, data={"csrf_token": csrf, "codename": "wrong words " * 4})
    pending = client.post("/status" + q, data={"csrf_token": csrf, "codename": codename})
    pseudonym = re.search(r'id="pseudonym"[^>]*>([^<]+)<', page_text(pending)).group(1)
    approve(app, ids_by_pseudonym(app)[pseudonym])
    approved = client.post("/status" + q, data={"csrf_token": csrf, "codename": codename})
    action, pass_tokens = form_on(page_text(approved), "/status/pass")
    pass_page = client.post(action, data=pass_tokens)
    send_canned_messages(app, ids_by_pseudonym(app)[pseudonym])
    with_messages = client.post("/status" + q, data={"csrf_token": csrf, "codename": codename})
    action, answer_tokens = form_on(page_text(with_messages), "/status/answer")
    empty_answer = client.post(action, data={**answer_tokens, "text": " "})
    action, answer_tokens = form_on(page_text(empty_answer), "/status/answer")
    answered = client.post(action, data={**answer_tokens, "text": "QZX7ANSWER93"})
    action, follow_up_tokens = form_on(page_text(approved), "/status/follow-up")
    bad_date = client.post(action, data={**follow_up_tokens, **FOLLOW_UP, "arrival_date": "next week"})
    # A token is good for one sending: the page that names the mistake carries a new one.
    action, follow_up_tokens = form_on(page_text(bad_date), "/status/follow-up")
    sent = client.post(action, data={**follow_up_tokens, **FOLLOW_UP})
    withdrawn = client.post("/status/withdraw" + q, data={"csrf_token": csrf, "codename": codename, "confirm": "y"})
    return {
        "index": (client.get("/" + q), "What we ask, who reads it, and for how long"),
        "register": (form, "Send my registration"),
        "register with errors": (with_errors, "Please fill in this field."),
        "register, every answer wrong": (every_answer_wrong, "Please choose one of the options."),
        "receipt": (receipt, "Write down your secret code now"),
        "status": (status_form, "See my status"),
        "status, wrong codename": (
            wrong,
            "We could not find a registration with this secret code."
            " Please check each word or group of digits and try again.",
        ),
        "status, pending": (pending, "Your registration is in. The organisers have not decided yet."),
        "status, approved with follow-up": (
            approved,
            "Now that you are accepted, we need these to book your travel and support your visa.",
        ),
        "status with three messages": (with_messages, "Send my answer"),
        "pass": (
            pass_page,
            "Show this at the door of the venue, on a screen or on paper. It does not carry your name.",
        ),
        "answer with errors": (empty_answer, "Please write your answer first."),
        "answer sent": (answered, "Your answer is sent, encrypted so that only the organisers can read it."),
        "follow-up with errors": (bad_date, "Please give a date as year-month-day, for example 2027-05-04."),
        "follow-up sent": (sent, "Thank you: your details are in, encrypted like the rest."),
        "withdrawn": (withdrawn, "Your data is destroyed"),
        "not found": (client.get("/nowhere" + q), "There is no page at this address."),
        "too large": (
            client.post("/register" + q, data={"full_name": "x" * 300_000}),
            "What you sent is far too large. Please shorten your answers and send the form again.",
        ),
        "security check failed": (
            client.post("/status" + q, data={"codename": codename}),
            (
                "This page was open too long, or your browser did not send its security check."
                " Please check your answers and send the form again."
            ),
        ),
    }
