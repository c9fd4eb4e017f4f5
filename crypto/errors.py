"""Exceptions raised by the crypto library; their messages never hold a secret or a value."""


class CryptoError(Exception):
    """Base class for every error this library raises on purpose."""


class RecordTampered(CryptoError):
    """A ciphertext did not open: wrong key, or moved, altered or truncated."""


class InvalidCodename(CryptoError):
    """Text that cannot be a codename (wrong number of words, unknown words)."""


class InvalidRecoveryWords(CryptoError):
    """Recovery words that are unknown, too few, too many, or fail their checksum."""


class CodenameMistake(InvalidCodename):
    """A codename typed with one part that cannot be right: which digit group, or which word (counted from 1).

    Decided from the typed text alone, before any look-up, so naming the part tells nothing about any registration.
    """

    def __init__(self, kind: str, position: int) -> None:
        super().__init__(f"{kind} {position} of the codename has a mistake")
        self.kind, self.position = kind, position
