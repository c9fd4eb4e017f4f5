"""Debian's Chromium driven by Playwright, JavaScript off, against the real server; screenshots of every step."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.real_parts import missing, require_module, require_program

ROOT = Path(__file__).resolve().parents[2]
# The flags of a browser that talks to nobody but the page under test.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1000, "height": 800}  # about Tor Browser's letterboxed window
PHONE = {"width": 320, "height": 640}  # the narrowest phone screen in use


def screenshot_dir() -> Path:
    return Path(os.environ.get("GATEHOUSE_SCREENSHOTS") or ROOT / "test-artifacts" / "screenshots")


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole run. Playwright starts it on a new, empty profile in a temporary folder."""
    chromium = require_program("chromium", "/usr/bin/chromium")
    sync_api = require_module("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        except sync_api.Error as error:
            missing(f"a Chromium that starts ({str(error).splitlines()[0]})")
        yield launched
        launched.close()


@dataclass
class Visit:
    """A JavaScript-off tab on the live server that records every request and saves a picture of each step."""

    page: object
    origin: str
    folder: Path
    requests: list[str] = field(default_factory=list)
    steps: int = 0
    seen: list[tuple[str, str, str]] = field(default_factory=list)  # (step, html lang, html dir)

    def step(self, name: str, requests: int = 1) -> None:
        """After one navigation: it took `requests` requests, all to the server; save how the page looks."""
        self.steps += 1
        made, self.requests[:] = list(self.requests), []
        assert len(made) == requests, f"{name}: {len(made)} requests, expected {requests}: {made}"
        for url in made:
            assert url.startswith(self.origin + "/"), f"{name}: a request to another origin: {url}"
        html = self.page.locator("html")
        self.seen.append((name, html.get_attribute("lang"), html.get_attribute("dir")))
        assert "<script" not in self.page.content().lower(), f"{name} carries a script"
        self.folder.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        self.page.screenshot(path=self.folder / f"{self.steps:02d}-{safe}.png", full_page=True)


@pytest.fixture
def open_visit(browser, request):
    """open_visit(origin, label, locale=..., viewport=..., color_scheme=...) -> Visit in a fresh, JS-off context."""
    contexts = []

    def open_(origin: str, label: str, locale: str = "en-GB", viewport=DESKTOP, color_scheme="light") -> Visit:
        context = browser.new_context(
            java_script_enabled=False, locale=locale, viewport=viewport, color_scheme=color_scheme
        )
        contexts.append(context)
        shutil.rmtree(screenshot_dir() / label, ignore_errors=True)  # pictures of this run only
        visit = Visit(context.new_page(), origin, screenshot_dir() / label)
        context.on("request", lambda sent: visit.requests.append(sent.url))
        return visit

    yield open_
    for context in contexts:
        context.close()


AXE_FOLDER = Path(__file__).resolve().parent / "axe"


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core at the version package-lock.json pins, installed with `npm ci` the first time."""
    script = AXE_FOLDER / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        npm = require_program("npm")
        installed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--prefix", str(AXE_FOLDER)], capture_output=True, text=True
        )
        if installed.returncode != 0 or not script.exists():
            missing(f"axe-core (npm ci said: {installed.stderr.strip()[-300:]})")
    return script.read_text("utf-8")
