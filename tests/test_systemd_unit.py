"""`gatehouse systemd-unit`: a unit systemd accepts as written, under whose restrictions `gatehouse serve` starts,
registers a participant and logs staff in; and the restrictions applied in the test are real ones."""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pyotp
import pytest

from app.events.definition import demo_event_source
from app.instance.setup import create_instance
from tests import confinement
from tests.conftest import free_port
from tests.helpers import codename_on, hidden_fields, valid_answers
from tests.real_parts import require_program

CONFINEMENT_UNAVAILABLE = confinement.can_confine()
HARDENING = (
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "PrivateTmp=yes",
    "LimitCORE=0",
    "PrivateDevices=yes",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectKernelLogs=yes",
    "ProtectControlGroups=yes",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
    "RestrictNamespaces=yes",
    "LockPersonality=yes",
    "MemoryDenyWriteExecute=yes",
    "SystemCallFilter=@system-service",
    "UMask=0077",
    "Restart=on-failure",
    "User=gatehouse",
)


def gatehouse(*arguments: str, program: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, **(program or {})}
    return subprocess.run(
        [sys.executable, "-m", "app", *arguments], capture_output=True, text=True, timeout=60, env=environment
    )


@pytest.fixture(scope="module")
def program():
    """Where the unit finds the gatehouse program (a wrapper, for a checkout under /tmp)."""
    with confinement.folder_outside_tmp() as folder:
        yield confinement.program_environment(folder)


@pytest.fixture
def deployment(program):
    """An instance and a backup folder where a unit can keep them (not under /tmp), and the unit serving them."""
    with confinement.folder_outside_tmp() as folder:
        create_instance(folder / "instance", demo_event_source())
        (folder / "backups").mkdir(mode=0o700)
        port = free_port()
        made = gatehouse(
            "systemd-unit",
            *("--instance", str(folder / "instance"), "--backup-folder", str(folder / "backups")),
            *("--port", str(port)),
            program=program,
        )
        assert made.returncode == 0, made.stderr
        (folder / "gatehouse.service").write_text(made.stdout)
        yield folder, port


def test_the_unit_passes_systemd_analyze_verify_and_carries_every_hardening_directive(deployment):
    analyze = require_program("systemd-analyze")
    folder, _port = deployment
    unit = (folder / "gatehouse.service").read_text()
    for directive in HARDENING:
        assert f"\n{directive}\n" in unit, directive
    assert f"ReadWritePaths={folder / 'instance'} {folder / 'backups'}\n" in unit
    # Home folders are hidden; a folder of the service's under one (a test's, in a home cache) is bound back in.
    home = any(folder.is_relative_to(base) for base in ("/home", "/root", "/run/user"))
    assert ("\nProtectHome=tmpfs\nBindPaths=" if home else "\nProtectHome=yes\n") in unit

    verified = subprocess.run(
        [analyze, "verify", str(folder / "gatehouse.service")],
        capture_output=True,
        text=True,
        timeout=60,
    )

    complaints = [line for line in verified.stderr.splitlines() if "gatehouse.service" in line]
    assert verified.returncode == 0 and not complaints, verified.stderr


def test_the_unit_refuses_a_folder_the_service_would_see_empty_a_root_user_or_no_instance(tmp_path, program):
    under_tmp = gatehouse("systemd-unit", "--instance", str(tmp_path / "instance"), program=program)
    as_root = gatehouse("systemd-unit", "--instance", "/srv/gatehouse/instance", "--user", "root", program=program)
    public = gatehouse("systemd-unit", "--instance", "/srv/gatehouse/instance", "--host", "0.0.0.0")  # noqa: S104
    missing = gatehouse("systemd-unit", "--instance", "/srv/no-such-folder/instance", program=program)
    program_under_tmp = gatehouse(
        "systemd-unit", "--instance", "/srv/gatehouse/instance", program={"GATEHOUSE_PROGRAM": str(tmp_path / "gh")}
    )

    assert under_tmp.returncode == 1 and "PrivateTmp" in under_tmp.stderr and not under_tmp.stdout
    assert as_root.returncode == 1 and "not serve as root" in as_root.stderr and not as_root.stdout
    assert public.returncode == 2 and "loopback" in public.stderr
    assert missing.returncode == 1 and "set it up first" in missing.stderr and not missing.stdout
    assert program_under_tmp.returncode == 1 and "PrivateTmp" in program_under_tmp.stderr


