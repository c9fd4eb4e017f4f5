"""Check-in in Chromium with JavaScript off: the pass page and the desk page pass axe; the QR code on the pass page,
read by zbarimg from a screenshot, is the whole signed pass whose id the short code beside it spells; the desk
admits it once, then says where when its short code is typed."""

from __future__ import annotations

import datetime
import subprocess
from pathlib import Path

import crypto
from app.checkin import passes
from app.events.definition import demo_event_source
from app.instance.folder import open_instance
from app.instance.setup import create_instance
from app.registrations.lifecycle import decide
from app.registrations.register import register
from tests.browser.test_accessibility import Checker
from tests.conftest import serving
from tests.helpers import valid_answers
from tests.real_parts import require_program


def event_running_today() -> str:
    """The demo event, moved to run from today (UTC, the server's clock): a pass is valid only on its days."""
    today = datetime.datetime.now(datetime.UTC).date()
    source = demo_event_source()
    source = source.replace("starts = 2027-05-04", f"starts = {today.isoformat()}")
    return source.replace("ends = 2027-05-07", f"ends = {(today + datetime.timedelta(days=3)).isoformat()}")


def approved_codename(path: Path) -> str:
    instance = open_instance(path)
    with instance.connection() as connection:
        receipt = register(connection, instance, crypto.new_submission_token(), valid_answers())
        registration_id = connection.execute(
            "SELECT id FROM registrations WHERE pseudonym = ?", (receipt.pseudonym,)
        ).fetchone()[0]
        decide(connection, instance.event.id, registration_id, "approved", "ana")
    return receipt.codename


class AxeOn(Checker):
    def check_html(self, name: str, html: str) -> None:
        self.page.set_content(html)
        self.check(name)


def test_the_pass_and_the_desk_work_without_script_pass_axe_and_the_qr_code_is_the_signed_pass_of_the_short_code(
    tmp_path, browser, open_visit, axe_source
):
    zbarimg = require_program("zbarimg")
    path = tmp_path / "instance"
    create_instance(path, event_running_today())
    codename = approved_codename(path)
    with serving(path, tmp_path) as server:
        visit = open_visit(server.url, "checkin-pass")
        page = visit.page
        # axe needs script: it reads each page as the JavaScript-off tab got it, in a context of its own.
        checker = AxeOn(
            browser.new_context(java_script_enabled=True, bypass_csp=True).new_page(), axe_source, "checkin"
        )
        page.goto(f"{visit.origin}/status")
        visit.step("status form")
        page.locator('form[action^="/status"] [name="codename"]').first.fill(codename)
        page.locator('form[action^="/status"] button[type="submit"]').first.click()
        visit.step("status, approved")
        page.locator('form[action^="/status/pass"] button').click()
        visit.step("the pass")
        checker.check_html("the pass", page.content())
        code = page.inner_text("#pass-code").strip()
        picture = tmp_path / "qr.png"
        page.locator('main svg[role="img"]').screenshot(path=picture)
    read = subprocess.run([zbarimg, "--raw", "-q", str(picture)], capture_output=True, text=True, timeout=30)
    assert read.returncode == 0, read.stderr
    instance = open_instance(path)
    with instance.connection() as connection:
        public_key = passes.public_key(connection)
    found = crypto.passes.verify_pass(public_key, instance.event.id, crypto.passes.read_code(read.stdout.strip()))
    assert len(code) <= 32 and crypto.passes.short_code_of(found.pass_id) == code

    (tmp_path / "desk").mkdir()
    desk = serving(path, tmp_path / "desk", "--desk", "door-1", command=("checkin", "serve"), ready="/desk")
    with desk as desk_server:
        desk_url = desk_server.url
        visit = open_visit(desk_url, "checkin-desk")
        page = visit.page
        page.goto(f"{desk_url}/desk")
        visit.step("the desk")
        checker.check_html("the desk", page.content())
        for typed, expected in ((code[:-2], "#refused"), (read.stdout.strip(), "#admitted"), (code, "#already")):
            page.fill('[name="code"]', typed)
            page.click('form[action^="/desk"] button')
            visit.step(f"the desk: {expected[1:]}")
            assert page.locator(expected).count() == 1
            checker.check_html(f"the desk: {expected[1:]}", page.content())
        assert "at desk door-1" in page.inner_text("#already")
    assert checker.found == []
