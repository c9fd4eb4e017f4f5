"""Many participants registering at once through a real Gatehouse server, each as a browser would.

Standard library only: one thread per client, each with its own keep-alive HTTP connection
and a fresh cookie jar for every participant. A registration is the real two requests:
GET /register (which sets the session cookie and carries the CSRF and submission tokens),
then POST /register with distinctive answers. A registration counts as acknowledged only
when the whole 200 receipt has arrived and names a pseudonym and a codename.
"""

from __future__ import annotations

import html
import http.client
import math
import random
import re
import secrets
import threading
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

from app.event import Event

_HIDDEN = re.compile(r'<input[^>]*\bname="(csrf_token|submission)"[^>]*\bvalue="([^"]*)"')
_PSEUDONYM = re.compile(r'id="pseudonym">([^<]+)<')
_CODENAME = re.compile(r'id="codename"[^>]*>([^<]+)<')

# Names in several scripts, so that the load also crosses the UTF-8 paths end to end.
_NAMES = ("Ana", "Алесь", "سارا", "Nguyễn", "ဇော်", "Thandiwe", "Ilse", "Chạy")

# What a client that lost its connection raises: the server was killed, or refused us.
CONNECTION_ERRORS = (OSError, http.client.HTTPException)


@dataclass(frozen=True)
class Submission:
    """One filled-in form: its session, its tokens, and the answers typed into it."""

    cookie: str
    form: dict[str, str]  # everything POSTed, tokens included

    @property
    def token(self) -> str:
        return self.form["submission"]


@dataclass(frozen=True)
class Acknowledged:
    """A registration whose full receipt came back."""

    submission: Submission
    pseudonym: str
    codename: str


@dataclass
class Outcome:
    """What the clients saw, for the checks and the figures."""

    acknowledged: list[Acknowledged] = field(default_factory=list)
    in_flight: list[Submission] = field(default_factory=list)  # POSTed, answer never complete
    failures: list[str] = field(default_factory=list)  # "POST /register: 500", never a value
    get_seconds: list[float] = field(default_factory=list)
    post_seconds: list[float] = field(default_factory=list)
    registration_seconds: list[float] = field(default_factory=list)  # GET + POST
    elapsed: float = 0.0
    _lock: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def wait_for_acknowledged(self, count: int, timeout: float) -> bool:
        """Block until ``count`` receipts have arrived; False if they did not within ``timeout``."""
        with self._lock:
            return self._lock.wait_for(lambda: len(self.acknowledged) >= count, timeout)

    def add_failure(self, description: str) -> None:
        with self._lock:
            self.failures.append(description)

    def add_in_flight(self, submission: Submission) -> None:
        with self._lock:
            self.in_flight.append(submission)

    def add_answers(
        self,
        submission: Submission,
        answers: list[tuple[int | None, tuple[str, str] | None]],
        seconds: tuple[float, float],
    ) -> None:
        """The answers to one form (two when it was sent twice at once), and how long GET and POST took."""
        with self._lock:
            self.get_seconds.append(seconds[0])
            self.post_seconds.append(seconds[1])
            self.registration_seconds.append(sum(seconds))
            for status, receipt in answers:
                if status == 200 and receipt is not None:
                    self.acknowledged.append(Acknowledged(submission, *receipt))
                elif status is None:
                    self.failures.append("POST /register (second copy): connection lost")
                elif status == 200:
                    self.failures.append("POST /register: 200 without a whole receipt")
                else:
                    self.failures.append(f"POST /register: {status}")
            self._lock.notify_all()

    def unique_acknowledged(self) -> int:
        return len({ack.submission.token for ack in self.acknowledged})

    def throughput(self) -> float:
        return self.unique_acknowledged() / self.elapsed if self.elapsed else 0.0


