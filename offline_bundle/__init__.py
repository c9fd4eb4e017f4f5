"""Gatehouse bundles: records signed by their sender and, usually, encrypted to one recipient.

One binary format for whatever crosses an air gap or a slow link (field-kit sync, staff offline
exports, audit-log exports), split into parts that are each authenticated. FORMAT.md specifies it.
This package is a pure library: it imports nothing from the web application.
"""

from offline_bundle.bundle import MIN_PART_SIZE, Bundle, Signer, read_bundle, write_bundle
from offline_bundle.errors import (
    BundleDamaged,
    BundleError,
    MissingParts,
    MixedParts,
    NotABundle,
    NotForThisKey,
    UnknownSigner,
    UnsupportedVersion,
    WrongKind,
)
from offline_bundle.framing import MAX_HEADER_BYTES, MAX_RECORD_BYTES
from offline_bundle.parts import MAX_PARTS

__all__ = [
    "MAX_HEADER_BYTES",
    "MAX_PARTS",
    "MAX_RECORD_BYTES",
    "MIN_PART_SIZE",
    "Bundle",
    "BundleDamaged",
    "BundleError",
    "MissingParts",
    "MixedParts",
    "NotABundle",
    "NotForThisKey",
    "Signer",
    "UnknownSigner",
    "UnsupportedVersion",
    "WrongKind",
    "read_bundle",
    "write_bundle",
]
