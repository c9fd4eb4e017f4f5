"""The measurements benchmarks.scale takes on one instance: a served one over HTTP, or a copy in this process."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.audit import log as audit
from app.instance.folder import Instance, open_instance
from app.registrations import lifecycle, retention
from app.storage import db
from app.web.application import create_app
from tests.conftest import free_port
from tests.load import driver
from tests.load.browser import Browser
from tests.load.process_memory import MB, resident_memory
from tests.staff_fixtures import Person, login

_CSRF = re.compile(r'<input[^>]*\bname="csrf_token"[^>]*\bvalue="([^"]*)"')
FETCHES = 5


@dataclass
class Server:
    url: str
    instance_path: Path
    event: object
    started_seconds: float
    rss_before_mb: float


@contextlib.contextmanager
def served(instance_path: Path, folder: Path) -> Iterator[Server]:
    """`gatehouse serve` on a copy: timed until its port accepts a connection, its memory read before any request."""
    port = free_port()
    (folder / "server-tmp").mkdir(exist_ok=True)
    with (folder / "server-output.log").open("wb") as sink:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--instance", str(instance_path), "--port", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "TMPDIR": str(folder / "server-tmp")},
        )
    try:
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None or time.perf_counter() - started > 120:
                raise RuntimeError("the server did not start: " + (folder / "server-output.log").read_text())
            time.sleep(0.005)
        seconds = time.perf_counter() - started
        rss = resident_memory(process.pid).rss_bytes / MB
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30).read()
        yield Server(f"http://127.0.0.1:{port}", instance_path, open_instance(instance_path).event, seconds, rss)
    finally:
        process.terminate()
        process.wait(timeout=30)


def timed_registrations(server: Server, clients: int, registrations: int) -> driver.Outcome:
    outcome = driver.start(server.url, server.event, driver.Traffic(clients, registrations=registrations)).wait()
    if outcome.failures:
        raise RuntimeError(f"registrations failed: {outcome.failures[:3]}")
    return outcome


def _timed_post(browser: Browser, path: str, form: dict[str, str]) -> float:
    browser.new_participant()
    status, page = browser.get("/status")
    token = _CSRF.search(page)
    if status != 200 or token is None:
        raise RuntimeError(f"GET /status answered {status}")
    started = time.perf_counter()
    status, _text = browser.post(path, {"csrf_token": token.group(1), **form})
    if status != 200:
        raise RuntimeError(f"POST {path} answered {status}")
    return time.perf_counter() - started


def timed_status_and_withdrawals(
    server: Server, looking_up: list[str], withdrawing: list[str]
) -> tuple[list[float], list[float]]:
    """Seconds of each POST: a look-up with each codename of the first list, a withdrawal with each of the second."""
    browser = Browser(server.url, 60)
    try:
        found = [_timed_post(browser, "/status", {"codename": codename}) for codename in looking_up]
        gone = [_timed_post(browser, "/status/withdraw", {"codename": c, "confirm": "y"}) for c in withdrawing]
    finally:
        browser.close()
    return found, gone


def _median_ms(client, path: str) -> float:
    times = []
    for _ in range(FETCHES):
        started = time.perf_counter()
        response = client.get(path)
        response.get_data()
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}")
    return statistics.median(times)


def staff_pages(instance_path: Path, people: dict[str, Person]) -> dict[str, float]:
    """The staff list as ana, the auditor page as aude (through the Flask application)."""
    app = create_app({"INSTANCE_DIR": instance_path})
    staff, auditor = app.test_client(), app.test_client()
    for client, person in ((staff, people["ana"]), (auditor, people["aude"])):
        person.last_step = 0  # a fresh copy: no code of theirs was used on it yet
        if login(client, person).status_code != 303:
            raise RuntimeError(f"{person.username} could not log in")
    return {"staff_list_ms": _median_ms(staff, "/staff/"), "auditor_ms": _median_ms(auditor, "/staff/audit")}


def export_in_its_own_process(instance_path: Path, ana: Person) -> dict[str, float]:
    """The staff export, as the server makes it, in a process that does nothing else: its seconds, and the
    process's resident memory at its peak (VmHWM) and once the download is over."""
    done = subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "benchmarks.scale_measures", "export", str(instance_path)],
        input=json.dumps(dataclasses.asdict(ana)),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the export failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def _export_command(instance_path: str) -> None:
    """Log in as the person on stdin, download the export a chunk at a time (as a browser would, keeping
    nothing), and print the figures as JSON."""
    person = Person(**json.loads(sys.stdin.read()))
    client = create_app({"INSTANCE_DIR": Path(instance_path)}).test_client()
    if login(client, person).status_code != 303:
        raise RuntimeError(f"{person.username} could not log in")
    token = _CSRF.search(client.get("/staff/").get_data(as_text=True))
    before = resident_memory(os.getpid()).rss_bytes
    started = time.perf_counter()
    response = client.post(
        "/staff/export", data={"csrf_token": token.group(1) if token else "", "reason": "scale"}, buffered=False
    )
    received = sum(len(chunk) for chunk in response.iter_encoded())
    response.close()
    seconds = time.perf_counter() - started
    if response.status_code != 200 or not received:
        raise RuntimeError(f"the export answered {response.status_code}")
    memory = resident_memory(os.getpid())
    figures = {
        "export_s": seconds,
        "export_peak_mb": memory.hwm_bytes / MB,
        "export_after_mb": memory.rss_bytes / MB,
        "export_before_mb": before / MB,
    }
    print(json.dumps(figures))