def percentile(samples: list[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest sample at or above ``fraction`` of them."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered), max(1, math.ceil(fraction * len(ordered)))) - 1]


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
    """One keep-alive connection; the cookie jar is emptied for each new participant."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self._connection = http.client.HTTPConnection(host, port, timeout=timeout)
        self.cookies: dict[str, str] = {}

    def new_participant(self) -> None:
        self.cookies = {}

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def get(self, path: str) -> tuple[int, str]:
        return self._exchange("GET", path, None, self.cookie_header())

    def post(self, path: str, form: Mapping[str, str], cookie: str) -> tuple[int, str]:
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


def parse_receipt(text: str) -> tuple[str, str] | None:
    """(pseudonym, codename) from a receipt page, or None if the page is not a whole receipt."""
    pseudonym, codename = _PSEUDONYM.search(text), _CODENAME.search(text)
    if not pseudonym or not codename or "</html>" not in text:
        return None
    return html.unescape(pseudonym.group(1)).strip(), html.unescape(codename.group(1)).strip()


def send(browser: Browser, submission: Submission) -> tuple[int, tuple[str, str] | None]:
    """POST a filled-in form (again, after a crash, or twice at once); the status and the receipt."""
    status, text = browser.post("/register", submission.form, submission.cookie)
    return status, parse_receipt(text) if status == 200 else None


@dataclass
class Tickets:
    """How many registrations are left to start, when the run is bounded by count."""

    remaining: int | None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> bool:
        if self.remaining is None:
            return True
        with self._lock:
            if self.remaining <= 0:
                return False
            self.remaining -= 1
            return True


class Client(threading.Thread):
    """One participant after another, until told to stop, the tickets run out, or the server goes away."""

    def __init__(
        self,
        number: int,
        url: str,
        event: Event,
        outcome: Outcome,
        stop: threading.Event,
        tickets: Tickets,
        stop_at_connection_error: bool,
        twice_every: int,
        timeout: float,
    ) -> None:
        super().__init__(name=f"load-client-{number}", daemon=True)
        parsed = urllib.parse.urlsplit(url)
        self._address = (parsed.hostname or "127.0.0.1", parsed.port or 80)
        self._number = number
        self._event = event
        self._outcome = outcome
        self._halt = stop
        self._tickets = tickets
        self._stop_at_connection_error = stop_at_connection_error
        self._twice_every = twice_every
        self._timeout = timeout
        self._rng = random.Random(secrets.randbits(64))  # noqa: S311 - made-up answers, not secrets

    def run(self) -> None:
        browser = Browser(*self._address, timeout=self._timeout)
        count = 0
        try:
            # Each client finishes at least one registration, however early it is stopped.
            while (count == 0 or not self._halt.is_set()) and self._tickets.take():
                count += 1
                twice = bool(self._twice_every) and count % self._twice_every == 0
                if not self._register_one(browser, f"{self._number}-{count}-{secrets.token_hex(4)}", twice):
                    return
        finally:
            browser.close()

    def _register_one(self, browser: Browser, serial: str, twice: bool) -> bool:
        """One participant's registration; False when this client should stop."""
        browser.new_participant()
        started = time.perf_counter()
        try:
            status, page = browser.get("/register")
        except CONNECTION_ERRORS as error:
            return self._connection_lost("GET /register", error)
        got = time.perf_counter()
        if status != 200:
            self._fail(f"GET /register: {status}")
            return True
        tokens = dict(_HIDDEN.findall(page))
        submission = Submission(browser.cookie_header(), {**tokens, **answers_for(self._event, self._rng, serial)})
        second: _SecondCopy | None = None
        if twice:  # the same form sent twice at once, as an impatient click on a slow link does
            second = _SecondCopy(self._address, self._timeout, submission)
            second.start()
        try:
            status, receipt = send(browser, submission)
        except CONNECTION_ERRORS as error:
            self._outcome.add_in_flight(submission)
            if second is not None:
                second.join()
            return self._connection_lost("POST /register", error)
        done = time.perf_counter()
        answers = [(status, receipt)]
        if second is not None:
            second.join()
            if second.answer[0] is None and self._stop_at_connection_error:
                self._outcome.add_in_flight(submission)  # checked again by a retry after the restart
            else:
                answers.append(second.answer)
        self._outcome.add_answers(submission, answers, (got - started, done - got))
        return True

    def _connection_lost(self, what: str, error: BaseException) -> bool:
        if self._stop_at_connection_error:
            return False
        self._fail(f"{what}: {type(error).__name__}")
        return True

    def _fail(self, description: str) -> None:
        self._outcome.add_failure(description)


class _SecondCopy(threading.Thread):
    """The same POST on a second connection, racing the first."""

    def __init__(self, address: tuple[str, int], timeout: float, submission: Submission) -> None:
        super().__init__(daemon=True)
        self._browser = Browser(*address, timeout=timeout)
        self._submission = submission
        self.answer: tuple[int | None, tuple[str, str] | None] = (None, None)

    def run(self) -> None:
        try:
            self.answer = send(self._browser, self._submission)
        except CONNECTION_ERRORS:
            self.answer = (None, None)
        finally:
            self._browser.close()


@dataclass
class Run:
    """Clients started in the background; ``finish`` stops them and waits."""

    clients: list[Client]
    outcome: Outcome
    stop: threading.Event
    started: float

    def finish(self, join_timeout: float = 120.0) -> Outcome:
        self.stop.set()
        deadline = time.monotonic() + join_timeout
        for client in self.clients:
            client.join(max(0.0, deadline - time.monotonic()))
        if any(client.is_alive() for client in self.clients):
            raise RuntimeError("a load client did not finish its last request in time")
        self.outcome.elapsed = time.perf_counter() - self.started
        return self.outcome

    def wait(self, seconds: float | None = None) -> Outcome:
        """Let the clients run for ``seconds`` (or until their tickets run out), then finish."""
        deadline = None if seconds is None else time.monotonic() + seconds
        for client in self.clients:
            client.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return self.finish()


def start(
    url: str,
    event: Event,
    clients: int = 50,
    registrations: int | None = None,
    stop_at_connection_error: bool = False,
    twice_every: int = 0,
    timeout: float = 60.0,
) -> Run:
    """Start ``clients`` concurrent participants registering on ``url``.

    registrations: stop after this many registrations in all (None: until finished).
    stop_at_connection_error: a client whose connection drops stops and reports its POST as in
    flight (for crash tests); otherwise every lost connection is a failure and the client goes on.
    twice_every: every n-th registration of each client is POSTed twice at once (0: never).
    """
    outcome, stop, tickets = Outcome(), threading.Event(), Tickets(registrations)
    threads = [
        Client(n, url, event, outcome, stop, tickets, stop_at_connection_error, twice_every, timeout)
        for n in range(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    return Run(threads, outcome, stop, started)


def retry(url: str, submissions: list[Submission], timeout: float = 60.0) -> tuple[list[Acknowledged], list[str]]:
    """Send each form again, as a participant whose page never loaded presses reload."""
    parsed = urllib.parse.urlsplit(url)
    browser = Browser(parsed.hostname or "127.0.0.1", parsed.port or 80, timeout)
    acknowledged, failures = [], []
    try:
        for submission in submissions:
            status, receipt = send(browser, submission)
            if status == 200 and receipt is not None:
                acknowledged.append(Acknowledged(submission, *receipt))
            else:
                failures.append(f"retried POST /register: {status}")
    finally:
        browser.close()
    return acknowledged, failures
