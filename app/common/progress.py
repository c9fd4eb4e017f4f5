"""Progress bars for long operations: drawn on standard error when it is a terminal, silent anywhere else."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

Progress = Callable[[int, int], None]  # (done, total), as offline_bundle reports it
Steps = Callable[[str], Progress]  # one bar per named step: steps("Reading") -> progress


def quiet(_label: str) -> Progress:
    return lambda _done, _total: None


class TerminalProgress:
    """``steps(label)`` starts a new bar, ending the one before; ``close()`` ends the last."""

    WIDTH = 30

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._enabled = self._stream.isatty()
        self._drawn: tuple[str, int] | None = None

    def __call__(self, label: str) -> Progress:
        self.close()

        def update(done: int, total: int) -> None:
            if not self._enabled or total <= 0:
                return
            percent = min(100, done * 100 // total)
            if self._drawn == (label, percent):
                return  # redraw only when the figure changes: cheap for a hundred thousand calls
            filled = self.WIDTH * percent // 100
            self._stream.write(f"\r{label:<12} [{'#' * filled}{' ' * (self.WIDTH - filled)}] {percent:3d}%")
            self._stream.flush()
            self._drawn = (label, percent)

        return update

    def close(self) -> None:
        if self._drawn is not None:
            self._stream.write("\n")
            self._stream.flush()
            self._drawn = None
