"""Bytes of every participant page in every language on the wire, uncompressed: the body and the status line and
headers as waitress sends them, against the 12 KB budget their sum must fit.

The pages are the ones tests/test_i18n.py walks (form, errors, receipt, status, follow-up, withdrawal,
error pages), built on a fresh demo instance.

Run:  python -m benchmarks.page_sizes
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from app.events.definition import demo_event_source
from app.instance.setup import create_instance
from app.web.application import create_app
from app.web.i18n import LANGUAGES
from tests.helpers import PAGE_BUDGET_BYTES, every_participant_page, wire_bytes

__all__ = ["PAGE_BUDGET_BYTES", "measure", "totals"]


def measure() -> dict[str, dict[str, tuple[int, int]]]:
    """Per language, every participant page's (body, headers) in bytes."""
    with tempfile.TemporaryDirectory() as folder:
        create_instance(Path(folder, "instance"), demo_event_source())
        app = create_app({"INSTANCE_DIR": Path(folder, "instance"), "TESTING": True})
        return {
            language: {
                name: wire_bytes(response)
                for name, (response, _) in every_participant_page(app, app.test_client(), language).items()
            }
            for language in LANGUAGES
        }


def totals(sizes: dict[str, tuple[int, int]]) -> dict[str, int]:
    """Each page's bytes on the wire: body and headers together."""
    return {name: body + headers for name, (body, headers) in sizes.items()}


def main() -> None:
    for language, sizes in measure().items():
        on_wire = totals(sizes)
        largest = max(on_wire, key=lambda name: on_wire[name])
        body, headers = sizes[largest]
        print(
            f"{language}: largest {largest!r} {on_wire[largest]} bytes = {body} body + {headers} headers"
            f" (budget {PAGE_BUDGET_BYTES})"
        )
        for name, (body, headers) in sizes.items():
            print(f"    {body + headers:6d} = {body:6d} + {headers:4d}  {name}")


if __name__ == "__main__":
    main()
