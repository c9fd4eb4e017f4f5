"""A real Tor makes the onion address offline; Gatehouse, given its hostname file, offers it and serves both hosts."""

from __future__ import annotations

import http.client
import re
import subprocess
from urllib.parse import urlencode, urlsplit

import pytest

from tests.conftest import serving
from tests.helpers import hidden_fields, valid_answers
from tests.real_parts import require_program
from tests.tor import running_tor, write_torrc


@pytest.fixture(scope="module")
def tor() -> str:
    return require_program("tor")


@pytest.fixture
def onion_site(request, tor, demo_instance, tmp_path):
    """Gatehouse started before Tor (as after a reboot), then Tor writing the hostname file it was given."""
    hostname_file = tmp_path / "onion-service" / "hostname"
    if getattr(request, "param", "option") == "option":
        given = {"extra_args": ["--onion-hostname-file", str(hostname_file)], "env": None}
    else:
        given = {"extra_args": [], "env": {"GATEHOUSE_ONION_HOSTNAME_FILE": str(hostname_file)}}
    with serving(demo_instance.path, tmp_path, *given["extra_args"], env=given["env"]) as server:
        torrc, written = write_torrc(tmp_path, urlsplit(server.url).port)
        assert written == hostname_file
        with running_tor(tor, torrc, hostname_file) as onion:
            yield server, onion


class Browser:
    """A tiny HTTP client that says which host it asked for and keeps cookies, like a browser on one site."""

    def __init__(self, server_url: str, host: str) -> None:
        self.address = urlsplit(server_url)
        self.host = host
        self.cookies: dict[str, str] = {}
        self.set_cookies: list[str] = []

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection(self.address.hostname, self.address.port, timeout=30)
        headers = {"Host": self.host}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.text = response.read().decode("utf-8")
        for cookie in response.headers.get_all("Set-Cookie") or []:
            self.set_cookies.append(cookie)
            name, value = cookie.split(";", 1)[0].split("=", 1)
            self.cookies[name] = value
        connection.close()
        return response


def _verify_config(tor, torrc) -> subprocess.CompletedProcess:
    return subprocess.run(
        [tor, "--verify-config", "--defaults-torrc", "/dev/null", "-f", str(torrc)], capture_output=True, text=True
    )


def test_tor_accepts_the_printed_config_with_proof_of_work_on(tor, tmp_path):
    torrc, _hostname = write_torrc(tmp_path, 8080)
    assert "\nHiddenServicePoWDefensesEnabled 1\n" in torrc.read_text(), "proof of work is on by default"
    checked = _verify_config(tor, torrc)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_tor_accepts_the_printed_config_with_every_option_turned_on(tor, tmp_path):
    torrc, _hostname = write_torrc(tmp_path, 8080)
    text = torrc.read_text()
    option = "HiddenServiceDirGroupReadable 1"
    assert f"\n# {option}\n" in text, "offered as an option, commented out"
    torrc.write_text(text.replace(f"# {option}", option))
    checked = _verify_config(tor, torrc)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("onion_site", ["option", "environment"], indirect=True)
def test_real_onion_address_is_offered_on_the_clear_host_and_not_on_itself(onion_site):
    server, onion = onion_site
    assert re.fullmatch(r"[a-z2-7]{56}\.onion", onion)
    clear = Browser(server.url, urlsplit(server.url).netloc)
    on_onion = Browser(server.url, onion)

    page = clear.request("GET", "/register?lang=en")
    assert page.status == 200
    assert page.headers["Onion-Location"] == f"http://{onion}/register?lang=en"
    assert clear.request("GET", "/").headers["Onion-Location"] == f"http://{onion}/"

    page = on_onion.request("GET", "/register?lang=en")
    assert page.status == 200
    assert "Onion-Location" not in page.headers
    assert onion not in page.text and "127.0.0.1" not in page.text, "pages name neither address"


def test_both_hosts_take_a_whole_registration_and_redirect_by_path(onion_site):
    server, onion = onion_site
    for host in (onion, urlsplit(server.url).netloc):
        browser = Browser(server.url, host)
        form = browser.request("GET", "/register")
        receipt = browser.request("POST", "/register", {**hidden_fields(form.text), **valid_answers()})
        assert receipt.status == 200 and 'id="codename"' in receipt.text, host
        for path in ("/staff", "/staff/"):
            redirect = browser.request("GET", path)
            assert redirect.status in (302, 308), host
            assert redirect.headers["Location"].startswith("/"), f"{path} on {host} redirects to an absolute URL"


def _staff_login(browser: Browser, person) -> None:
    page = browser.request("GET", "/staff/login")
    form = {"csrf_token": hidden_fields(page.text)["csrf_token"], "username": person.username}
    answer = browser.request("POST", "/staff/login", {**form, "passphrase": person.passphrase, "code": person.code()})
    assert answer.status == 303 and answer.headers["Location"] == "/staff/"


def test_cookies_are_secure_on_the_onion_host_and_not_on_clear_http(onion_site, team):
    server, onion = onion_site
    on_onion = Browser(server.url, onion)
    on_onion.request("GET", "/register")
    _staff_login(on_onion, team["ana"])
    clear = Browser(server.url, urlsplit(server.url).netloc)
    clear.request("GET", "/register")
    _staff_login(clear, team["otto"])
    for browser in (on_onion, clear):
        assert {"gatehouse", "gatehouse_staff"} <= set(browser.cookies), "the participant and the staff cookie"
    for cookie in on_onion.set_cookies:
        assert "; Secure" in cookie, cookie.split("=", 1)[0]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    for cookie in clear.set_cookies:
        assert "Secure" not in cookie, "a Secure cookie over plain http to a clear host would never come back"
