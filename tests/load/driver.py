"""Many participants registering at once through a real Gatehouse server, and what each of them was told.

One thread per client; each registers one participant after another on its own keep-alive
connection (see browser.py for the requests), records every answer and its latency, and
now and then sends a form twice at once or withdraws a registration it has just made.
"""

from __future__ import annotations

import math
import random
import secrets
import threading
import time
from dataclasses import dataclass, field

from app.events.definition import Event
from tests.load.browser import (
    CONNECTION_ERRORS,
    Acknowledged,
    Answer,
    Browser,
    Submission,
    fill_in,
    send,
    withdraw,
)


@dataclass
class Ledger:
    """What the participants were told: the database must agree with it."""

    acknowledged: list[Acknowledged] = field(default_factory=list)  # whole receipt received
    in_flight: list[Submission] = field(default_factory=list)  # POSTed, the answer never complete
    withdrawn: list[Acknowledged] = field(default_factory=list)  # whole confirmation received
    withdrawals_in_flight: list[Acknowledged] = field(default_factory=list)

    def add(self, other: Ledger) -> None:
        self.acknowledged += other.acknowledged
        self.in_flight += other.in_flight
        self.withdrawn += other.withdrawn
        self.withdrawals_in_flight += other.withdrawals_in_flight


@dataclass
class Outcome(Ledger):
    """A run's ledger, its failures and its latencies."""

    failures: list[str] = field(default_factory=list)  # "POST /register: 500": never a value
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

    def add_withdrawal(self, ack: Acknowledged, confirmed: bool) -> None:
        with self._lock:
            (self.withdrawn if confirmed else self.withdrawals_in_flight).append(ack)

    def add_answers(self, submission: Submission, answers: list[Answer], seconds: tuple[float, float]) -> None:
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


@dataclass(frozen=True)
class Traffic:
    """How the clients behave."""

    clients: int = 50
    registrations: int | None = None  # in all, across clients; None: until stopped
    twice_one_in: int = 0  # about one form in n, at random, is POSTed twice at once (0: never)
    withdraw_one_in: int = 0  # about one registration in n, at random, is withdrawn once acknowledged (0: never)
    # A client whose connection drops stops and reports what it had sent as in flight (for
    # crash tests); otherwise a dropped connection is a failure and the client goes on.
    stop_at_connection_error: bool = False
    timeout: float = 60.0


class _Tickets:
    """How many registrations are left to start, when the run is bounded by count."""

    def __init__(self, remaining: int | None) -> None:
        self._remaining = remaining
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self._remaining is None:
                return True
            if self._remaining <= 0:
                return False
            self._remaining -= 1
            return True


