"""The real programs some tests drive (Chromium, Tor, npm): found, or the test fails in CI and skips elsewhere."""

from __future__ import annotations

import importlib
import os
import shutil

import pytest


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


def missing(what: str) -> None:
    """A real part is not here: CI must not pass by skipping what it was meant to run."""
    message = f"{what} is not installed (.ci/run installs it)"
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def require_program(name: str, *fallbacks: str) -> str:
    for candidate in (name, *fallbacks):
        found = shutil.which(candidate)
        if found:
            return found
    missing(f"the program {name!r}")
    raise AssertionError("unreachable")


def require_module(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        missing(f"the Python package {name!r}")
