"""The errors a bundle reader raises: each one a sentence a person at a terminal can act on.

Messages hold part numbers, key fingerprints and kinds, never a record's content.
"""

from __future__ import annotations

from collections.abc import Sequence


class BundleError(Exception):
    """Base class for every error raised while reading a bundle; nothing else escapes the reader."""


class NotABundle(BundleError):
    """A file that does not start like a Gatehouse bundle."""

    def __init__(self, position: int | None, *, text_mode: bool = False) -> None:
        self.position = position
        what = "This file" if position is None else f"The {ordinal(position + 1)} file given"
        message = f"{what} is not a Gatehouse bundle."
        if text_mode:
            message += (
                " It looks like one whose line endings were changed on the way (a text-mode transfer):"
                " send it again as a binary file or attachment."
            )
        super().__init__(message)


class UnsupportedVersion(BundleError):
    """A bundle written in a format version this reader does not know."""

    def __init__(self, version: int, supported: int) -> None:
        self.version = version
        advice = (
            " Have it written again by this version of Gatehouse, or open it with the version that wrote it."
            if version < supported
            else " Open it with the Gatehouse version that wrote it, or a newer one."
        )
        super().__init__(
            f"This bundle uses format version {version}, but this Gatehouse reads version {supported}." + advice
        )


class BundleDamaged(BundleError):
    """Parts that fail their authentication, or contents that do not parse once every part is authentic.

    ``parts`` are the part numbers as written in the damaged parts (a damaged number may itself be wrong);
    ``positions`` are 0-based indexes into the list of parts given, for naming files.
    """

    def __init__(
        self,
        *,
        parts: Sequence[int] = (),
        positions: Sequence[int] = (),
        total: int | None = None,
        missing: Sequence[int] = (),
        reason: str | None = None,
    ) -> None:
        self.parts = tuple(parts)
        self.positions = tuple(positions)
        self.total = total
        self.missing = tuple(missing)
        if reason is not None:
            message = f"The bundle is damaged: {reason}."
        elif self.parts and total is not None:
            noun, verb = ("Part", "is") if len(self.parts) == 1 else ("Parts", "are")
            them = "it" if len(self.parts) == 1 else "them"
            message = f"{noun} {number_list(self.parts)} of {total} {verb} damaged: ask for {them} to be sent again."
        else:
            files = " and ".join(f"the {ordinal(position + 1)}" for position in self.positions[:3]) or "a"
            plural = "s" if len(self.positions) > 1 else ""
            message = f"The bundle is damaged: {files} file{plural} given cannot be read as a bundle part."
        if self.missing and total is not None:
            noun = "Part" if len(self.missing) == 1 else "Parts"
            message += f" {noun} {number_list(self.missing)} of {total} {_is_are(self.missing)} also missing."
        super().__init__(message)


class UnknownSigner(BundleError):
    """A bundle whose signature is valid, made with a key the reader does not trust."""

    def __init__(self, verify_key: bytes) -> None:
        self.verify_key = verify_key
        super().__init__(
            "This bundle was signed with a key this instance does not trust"
            f" (signing key {verify_key.hex()}). Nothing was read from it."
        )


class NotForThisKey(BundleError):
    """An encrypted bundle for another key, or a bundle whose encryption does not match what was expected."""


class MissingParts(BundleError):
    """Some parts of a bundle were not given; all are needed before anything is read."""

    def __init__(self, missing: Sequence[int], total: int) -> None:
        self.missing = tuple(missing)
        self.total = total
        noun = "Part" if len(self.missing) == 1 else "Parts"
        super().__init__(
            f"{noun} {number_list(self.missing)} of {total} {_is_are(self.missing)} missing:"
            " every part is needed to open the bundle."
        )


class MixedParts(BundleError):
    """Parts that do not belong together: from different bundles, or two different copies of one part."""


class WrongKind(BundleError):
    """An authentic bundle of another kind than the one the reader asked for."""

    def __init__(self, found: str, expected: Sequence[str]) -> None:
        self.found = found
        self.expected = tuple(expected)
        wanted = " or ".join(f'"{kind}"' for kind in self.expected)
        super().__init__(f'This bundle is of kind "{found}", not {wanted}: it is meant for another use.')


def ordinal(number: int) -> str:
    if number % 100 in (11, 12, 13):
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


def number_list(numbers: Sequence[int]) -> str:
    """``[1, 2, 3, 5, 9, 10]`` as "1-3, 5, 9 and 10", so that a list of 400 missing parts stays one line."""
    runs: list[str] = []
    ordered = sorted(set(numbers))
    start = previous = ordered[0] if ordered else 0
    for number in [*ordered[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        if previous - start >= 2:
            runs.append(f"{start}-{previous}")
        else:
            runs.extend(str(number) for number in range(start, previous + 1))
        if number is not None:
            start = previous = number
    return runs[0] if len(runs) == 1 else ", ".join(runs[:-1]) + " and " + runs[-1]


def _is_are(numbers: Sequence[int]) -> str:
    return "is" if len(numbers) == 1 else "are"
