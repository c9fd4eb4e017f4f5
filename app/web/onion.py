"""The instance's own onion address: given as a setting, or read from the `hostname` file Tor writes."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# A version 3 onion address: 56 base32 characters. Older, shorter ones are no longer served by Tor.
_ONION_V3 = re.compile(r"[a-z2-7]{56}\.onion")
log = logging.getLogger("gatehouse")


class OnionHostnameInvalid(ValueError):
    """The configured onion address, or the file meant to hold it, is not a version 3 onion address."""


def parse_onion_hostname(text: str) -> str:
    hostname = text.strip().lower()
    if not _ONION_V3.fullmatch(hostname):
        raise OnionHostnameInvalid("the onion hostname is not a version 3 onion address (56 characters + .onion)")
    return hostname


class OnionAddress:
    """Where the app's onion hostname comes from; the file is read once it exists, since Tor may start after us."""

    def __init__(self, hostname: str | None, hostname_file: Path | None) -> None:
        self._hostname = parse_onion_hostname(hostname) if hostname else None
        self._file = hostname_file
        self._unreadable_logged = False
        if self._hostname is None and self._file is not None and self._file.exists():
            self.hostname()  # a file that is there but wrong stops the start, not the first visitor

    def hostname(self) -> str | None:
        if self._hostname is None and self._file is not None:
            try:
                text = self._file.read_text("ascii")
            except FileNotFoundError:
                return None
            except OSError as error:  # pages are still served, without Onion-Location, until it is fixed
                if not self._unreadable_logged:
                    log.warning("the onion hostname file cannot be read: %s", error.strerror)
                    self._unreadable_logged = True
                return None
            self._hostname = parse_onion_hostname(text)
        return self._hostname


def address_from_config(config: Mapping[str, Any]) -> OnionAddress:
    """From ONION_HOSTNAME, or ONION_HOSTNAME_FILE (Tor's `hostname` file); neither means no onion address."""
    hostname_file = config.get("ONION_HOSTNAME_FILE")
    return OnionAddress(config.get("ONION_HOSTNAME"), Path(hostname_file) if hostname_file else None)
