"""The CI dependency audit fails on a vulnerability with a fix, and never passes off an unchecked package as clean."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_PATH = Path(__file__).resolve().parent.parent / ".ci" / "dependency_audit.py"
_SPEC = importlib.util.spec_from_file_location("dependency_audit", _PATH)
assert _SPEC and _SPEC.loader
audit = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(audit)


def _dependency(name, vulns=()):
    return {"name": name, "version": "1.0", "vulns": list(vulns)}


def test_a_vulnerability_with_a_fixed_release_fails_the_audit_and_is_named():
    report = {
        "dependencies": [
            _dependency("flask"),
            _dependency("werkzeug", [{"id": "GHSA-xxxx", "fix_versions": ["3.1.10"], "aliases": []}]),
        ]
    }
    status, lines = audit.verdict(report)
    assert status == 1
    assert "VULNERABLE, FIX AVAILABLE: werkzeug 1.0: GHSA-xxxx (fixed in 3.1.10)" in lines


def test_a_vulnerability_with_no_fix_yet_is_printed_but_does_not_fail():
    status, lines = audit.verdict({"dependencies": [_dependency("pynacl", [{"id": "PYSEC-1", "fix_versions": []}])]})
    assert status == 0
    assert any(line.startswith("vulnerable, no fix yet: pynacl") for line in lines)


def test_a_clean_audit_says_so_only_when_packages_were_checked():
    status, lines = audit.verdict({"dependencies": [_dependency("flask"), _dependency("waitress")]})
    assert status == 0 and lines[-1] == "no known vulnerability with a fix available"
    skipped = {"dependencies": [{"name": "flask", "skip_reason": "Dependency not found on PyPI"}]}
    status, lines = audit.verdict(skipped)
    assert status == 0
    assert "no known vulnerability" not in "\n".join(lines)
    assert any(line.startswith("NOT AUDITED: no package could be checked") for line in lines)


def test_a_partly_checked_environment_names_each_package_left_unchecked():
    report = {"dependencies": [_dependency("flask"), {"name": "sqlcipher3", "skip_reason": "not on PyPI"}]}
    _status, lines = audit.verdict(report)
    assert "NOT AUDITED: sqlcipher3: not on PyPI" in lines
