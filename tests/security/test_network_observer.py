"""A network observer, a hostile Tor exit, or a third party: they must learn nothing from the traffic.

No page loads anything from another origin or runs a script, every response's CSP forbids
scripts, the server opens no connection of its own (no email, no lookup, no call home),
and cookies are Secure on an onion address and over HTTPS.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
from html.parser import HTMLParser
from pathlib import Path

from app.web.i18n import LANGUAGES
from tests.conftest import running_server
from tests.security import canaries, scenes, visitor

ONION = "gatehouseexampleonionaddressxxxxxxxxxxxxxxxxxxxxxxxxxxxx.onion"
URL_ATTRIBUTES = {"src", "href", "action", "formaction", "srcset", "poster", "data", "background", "cite",
                  "manifest", "ping", "longdesc", "xlink:href", "codebase", "archive", "icon"}  # fmt: skip
# Modules through which code sends mail or reaches another machine.
OUTBOUND_MODULES = {"smtplib", "email", "urllib.request", "http.client", "requests", "httpx", "aiohttp", "ftplib",
                    "imaplib", "poplib", "xmlrpc.client", "socket", "ssl", "telnetlib", "urllib3"}  # fmt: skip


class _PageParts(HTMLParser):
    """Every tag with its attributes, and the text of every <style>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def _same_origin(url: str) -> bool:
    url = url.strip()
    return url.startswith(("/", "?", "#", "data:")) and not url.startswith("//") or url == ""


def _problems(page: visitor.Page) -> list[str]:
    parts = _PageParts()
    parts.feed(page.html)
    problems = []
    for tag, attributes in parts.tags:
        if tag in ("script", "iframe", "frame", "object", "embed", "applet", "base"):
            problems.append(f"<{tag}>")
        if tag == "meta" and attributes.get("http-equiv", "").lower() == "refresh":
            problems.append("<meta refresh>")
        if tag == "form" and attributes.get("method", "get").lower() != "post":
            problems.append("a form that would put its answers in the address")
        for name, value in attributes.items():
            if name.startswith("on"):
                problems.append(f"<{tag} {name}>")
            urls = [part.split()[0] for part in value.split(",") if part.strip()] if name == "srcset" else [value]
            if name in URL_ATTRIBUTES and not all(_same_origin(url) for url in urls):
                problems.append(f"<{tag} {name}={value}>")
            if "javascript:" in value.lower():
                problems.append(f"<{tag} {name}> javascript:")
    for style in parts.styles + [a.get("style", "") for _t, a in parts.tags]:
        if re.search(r"url\(|@import", style, re.IGNORECASE):
            problems.append("a style that loads something")
    policy = dict(part.strip().split(" ", 1) for part in page.headers["content-security-policy"][0].split(";"))
    if policy.get("default-src") != "'none'" or "script-src" in policy or "script-src-elem" in policy:
        problems.append(f"CSP allows scripts: {policy}")
    if policy.get("frame-ancestors") != "'none'":
        problems.append("CSP lets the page be framed")
    return problems


def _every_participant_page(url: str, team) -> dict[str, visitor.Page]:
    """Each page a participant can see, in each state, and the error pages, fetched over HTTP."""
    approved, withdrawing, *_ = scenes.a_working_day(url, team, participants=3)
    anyone = visitor.Visitor(url)
    form = anyone.get("/register")
    pages = {
        **{f"home in {code}": anyone.get(f"/?lang={code}") for code in LANGUAGES},
        "register": form,
        "register with a missing answer": anyone.post_form("/register", "/register", {"full_name": ""}),
        "receipt": approved.receipt,
        "status form": anyone.get("/status"),
        "status, codename unknown": anyone.post_form("/status", "/status", {"codename": "no such words " * 3}),
        "status, approved with the follow-up form": visitor.status(approved),
        "status, follow-up sent": visitor.send_follow_up(approved, canaries.follow_up_answers(0)),
        "withdrawn": visitor.withdraw(withdrawing),
        "staff login": anyone.get("/staff/login"),
        "not found": anyone.get("/no/such/page"),
        "method not allowed": anyone.request("/", {"x": "y"}),
        "too large": anyone.request("/register", {"full_name": "x" * 300_000}),
    }
    assert pages["withdrawn"].status == 200 and pages["not found"].status == 404
    assert pages["too large"].status == 413 and pages["method not allowed"].status == 405
    return pages


def test_network_observer_sees_no_third_party_request_and_no_script_on_any_participant_page(
    demo_instance, team, tmp_path
):
    with running_server(demo_instance.path, tmp_path) as server:
        pages = _every_participant_page(server.url, team)
        connections = _connections_of(server.process.pid)
    # Waitress itself refuses a body over the limit, before the application sees it: plain text, fixed words.
    too_large = pages.pop("too large")
    assert too_large.headers["content-type"] == ["text/plain; charset=utf-8"] and "x" * 10 not in too_large.html
    found = {name: problems for name, page in pages.items() if (problems := _problems(page))}
    assert found == {}
    assert [address for address in connections if not _loopback(address)] == [], "the server reached out"