def slowest_registration(server: Server, seconds: float) -> float:
    """The slowest GET+POST in ms of twenty clients registering for ``seconds``, with nothing else running: the
    baseline of purge_beside_registrations, since twenty clients on two cores have a tail of their own."""
    run = driver.start(server.url, server.event, driver.Traffic(20))
    time.sleep(seconds)
    return max(run.finish().registration_seconds) * 1000


def purge_beside_registrations(server: Server, on_day: datetime.date) -> tuple[float, int, float]:
    """(slowest GET+POST in ms, failures, seconds the clients ran) of twenty clients registering while another
    process purges."""
    started = time.perf_counter()
    run = driver.start(server.url, server.event, driver.Traffic(20))
    time.sleep(1.0)
    purged = subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "benchmarks.scale_measures", "purge", str(server.instance_path), on_day.isoformat()],
        capture_output=True,
        text=True,
        check=False,
    )
    time.sleep(1.0)
    outcome = run.finish()
    if purged.returncode != 0:
        raise RuntimeError(f"the purge failed: {purged.stderr[-2000:]}")
    return max(outcome.registration_seconds) * 1000, len(outcome.failures), time.perf_counter() - started


def timed_withdrawals_in_process(instance: Instance, count: int = 10) -> list[float]:
    """Seconds of each of ``count`` withdrawals called as the service (lifecycle.withdraw), with an idle connection
    holding the WAL open as a server's does: the write transaction and the checkpoint after it, which is the most a
    withdrawal can hold the write lock, and so the most it can delay a registration."""
    holder = instance.connect()
    holder.execute("SELECT count(*) FROM registrations").fetchone()
    connection = instance.connect()
    try:
        chosen = [
            row[0]
            for row in connection.execute(
                "SELECT id FROM registrations WHERE status = 'submitted' ORDER BY id LIMIT ?", (count,)
            )
        ]
        seconds = []
        for registration_id in chosen:
            found = lifecycle.find_by_id(connection, registration_id)
            assert found is not None
            started = time.perf_counter()
            lifecycle.withdraw(connection, found)
            seconds.append(time.perf_counter() - started)
        return seconds
    finally:
        connection.close()
        holder.close()


def timed_purge(instance: Instance, on_day: datetime.date, scrub: bool = True, runs: int = 1) -> float:
    """Seconds of the last of ``runs`` purges on this day (without the scrub: only its checkpoint)."""
    connection = instance.connect()
    real_scrub = db.scrub
    if not scrub:
        db.scrub = lambda connection: connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    try:
        for _ in range(runs - 1):
            retention.purge(connection, instance.event, on_day)
        started = time.perf_counter()
        retention.purge(connection, instance.event, on_day)
        return time.perf_counter() - started
    finally:
        db.scrub = real_scrub
        connection.close()


def timed_audit_verify(built: Path, folder: Path) -> float:
    """Seconds of `gatehouse audit verify` (the command, interpreter start included) on an export of the log."""
    export = folder / "log.ghb"
    copy = folder / "for-export"
    subprocess.run(["cp", "-r", str(built), str(copy)], check=True)  # noqa: S603, S607
    gatehouse = [sys.executable, "-m", "app", "audit"]
    subprocess.run(
        [*gatehouse, "export", "--instance", str(copy), "--out", str(export)], check=True, capture_output=True
    )  # noqa: S603
    key = subprocess.run(  # noqa: S603
        [*gatehouse, "public-key", "--instance", str(copy)], check=True, capture_output=True, text=True
    ).stdout.strip()
    started = time.perf_counter()
    subprocess.run([*gatehouse, "verify", str(export), "--public-key", key], check=True, capture_output=True)  # noqa: S603
    return time.perf_counter() - started


def auditor_page_at(instance: Instance, entries: int, auditor: Person) -> tuple[float, float]:
    """Ms of the auditor page's first view, and the median of the next ones, once the log holds ``entries`` entries
    (failed logins, as a flood leaves), all after its last checkpoint."""
    connection = instance.connect()
    try:
        held = connection.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        while held < entries:
            with db.transaction(connection):
                for _ in range(min(10_000, entries - held)):
                    audit.record(connection, "anonymous", "login failed", "nobody")
            held = min(entries, held + 10_000)
        audit.sign_head(connection, instance.event.id)
    finally:
        connection.close()
    client = create_app({"INSTANCE_DIR": instance.path}).test_client()
    auditor.last_step = 0
    if login(client, auditor).status_code != 303:
        raise RuntimeError("the auditor could not log in")
    started = time.perf_counter()
    client.get("/staff/audit").get_data()  # the first view of a server process verifies the whole chain
    first = (time.perf_counter() - started) * 1000
    return first, _median_ms(client, "/staff/audit")


def _purge_command(instance_path: str, day: str) -> None:
    with open_instance(Path(instance_path)).connection() as connection:
        retention.purge(connection, open_instance(Path(instance_path)).event, datetime.date.fromisoformat(day))


if __name__ == "__main__" and sys.argv[1:2] == ["purge"]:
    _purge_command(*sys.argv[2:4])
if __name__ == "__main__" and sys.argv[1:2] == ["export"]:
    _export_command(sys.argv[2])
