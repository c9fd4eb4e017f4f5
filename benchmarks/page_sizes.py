"""Bytes of every participant page in every language, uncompressed, against the 12 KB budget.

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
from tests.helpers import PAGE_BUDGET_BYTES, every_participant_page


def measure() -> dict[str, dict[str, int]]:
    """Per language, every participant page's size in bytes."""
    with tempfile.TemporaryDirectory() as folder:
        create_instance(Path(folder, "instance"), demo_event_source())
        app = create_app({"INSTANCE_DIR": Path(folder, "instance"), "TESTING": True})
        return {
            language: {
                name: len(response.get_data())
                for name, (response, _) in every_participant_page(app, app.test_client(), language).items()
            }
            for language in LANGUAGES
        }


def main() -> None:
    for language, sizes in measure().items():
        largest = max(sizes, key=sizes.get)
        print(f"{language}: largest {largest!r} {sizes[largest]} bytes (budget {PAGE_BUDGET_BYTES})")
        for name, size in sizes.items():
            print(f"    {size:6d}  {name}")


if __name__ == "__main__":
    main()
