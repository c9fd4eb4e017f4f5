"""docs/DEPLOY.md tells the truth: every command it gives the `gatehouse` user runs, in the order written, on a
fresh instance, and the server the guide's unit starts answers the doctor; when the guide and the commands drift
apart, this fails. Root's blocks (packages, /etc, systemd) are not run, except that where the guide starts the unit,
the test starts the unit the guide wrote, under its restrictions where this machine can apply them."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
from pathlib import Path

from app.instance.folder import opened
from app.staff.accounts import list_staff
from tests import confinement
from tests.conftest import free_port
from tests.real_parts import require_program
from tests.walkthrough import Walkthrough, commands_of, gatehouse_path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "DEPLOY.md"
VARIABLES = {
    "GATEHOUSE_SOURCE",
    "GATEHOUSE_INSTANCE",
    "GATEHOUSE_BACKUP_FOLDER",
    "GATEHOUSE_ONION_HOSTNAME_FILE",
    "GATEHOUSE_PORT",
    "PATH",
}


def guide_blocks() -> list[tuple[bool, str]]:
    """Every fenced block of the guide, in order: (run as root, its text)."""
    text = GUIDE.read_text()
    fences = re.findall(r"^```([^\n]*)\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    assert {info for info, _body in fences} <= {"sh", "sh root"}, "every block says who runs it"
    return [(info == "sh root", body) for info, body in fences]


def test_the_guide_defines_the_variables_the_test_sets_and_nothing_else():
    defined = set(re.findall(r"^export (\w+)=", GUIDE.read_text(), re.MULTILINE))
    assert defined == VARIABLES, "a variable the guide adds must be given a value here too"


def test_every_command_of_the_deployment_guide_works_in_the_order_written():
    require_program("systemd-analyze")  # the guide checks its unit with it
    with confinement.folder_outside_tmp() as home, contextlib.ExitStack() as server:
        port = free_port()
        environment = {key: value for key, value in os.environ.items() if not key.startswith("GATEHOUSE_")}
        environment |= {
            "HOME": str(home),
            "PATH": gatehouse_path(os.environ["PATH"]),
            "GATEHOUSE_SOURCE": str(ROOT),
            "GATEHOUSE_INSTANCE": str(home / "instance"),
            "GATEHOUSE_BACKUP_FOLDER": str(home / "backups"),
            "GATEHOUSE_ONION_HOSTNAME_FILE": str(home / "onion-hostname"),
            "GATEHOUSE_PORT": str(port),
            **confinement.program_environment(home),
        }
        shell = Walkthrough(home, environment)
        printed: dict[str, str] = {}
        for as_root, block in guide_blocks():
            if as_root:
                if "systemctl enable --now gatehouse" in block:
                    server.enter_context(_start_the_unit(home, port))
                continue
            assert "<<" not in block, "the gatehouse user's commands are one line each"
            for command in commands_of(block):
                ran = shell.run(command)
                printed[command.split(" --")[0]] = ran.stdout
                if command.startswith("gatehouse doctor"):
                    # Its verdict is this machine's (swap, tor, the user running the tests); it must run and see
                    # the server the unit started, and the backup made before it.
                    assert ran.returncode in (0, 1), f"{command}\n{ran.stderr}"
                    assert re.search(r"^ok +bound to loopback ", ran.stdout, re.MULTILINE), ran.stdout
                    assert re.search(r"^ok +newest backup ", ran.stdout, re.MULTILINE), ran.stdout
                else:
                    assert ran.returncode == 0, f"{command}\n{ran.stdout}\n{ran.stderr}"

        assert "gatehouse doctor" in printed and "gatehouse restore" in " ".join(printed), "the guide walks it all"
        with opened(home / "instance") as (_instance, connection):
            held = {member.username: set(compartments) for member, compartments in list_staff(connection)}
        assert held == {"ana": {"identity", "contact"}, "otto": {"needs"}}
        assert list((home / "backups").glob("gatehouse-backup-*.ghb")), "the first backup is in the backup folder"
        assert not (home / "drill" / "secret.key").exists(), "the drill instance was wiped"


@contextlib.contextmanager
def _start_the_unit(home: Path, port: int):
    """What `systemctl enable --now gatehouse` does: the unit's ExecStart, confined as the unit says if possible."""
    private_tmp = home / "private-tmp"
    private_tmp.mkdir()
    if confinement.can_confine() is None:
        confinement.require_tools()
        with confinement.serving_unit(home / "gatehouse.service", private_tmp, f"http://127.0.0.1:{port}/"):
            yield
        return
    command = confinement.exec_start((home / "gatehouse.service").read_text())
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as process:
        try:
            confinement.wait_for(f"http://127.0.0.1:{port}/", process)
            yield
        finally:
            process.terminate()