def test_the_page_check_would_see_a_script_or_a_third_party_request():
    headers = {"content-security-policy": ["default-src 'none'; frame-ancestors 'none'"]}
    for html in (
        "<script>alert(1)</script>",
        '<img src="https://tracker.example/p.gif">',
        '<link rel="stylesheet" href="//fonts.example/css">',
        '<form action="https://elsewhere.example/"></form>',
        '<a href="javascript:void(0)">x</a>',
        "<style>body{background:url(https://cdn.example/x.png)}</style>",
        '<img srcset="/a.png 1x, https://cdn.example/b.png 2x">',
        '<body onload="x()">',
        '<form action="/status"><input name="codename"></form>',
    ):
        assert _problems(visitor.Page(200, html, headers)), html
    assert _problems(visitor.Page(200, "<p>ok</p>", {"content-security-policy": ["default-src 'self'"]}))


def _connections_of(pid: int) -> list[str]:
    """The remote address of every TCP and UDP socket the process has open, from /proc."""
    inodes = set()
    for descriptor in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{descriptor}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    remotes = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        for line in path.read_text().splitlines()[1:] if path.exists() else ():
            fields = line.split()
            if fields[9] in inodes:
                remotes.append(fields[2])
    assert remotes, "the listening socket itself must be seen"
    return remotes


def _loopback(address: str) -> bool:
    host, _port = address.split(":")
    if len(host) == 8:  # IPv4, little-endian hex
        return host in ("00000000",) or host.endswith("7F")
    return host in ("0" * 32, "0" * 24 + "01000000", "0000000000000000FFFF00000100007F")


def test_network_observer_sees_no_email_because_the_server_has_no_code_to_send_any():
    imported: dict[str, set[str]] = {}
    for package in ("app", "crypto", "offline_bundle"):
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            continue
        for source in Path(spec.origin).parent.rglob("*.py"):
            for node in ast.walk(ast.parse(source.read_text("utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                for name in names:
                    if name in OUTBOUND_MODULES or name.split(".")[0] in {"smtplib", "email", "requests", "httpx"}:
                        imported.setdefault(str(source.name), set()).add(name)
            text = source.read_text("utf-8")
            assert not re.search(r"\bsmtplib\b|sendmail|SMTP\(", text), source
    # The one exception: a field kit's TLS front (app/serving/tls.py) accepts HTTPS on the local network and
    # passes the bytes to waitress on loopback; it opens no connection anywhere else.
    assert imported.pop("tls.py", set()) <= {"ssl"}
    tls_source = (Path(importlib.util.find_spec("app").origin).parent / "serving" / "tls.py").read_text("utf-8")
    assert re.findall(r"open_connection\(([^,]+),", tls_source) == ['"127.0.0.1"']
    assert imported == {}, f"code that could send mail or reach another machine: {imported}"


def _cookies(page: visitor.Page) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in page.headers.get("set-cookie", [])}


def test_network_observer_on_an_onion_address_only_ever_sees_secure_cookies(demo_instance, team, tmp_path):
    with running_server(demo_instance.path, tmp_path) as server:
        participant = visitor.Visitor(server.url, host=ONION)
        form = participant.get("/register")
        staff = visitor.Visitor(server.url, host=ONION)
        login_form = staff.get("/staff/login")
        otto = team["otto"]
        logged_in = staff.post_form(
            "/staff/login", "/staff/login", {"username": "otto", "passphrase": otto.passphrase, "code": otto.code()}
        )
    cookies = {**_cookies(form), **_cookies(login_form), **_cookies(logged_in)}
    assert {"gatehouse", "gatehouse_staff"} <= set(cookies)
    for name, header in cookies.items():
        attributes = [part.strip().lower() for part in header.split(";")]
        assert "secure" in attributes and "httponly" in attributes and "samesite=strict" in attributes, name


def test_network_observer_over_https_only_ever_sees_secure_cookies(app, team):
    from tests.helpers import hidden_fields

    client = app.test_client()
    base = "https://gatehouse.example"
    form = client.get("/register", base_url=base)
    page = client.get("/staff/login", base_url=base)
    logged_in = client.post(
        "/staff/login",
        base_url=base,
        data={
            "csrf_token": hidden_fields(page.get_data(as_text=True))["csrf_token"],
            "username": "otto",
            "passphrase": team["otto"].passphrase,
            "code": team["otto"].code(),
        },
    )
    headers = [*form.headers.getlist("Set-Cookie"), *logged_in.headers.getlist("Set-Cookie")]
    assert {header.split("=", 1)[0] for header in headers} >= {"gatehouse", "gatehouse_staff"}
    assert all("; Secure" in header for header in headers)