@pytest.mark.skipif(CONFINEMENT_UNAVAILABLE is not None, reason=str(CONFINEMENT_UNAVAILABLE))
def test_serve_starts_registers_and_logs_staff_in_under_the_units_restrictions(deployment):
    confinement.require_tools()
    folder, port = deployment
    staff = gatehouse("staff", "add", "ana", "--role", "admin", "--instance", str(folder / "instance"))
    passphrase = re.search(r"passphrase:\s+(.+)", staff.stdout).group(1).strip()
    totp_secret = re.search(r"TOTP secret:\s+(\S+)", staff.stdout).group(1)
    private_tmp = folder / "private-tmp"
    private_tmp.mkdir()
    url = f"http://127.0.0.1:{port}"

    with confinement.serving_unit(folder / "gatehouse.service", private_tmp, url + "/") as server:
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        form = browser.open(url + "/register").read().decode()
        answers = urllib.parse.urlencode({**hidden_fields(form), **valid_answers()}).encode()
        receipt = browser.open(url + "/register", answers).read().decode()
        login = browser.open(url + "/staff/login").read().decode()
        credentials = {"username": "ana", "passphrase": passphrase, "code": pyotp.TOTP(totp_secret).now()}
        staff_page = browser.open(
            url + "/staff/login", urllib.parse.urlencode({**hidden_fields(login), **credentials}).encode()
        )
        status = Path(f"/proc/{server.pid}/status").read_text()
        limits = Path(f"/proc/{server.pid}/limits").read_text()

    assert codename_on(receipt), "the registration went through: sealed with PyNaCl under the restrictions"
    assert staff_page.url.endswith("/staff/"), "Argon2 and the session's keys worked under the restrictions"
    assert re.search(r"Max core file size\s+0\s+0", limits)
    assert re.search(r"Umask:\s+0077", status) and re.search(r"NoNewPrivs:\s+1", status)
    assert re.search(r"Seccomp:\s+2", status), "the system call filter was on"
    assert list(private_tmp.iterdir()) == [], "nothing was written even to its private /tmp"
    for path in (folder / "instance").iterdir():
        assert path.stat().st_mode & 0o077 == 0, path.name


@pytest.mark.skipif(CONFINEMENT_UNAVAILABLE is not None, reason=str(CONFINEMENT_UNAVAILABLE))
@pytest.mark.parametrize(
    "attempt",
    [
        "open('{outside}', 'w')",
        "import socket; socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)",
        "import mmap; mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)",
        "import ctypes; ctypes.CDLL(None).ptrace(0, 0, 0, 0)",  # PTRACE_TRACEME: harmless, outside @system-service
    ],
    ids=["write outside the folders", "netlink socket", "writable executable memory", "system call outside the list"],
)
def test_the_restrictions_the_test_serves_under_refuse_what_the_unit_forbids(deployment, attempt):
    confinement.require_tools()
    folder, _port = deployment
    (folder / "private-tmp").mkdir()
    code = attempt.format(outside=folder / "outside")
    command = [sys.executable, confinement.__file__, str(folder / "gatehouse.service"), str(folder / "private-tmp")]

    refused = subprocess.run([*command, sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    allowed = subprocess.run([*command, sys.executable, "-c", "print('ok')"], capture_output=True, text=True)

    assert allowed.returncode == 0 and allowed.stdout == "ok\n", allowed.stderr
    assert refused.returncode != 0, f"{attempt} was allowed"
    assert not (folder / "outside").exists()
