"""A whole registration over a bad link (750 ms each way, 20 KB/s each way), against the floor the link allows.

Gatehouse runs as in production (`gatehouse serve`: waitress on loopback, its own process) behind
tests/badlink.py, a loopback proxy that delays each direction and caps its bandwidth. A participant's
browser with JavaScript off registers in two requests on one connection: GET the form, POST it, read the
receipt. It is driven twice: by http.client, the way such a browser talks, and by Debian's Chromium
(JavaScript off) when it is installed.

The floor is what no implementation could beat on that link:
    round trips × 1.5 s  (the TCP handshake of each connection used, and each request with its response)
  + bytes ÷ 20 KB/s      (every byte that crossed, both ways, counted by the proxy; 1 KB = 1024 bytes)
The ratio is the measured wall time over the floor; the target is at most 1.15.

Run:  python -m benchmarks.bad_link [--runs N] [--delay 0.75] [--rate 20480] [--no-browser]
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from app.events.definition import demo_event_source
from app.instance.setup import create_instance
from benchmarks.sample import ANSWERS
from tests.badlink import BadLink

TARGET_RATIO = 1.15
DELAY_SECONDS = 0.75  # each way
RATE_BYTES_PER_SECOND = 20 * 1024  # each way
_HIDDEN = re.compile(r'name="(csrf_token|submission)"[^>]*value="([^"]*)"')
CHROMIUM = "/usr/bin/chromium"


@dataclass
class Run:
    wall: float
    connections: int
    requests: int
    up: int
    down: int

    def floor(self, delay: float, rate: float) -> float:
        return (self.connections + self.requests) * 2 * delay + (self.up + self.down) / rate


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gatehouse_server(folder: Path):
    create_instance(folder / "instance", demo_event_source())
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--instance", str(folder / "instance"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gatehouse serve did not start") from None
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def _used(link: BadLink, wall: float, requests: int) -> Run:
    used = [crossed for crossed in link.connections if crossed.up]
    return Run(wall, len(used), requests, sum(c.up for c in used), sum(c.down for c in used))


def register_with_http_client(server_port: int, delay: float, rate: float) -> Run:
    """GET the form and POST it on one kept-alive connection, as a browser with JavaScript off does."""
    with BadLink(server_port, delay=delay, rate=rate) as link:
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", link.port, timeout=60)
        connection.request("GET", "/register")
        response = connection.getresponse()
        page = response.read().decode("utf-8")
        cookie = response.getheader("Set-Cookie").split(";", 1)[0]
        body = urllib.parse.urlencode({**dict(_HIDDEN.findall(page)), **ANSWERS, "consent": "y"})
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        connection.request("POST", "/register", body=body, headers=headers)
        receipt = connection.getresponse()
        text = receipt.read().decode("utf-8")
        wall = time.perf_counter() - started
        connection.close()
    if receipt.status != 200 or 'id="codename"' not in text:
        raise RuntimeError(f"the registration failed with {receipt.status}")
    return _used(link, wall, requests=2)


def chromium_missing() -> str | None:
    """Why the Chromium run cannot happen here, or None when it can."""
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed"
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is not installed"
    return None


def register_with_chromium(server_port: int, delay: float, rate: float) -> Run:
    """The same registration in Debian's Chromium with JavaScript off; the typing time is the person's, left out."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS

    with sync_playwright() as playwright, BadLink(server_port, delay=delay, rate=rate) as link:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(java_script_enabled=False).new_page()
        page.set_default_timeout(120_000)
        requests: list[str] = []
        page.on("request", lambda sent: requests.append(sent.url))
        started = time.perf_counter()
        page.goto(f"http://127.0.0.1:{link.port}/register")
        typing_started = time.perf_counter()
        for name, value in ANSWERS.items():
            field = page.locator(f'[name="{name}"]')
            if field.first.get_attribute("type") == "radio":
                page.check(f'input[name="{name}"][value="{value}"]')
            elif value:
                field.fill(value)
        page.check('input[name="consent"]')
        typing = time.perf_counter() - typing_started  # the person's time, not the link's
        page.click('button[type="submit"]')
        page.wait_for_selector("#codename")
        wall = time.perf_counter() - started - typing
        browser.close()
    return _used(link, wall, requests=len(requests))


def measure(runs: int, delay: float, rate: float, browser: bool) -> dict[str, dict]:
    """Per client, the median run's wall time against its floor; per client left out, why."""
    clients = {"http.client": register_with_http_client}
    not_run: dict[str, str] = {}
    if browser:
        missing = chromium_missing()
        if missing:
            not_run["chromium, JS off"] = missing
        else:
            clients["chromium, JS off"] = register_with_chromium
    measured: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder, gatehouse_server(Path(folder)) as port:
        register_with_http_client(port, 0.0, 10**9)  # warm up the server: templates, first database open
        for name, register in clients.items():
            done = [register(port, delay, rate) for _ in range(runs)]
            run = done[[r.wall for r in done].index(statistics.median(r.wall for r in done))]
            floor = run.floor(delay, rate)
            measured[name] = {
                "wall": run.wall,
                "floor": floor,
                "ratio": run.wall / floor,
                "connections": run.connections,
                "requests": run.requests,
                "up": run.up,
                "down": run.down,
            }
    return {"clients": measured, "not_run": not_run}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--delay", type=float, default=DELAY_SECONDS, help="seconds, each way")
    parser.add_argument("--rate", type=float, default=RATE_BYTES_PER_SECOND, help="bytes per second, each way")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium run")
    arguments = parser.parse_args()
    print(f"link: {arguments.delay * 1000:.0f} ms each way, {arguments.rate / 1024:.0f} KB/s each way")
    print(f"{'client':<18} {'wall s':>7} {'floor s':>8} {'ratio':>6} {'target':>7}  round trips, bytes up/down")
    result = measure(arguments.runs, arguments.delay, arguments.rate, browser=not arguments.no_browser)
    for name, run in result["clients"].items():
        print(
            f"{name:<18} {run['wall']:>7.2f} {run['floor']:>8.2f} {run['ratio']:>6.3f} {'<=' + str(TARGET_RATIO):>7}"
            f"  {run['connections']} connect + {run['requests']} requests, {run['up']} / {run['down']}"
        )


if __name__ == "__main__":
    main()
