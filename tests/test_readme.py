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
