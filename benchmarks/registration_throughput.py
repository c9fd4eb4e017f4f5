"""Registrations per second through the real WSGI stack: Gatehouse against a plaintext baseline.

Both sides are the same Flask application (same CSRF check, form parse, validation,
templates and headers) driven through Werkzeug's WSGI client; the baseline's
registration view stores the values in the clear in plain sqlite3 (WAL, synchronous
FULL, like Gatehouse), so the ratio is the cost of SQLCipher, sealing every field to
its compartment, and the codename and pseudonym work. Like Gatehouse's own, the baseline's
idle connection has read once, so it keeps the WAL open and no request's close checkpoints it.
Both sides start empty, or already holding the same number of registrations (--start-from):
Gatehouse's grown through its real path (tests/growing.py), the baseline's as rows.

Run:  python -m benchmarks.registration_throughput [--registrations N] [--start-from 10000]
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from flask import Flask, render_template

from app.events.definition import demo_event_source
from app.instance.folder import open_instance
from app.instance.setup import create_instance
from app.registrations.register import Receipt
from app.web.application import create_app
from app.web.forms import event_values, registration_form_class, validate_registration
from app.web.i18n import current_language
from app.web.state import state_of
from benchmarks.sample import ANSWERS as SAMPLE_ANSWERS
from tests.growing import grow

TARGET_RATIO = 0.9
_HIDDEN = re.compile(r'name="(csrf_token|submission)"[^>]*value="([^"]*)"')
ANSWERS = SAMPLE_ANSWERS | {"consent": "y"}


def gatehouse_app(folder: Path, start_from: int = 0) -> Flask:
    create_instance(folder / "instance", demo_event_source())
    if start_from:
        grow(open_instance(folder / "instance"), 0, start_from)
    return create_app({"INSTANCE_DIR": folder / "instance"})


def baseline_app(folder: Path, start_from: int = 0) -> Flask:
    """The same application, with a registration view that stores plaintext in plain sqlite3."""
    app = gatehouse_app(folder / "baseline")
    database = folder / "baseline.sqlite3"
    with sqlite3.connect(database) as setup:
        setup.execute("PRAGMA journal_mode = WAL")
        setup.execute("CREATE TABLE registrations (id INTEGER PRIMARY KEY, answers TEXT, day TEXT)")
        answers = json.dumps(ANSWERS)
        setup.executemany(
            "INSERT INTO registrations (answers, day) VALUES (?, date('now'))", ((answers,) for _ in range(start_from))
        )
    # Like Gatehouse, hold the WAL open so that closing a request's connection does not checkpoint: a connection
    # opens the WAL only when it first reads, so this one reads once (a holder that never reads holds nothing).
    holder = sqlite3.connect(database, check_same_thread=False)
    holder.execute("SELECT count(*) FROM registrations").fetchone()
    app.extensions["baseline.wal_holder"] = holder

    def plaintext_register():
        event = state_of(app).instance.event
        form = registration_form_class(event, current_language())()
        if not form.is_submitted():
            form.submission.data = "x" * 43
            return render_template("register.html", form=form)
        if not validate_registration(form):
            return render_template("register.html", form=form), 400
        connection = sqlite3.connect(database, isolation_level=None)
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(
            "INSERT INTO registrations (answers, day) VALUES (?, date('now'))",
            (json.dumps(event_values(form, event.registration_fields())),),
        )
        connection.execute("COMMIT")
        connection.close()
        return render_template("registered.html", receipt=Receipt("Plain Baseline 10", "plain " * 8, False))

    app.view_functions["participant.register_page"] = plaintext_register
    return app


def registrations_per_second(app: Flask, count: int) -> float:
    client = app.test_client()
    started = time.perf_counter()
    for _ in range(count):
        page = client.get("/register").get_data(as_text=True)
        response = client.post("/register", data={**dict(_HIDDEN.findall(page)), **ANSWERS})
        if response.status_code != 200:
            raise RuntimeError(f"a registration failed with {response.status_code}")
    return count / (time.perf_counter() - started)


def measure(registrations: int, rounds: int, start_from: int = 0) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        folder_path = Path(folder)
        apps = {
            "gatehouse": gatehouse_app(folder_path, start_from),
            "baseline": baseline_app(folder_path, start_from),
        }
        for app in apps.values():
            registrations_per_second(app, 20)  # warm up caches and templates
        rates: dict[str, list[float]] = {name: [] for name in apps}
        for _ in range(rounds):  # interleaved, so drift in the machine hits both alike
            for name, app in apps.items():
                rates[name].append(registrations_per_second(app, registrations // rounds))
    gatehouse, baseline = statistics.median(rates["gatehouse"]), statistics.median(rates["baseline"])
    return {"gatehouse": gatehouse, "baseline": baseline, "ratio": gatehouse / baseline, "target": TARGET_RATIO}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registrations", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--start-from", type=int, default=0, help="registrations both sides hold before")
    arguments = parser.parse_args()
    result = measure(arguments.registrations, arguments.rounds, arguments.start_from)
    print(f"{'measured':<42} {'figure':>10} {'baseline':>10} {'ratio':>7} {'target':>7}")
    print(
        f"{'registrations/s through WSGI (GET+POST)':<42} {result['gatehouse']:>10.1f} "
        f"{result['baseline']:>10.1f} {result['ratio']:>7.2f} {'>=' + str(result['target']):>7}"
    )


if __name__ == "__main__":
    main()
