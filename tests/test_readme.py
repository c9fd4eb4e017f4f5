"""The README tells the truth: CI runs the very test command it gives."""

from pathlib import Path

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
    import re

    named = set(re.findall(r"`(test_\w+)`", (ROOT / "SECURITY.md").read_text()))
    defined = {
        name
        for source in (ROOT / "tests").rglob("test_*.py")
        for name in re.findall(r"^def (test_\w+)", source.read_text(), re.MULTILINE)
    }
    assert named, "SECURITY.md names its tests"
    assert named <= defined, f"SECURITY.md names tests that do not exist: {sorted(named - defined)}"
