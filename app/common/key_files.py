"""The offline staff key file: a person's public key, and their private key locked under their passphrase.

    GATEHOUSE STAFF KEY v1
    public <64 hexadecimal digits>
    locked <the locked private key in hexadecimal (crypto.passphrase)>

`gatehouse keys new` writes one on the person's own machine; `gatehouse keys export` writes one from the
locked key an account keeps on the server. Either opens staff exports on an air-gapped laptop.
"""

from __future__ import annotations

from pathlib import Path

from app.common.errors import GatehouseError
from app.common.secret_files import create_secret_file

HEADER = "GATEHOUSE STAFF KEY v1"


class KeyFileError(GatehouseError):
    """A key file that cannot be written or read; the message is fit to show."""


def write_key_file(path: Path, public_key: bytes, locked_private_key: bytes) -> None:
    with create_secret_file(path) as key_file:
        key_file.write(f"{HEADER}\npublic {public_key.hex()}\nlocked {locked_private_key.hex()}\n".encode("ascii"))


def read_key_file(path: Path) -> tuple[bytes, bytes]:
    """(public key, locked private key) from a key file."""
    try:
        lines = Path(path).read_text(encoding="ascii").splitlines()
        if lines[0].strip() != HEADER:
            raise ValueError
        fields = dict(line.split(" ", 1) for line in lines[1:] if line.strip())
        public_key, locked = bytes.fromhex(fields["public"].strip()), bytes.fromhex(fields["locked"].strip())
    except OSError as error:
        raise KeyFileError(f"could not read {path}: {error.strerror or error}") from None
    except (ValueError, KeyError, IndexError, UnicodeDecodeError):
        raise KeyFileError(f"{path} is not a Gatehouse staff key file") from None
    if len(public_key) != 32:
        raise KeyFileError(f"{path} is not a Gatehouse staff key file")
    return public_key, locked
