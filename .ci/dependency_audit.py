"""The dependency audit of CI: pip-audit over the environment the tests ran in.

Fails (exit 1) on a known vulnerability for which a fixed release exists: upgrade, or pin
past it. A vulnerability with no fix yet is printed and does not fail, since nothing can
be done but watch it. A package pip-audit could not check is printed as NOT AUDITED with
the reason pip-audit gave: where CI cannot reach a vulnerability service (a closed
network that lets through only the package index's download pages), every package is,
and the line says so plainly rather than passing for a clean audit.

Run:  .venv/bin/python .ci/dependency_audit.py
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence


def verdict(report: dict) -> tuple[int, list[str]]:
    """Exit status and lines to print, from pip-audit's JSON report."""
    fixable, unfixable, skipped, audited = [], [], [], 0
    for dependency in report.get("dependencies", []):
        name = dependency.get("name", "?")
        if "skip_reason" in dependency:
            skipped.append(f"{name}: {dependency['skip_reason']}")
            continue
        audited += 1
        for vulnerability in dependency.get("vulns", []):
            line = f"{name} {dependency.get('version', '?')}: {vulnerability.get('id', '?')}"
            fixes = vulnerability.get("fix_versions") or []
            if fixes:
                fixable.append(f"{line} (fixed in {', '.join(fixes)})")
            else:
                unfixable.append(f"{line} (no fixed release yet)")
    lines = [f"dependency audit: {audited} packages audited, {len(skipped)} not audited"]
    lines += [f"VULNERABLE, FIX AVAILABLE: {line}" for line in fixable]
    lines += [f"vulnerable, no fix yet: {line}" for line in unfixable]
    if skipped and not audited:
        lines.append(
            "NOT AUDITED: no package could be checked; the vulnerability service answered for none of them."
            f" First reason given: {skipped[0]}"
        )
    else:
        lines += [f"NOT AUDITED: {line}" for line in skipped]
    if not fixable and audited:
        lines.append("no known vulnerability with a fix available")
    return (1 if fixable else 0), lines


def main(arguments: Sequence[str] = ()) -> int:
    command = [sys.executable, "-m", "pip_audit", "--format", "json", "--progress-spinner", "off", "--skip-editable"]
    ran = subprocess.run([*command, *arguments], capture_output=True, text=True, check=False)  # noqa: S603
    if "No module named pip_audit" in ran.stderr:
        print("pip-audit is not installed in this environment: install it before the audit")
        return 2
    try:
        report = json.loads(ran.stdout)
    except json.JSONDecodeError:
        print(f"NOT AUDITED: pip-audit gave no report (exit {ran.returncode}): {ran.stderr.strip()[-500:]}")
        return 0
    status, lines = verdict(report)
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
