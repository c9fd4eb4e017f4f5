"""Compiles the message catalogs (.po) into the .mo files the application reads, at build and install time.

Everything else about the distribution is in pyproject.toml. A .mo file is never committed and never made
while serving a request: `pip install` (editable or not) and `pip wheel` write them here.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

TRANSLATIONS = Path("app", "web", "translations")


def compile_catalogs(into: Path) -> None:
    """Write app/web/translations/<lang>/LC_MESSAGES/messages.mo under `into` from each .po beside the sources."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for source in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        with source.open("rb") as po_file:
            catalog = read_po(po_file, locale=source.parts[-3])
        target = into / source.with_suffix(".mo")
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as mo_file:
            write_mo(mo_file, catalog)  # fuzzy entries are left out, as gettext's msgfmt does


class BuildPyWithCatalogs(build_py):
    """build_py that also compiles the catalogs: into the build folder for a wheel, in place for an editable install."""

    def run(self) -> None:
        super().run()
        compile_catalogs(Path(".") if self.editable_mode else Path(self.build_lib))


setup(cmdclass={"build_py": BuildPyWithCatalogs})
