"""The README tells the truth: CI runs the very test command it gives, and its staff commands work as written."""

import os
import re
from pathlib import Path

from app.events.definition import demo_event_source
from app.instance.folder import opened
from app.instance.setup import create_instance
from app.staff.accounts import list_staff
from tests.walkthrough import Walkthrough, commands_of, gatehouse_path

ROOT = Path(__file__).resolve().parent.parent


def _commands(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("python3 -m venv")]


def test_ci_runs_the_readme_test_command():
    readme_commands = _commands((ROOT / "README.md").read_text())
    ci_commands = _commands((ROOT / ".ci" / "run").read_text())
    assert len(readme_commands) == 2, "the README gives two commands: the demo and the tests"
    assert readme_commands[0].endswith("gatehouse demo")
    assert ci_commands == [readme_commands[1]]


def test_every_test_security_md_names_exists():
    """SECURITY.md names the test behind each bound: a renamed or deleted test must not leave it naming nothing."""
    named = set(re.findall(r"`(test_\w+)`", (ROOT / "SECURITY.md").read_text()))
    defined = {
        name
        for source in (ROOT / "tests").rglob("test_*.py")
        for name in re.findall(r"^def (test_\w+)", source.read_text(), re.MULTILINE)
    }
    assert named, "SECURITY.md names its tests"
    assert named <= defined, f"SECURITY.md names tests that do not exist: {sorted(named - defined)}"


def _section_commands(title: str) -> list[str]:
    """The command lines of the first ```sh block under a README heading, without their comments."""
    section = (ROOT / "README.md").read_text().split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]
    return commands_of(re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1))


def test_the_staff_commands_of_the_readme_work_in_the_order_written(tmp_path):
    """Run as a new user would, on the instance `gatehouse demo` makes: each prompt answered from what the
    commands before it printed (a new account's passphrase) or from the recovery words."""
    words = " ".join(create_instance(tmp_path / "instance", demo_event_source()))
    environment = {key: value for key, value in os.environ.items() if not key.startswith("GATEHOUSE_")}
    shell = Walkthrough(tmp_path, {**environment, "PATH": gatehouse_path(os.environ["PATH"])}, words)
    commands = _section_commands("Staff")
    assert len(commands) >= 5 and all(command.startswith(".venv/bin/gatehouse ") for command in commands)
    for command in commands:
        ran = shell.run(command.removeprefix(".venv/bin/"))
        assert ran.returncode == 0, f"{command}\n{ran.stderr}"
    with opened(tmp_path / "instance") as (_instance, connection):
        held = {member.username: set(compartments) for member, compartments in list_staff(connection)}
    assert held == {"ana": {"identity", "needs"}, "otto": set()}
    assert (tmp_path / "mira.key").exists()


def test_the_readme_points_to_the_deployment_guide():
    assert "docs/DEPLOY.md" in (ROOT / "README.md").read_text()
