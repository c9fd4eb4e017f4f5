"""A real part that is missing skips a test on a developer's machine, and fails it in CI."""

from __future__ import annotations

import pytest

from tests.real_parts import require_program


def test_a_missing_program_fails_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="not installed"):
        require_program("gatehouse-no-such-program")


def test_a_missing_program_skips_elsewhere(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        require_program("gatehouse-no-such-program")
