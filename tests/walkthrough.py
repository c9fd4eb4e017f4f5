"""Documented commands run as a new user would run them: in order, in one folder, each through the shell, each
prompt answered from what came before (the recovery words `init` printed, a passphrase `staff add` printed)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

OFFLINE_KEY_PASSPHRASE = "a passphrase for the offline key"


def commands_of(block: str) -> list[str]:
    """The command lines of a ```sh block, without their comments."""
    return [re.split(r"\s+#\s", line)[0].strip() for line in block.splitlines() if line.strip()]


def recovery_words(init_output: str) -> str:
    """The 24 words `gatehouse init` prints, in order."""
    after = init_output.split("RECOVERY KEY", 1)[1]
    words = [word for line in after.splitlines() if line.startswith("    ") for word in line.split()]
    assert len(words) == 24, init_output
    return " ".join(words)


@dataclass
class Walkthrough:
    """A shell in ``folder`` with ``environment``, where `gatehouse` is this checkout's."""

    folder: Path
    environment: dict[str, str]
    words: str = ""
    passphrases: dict[str, str] = field(default_factory=dict)

    def answer(self, command: str) -> str:
        """What a person would type at the prompt this command shows, if it shows one."""
        words = shlex.split(command)
        arguments = words[words.index("gatehouse") + 1 :] if "gatehouse" in words else []
        if "--recovery" in arguments or arguments[:1] == ["restore"]:
            return self.words
        if arguments[:1] == ["grant"] and "--from" in arguments:
            return self.passphrases[arguments[arguments.index("--from") + 1]]
        if arguments[:2] == ["keys", "new"]:
            return OFFLINE_KEY_PASSPHRASE
        return ""

    def run(self, command: str) -> subprocess.CompletedProcess:
        ran = subprocess.run(
            ["/bin/sh", "-c", command],
            input=self.answer(command) + "\n",
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.folder,
            env=self.environment,
        )
        if "RECOVERY KEY" in ran.stdout:
            self.words = recovery_words(ran.stdout)
        made = re.search(r"Account (\w+) .*\n\s*passphrase:\s+(.+)", ran.stdout)
        if made:
            self.passphrases[made.group(1)] = made.group(2).strip()
        return ran


def gatehouse_path(path: str) -> str:
    """A PATH on which `gatehouse` is the one installed beside the Python running the tests."""
    return f"{Path(sys.executable).parent}:{path}"
