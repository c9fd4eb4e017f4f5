"""Fixtures of the attacker-playing tests."""

from __future__ import annotations

import os

import pytest

from tests.real_parts import missing


@pytest.fixture
def process_memory_readable() -> None:
    """For tests that read a live server's memory or its /proc entries; in CI a missing /proc fails them."""
    if not os.access("/proc/self/mem", os.R_OK):
        missing("reading another process's memory through /proc/PID/mem")