class Client(threading.Thread):
    """One participant after another, until told to stop, the tickets run out, or the server goes away."""

    def __init__(
        self, number: int, url: str, event: Event, traffic: Traffic, outcome: Outcome, halt: threading.Event, tickets
    ) -> None:
        super().__init__(name=f"load-client-{number}", daemon=True)
        self._number, self._url, self._event, self._traffic = number, url, event, traffic
        self._outcome, self._halt, self._tickets = outcome, halt, tickets
        self._rng = random.Random(secrets.randbits(64))  # noqa: S311 - made-up answers, not secrets

    def run(self) -> None:
        browser = Browser(self._url, self._traffic.timeout)
        count = 0
        try:
            # Each client finishes at least one registration, however early it is stopped.
            while (count == 0 or not self._halt.is_set()) and self._tickets.take():
                count += 1
                if not self._register_one(browser, count):
                    return
        finally:
            browser.close()

    def _register_one(self, browser: Browser, count: int) -> bool:
        """One participant's registration, and perhaps withdrawal; False when this client should stop."""
        traffic, outcome = self._traffic, self._outcome
        started = time.perf_counter()
        try:
            status, submission = fill_in(
                browser, self._event, self._rng, f"{self._number}-{count}-{secrets.token_hex(4)}"
            )
        except CONNECTION_ERRORS as error:
            return self._connection_lost("GET /register", error)
        got = time.perf_counter()
        if submission is None:
            outcome.add_failure(f"GET /register: {status}")
            return True
        second = None
        if self._one_in(traffic.twice_one_in):
            # The same form sent twice at once, as an impatient click on a slow link does.
            second = _SecondCopy(self._url, traffic.timeout, submission)
            second.start()
        try:
            answer = send(browser, submission)
        except CONNECTION_ERRORS as error:
            outcome.add_in_flight(submission)
            if second is not None:
                second.join()
            return self._connection_lost("POST /register", error)
        answers = [answer]
        done = time.perf_counter()
        if second is not None:
            second.join()
            if second.answer[0] is None and traffic.stop_at_connection_error:
                outcome.add_in_flight(submission)  # sent again after the restart
            else:
                answers.append(second.answer)
        outcome.add_answers(submission, answers, (got - started, done - got))
        status, receipt = answer
        if receipt is not None and self._one_in(traffic.withdraw_one_in):
            return self._withdraw(browser, Acknowledged(submission, *receipt))
        return True

    def _one_in(self, n: int) -> bool:
        return bool(n) and self._rng.randrange(n) == 0

    def _withdraw(self, browser: Browser, ack: Acknowledged) -> bool:
        try:
            status, confirmed = withdraw(browser, ack.codename)
        except CONNECTION_ERRORS as error:
            self._outcome.add_withdrawal(ack, confirmed=False)
            return self._connection_lost("withdrawal", error)
        if not confirmed:
            self._outcome.add_failure(f"withdrawal: {status}")
            return True
        self._outcome.add_withdrawal(ack, confirmed=True)
        return True

    def _connection_lost(self, what: str, error: BaseException) -> bool:
        if self._traffic.stop_at_connection_error:
            return False
        self._outcome.add_failure(f"{what}: {type(error).__name__}")
        return True


class _SecondCopy(threading.Thread):
    """The same POST on a second connection, racing the first."""

    def __init__(self, url: str, timeout: float, submission: Submission) -> None:
        super().__init__(daemon=True)
        self._browser = Browser(url, timeout)
        self._submission = submission
        self.answer: Answer = (None, None)

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
    halt: threading.Event
    started: float

    def finish(self, join_timeout: float = 120.0) -> Outcome:
        self.halt.set()
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


def start(url: str, event: Event, traffic: Traffic) -> Run:
    """Start ``traffic.clients`` concurrent participants registering on ``url``."""
    outcome, halt, tickets = Outcome(), threading.Event(), _Tickets(traffic.registrations)
    clients = [Client(n, url, event, traffic, outcome, halt, tickets) for n in range(traffic.clients)]
    started = time.perf_counter()
    for client in clients:
        client.start()
    return Run(clients, outcome, halt, started)


def resend(url: str, submissions: list[Submission], timeout: float = 60.0) -> tuple[list[Acknowledged], list[str]]:
    """Send each form again, as a participant whose page never loaded presses reload."""
    browser = Browser(url, timeout)
    acknowledged, failures = [], []
    try:
        for submission in submissions:
            status, receipt = send(browser, submission)
            if status == 200 and receipt is not None:
                acknowledged.append(Acknowledged(submission, *receipt))
            else:
                failures.append(f"resent POST /register: {status}")
    finally:
        browser.close()
    return acknowledged, failures


def withdraw_again(url: str, acks: list[Acknowledged], timeout: float = 60.0) -> list[str]:
    """Withdraw again each registration whose withdrawal was cut off; failures (a 400 means already gone)."""
    browser = Browser(url, timeout)
    failures = []
    try:
        for ack in acks:
            status, confirmed = withdraw(browser, ack.codename)
            if not confirmed and status != 400:
                failures.append(f"withdrawal sent again: {status}")
    finally:
        browser.close()
    return failures
