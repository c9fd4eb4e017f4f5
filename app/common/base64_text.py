"""Bytes as base64 text in the JSON documents Gatehouse writes (audit exports, kit files), and back."""

from __future__ import annotations

import base64


def encode(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def decode(value: object) -> bytes:
    """Strict: anything but valid base64 text raises TypeError or ValueError (binascii.Error)."""
    if not isinstance(value, str):
        raise TypeError
    return base64.b64decode(value, validate=True)
