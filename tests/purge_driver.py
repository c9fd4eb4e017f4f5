"""Runs the real purge on an instance folder, and stops for good when it reaches a named step, so that a test
can kill it exactly there: `python -m tests.purge_driver FOLDER STEP` prints "at STEP" and waits to be killed.

The steps are those `app.registrations.retention.purge` reports: "due", "batch N" for each batch (one transaction
each), "messages", "letters", "log", then "scrub".
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from app.instance.folder import opened
from app.registrations import retention


def main(folder: str, stop_at: str) -> None:
    def progress(step: str) -> None:
        if step == stop_at:
            print(f"at {step}", flush=True)
            threading.Event().wait()  # until SIGKILL

    with opened(Path(folder)) as (instance, connection):
        retention.purge(connection, instance.event, retention.purge_day(connection), progress=progress)
    print("finished", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:3])
