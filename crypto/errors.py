"""Exceptions raised by the crypto library; their messages never hold a secret or a value."""


class CryptoError(Exception):
    """Base class for every error this library raises on purpose."""


class RecordTampered(CryptoError):
    """A ciphertext did not open: wrong key, or moved, altered or truncated."""


class InvalidCodename(CryptoError):
    """Text that cannot be a codename (wrong number of words, unknown words)."""


class InvalidRecoveryWords(CryptoError):
    """Recovery words that are unknown, too few, too many, or fail their checksum."""
