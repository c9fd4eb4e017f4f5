"""Gatehouse cryptography: sealing records to compartments, names, key derivation.

This package is a pure library: it imports nothing from the web application.
"""

from crypto.errors import CryptoError, InvalidCodename, InvalidRecoveryWords, RecordTampered
from crypto.kdf import InstanceSecrets, derive_instance_secrets, new_master_secret
from crypto.keys import (
    PrivateKey,
    PublicKey,
    new_key_pair,
    open_sealed,
    private_key_from_recovery_words,
    recovery_words,
    seal_to,
)
from crypto.kit import KitKeys, derive_kit_keys, normalise_kit_passphrase
from crypto.names import (
    CODENAME_LOOKUP_BYTES,
    CODENAME_WORD_COUNT,
    codename_for_submission,
    codename_lookup,
    invitation_lookup,
    is_submission_token,
    new_invitation_code,
    new_pseudonym,
    new_submission_token,
    normalise_codename,
    pseudonym_from_indices,
    pseudonym_indices,
    registration_id_for,
)
from crypto.passphrase import (
    PRODUCTION_COST,
    Argon2Cost,
    WrongPassphrase,
    lock_private_key,
    locked_key_cost,
    new_passphrase,
    unlock_private_key,
)
from crypto.records import (
    MAX_SIZE_CLASS,
    SealedPart,
    SealedRecord,
    ciphertext_is_well_formed,
    ciphertext_length,
    ciphertext_size_class,
    open_registration,
    seal_registration,
)

__all__ = [
    "PRODUCTION_COST",
    "Argon2Cost",
    "WrongPassphrase",
    "lock_private_key",
    "locked_key_cost",
    "new_passphrase",
    "unlock_private_key",
    "CODENAME_WORD_COUNT",
    "CryptoError",
    "InstanceSecrets",
    "KitKeys",
    "derive_kit_keys",
    "normalise_kit_passphrase",
    "InvalidCodename",
    "InvalidRecoveryWords",
    "PrivateKey",
    "PublicKey",
    "RecordTampered",
    "SealedPart",
    "SealedRecord",
    "CODENAME_LOOKUP_BYTES",
    "MAX_SIZE_CLASS",
    "ciphertext_is_well_formed",
    "ciphertext_length",
    "ciphertext_size_class",
    "codename_for_submission",
    "codename_lookup",
    "pseudonym_from_indices",
    "pseudonym_indices",
    "registration_id_for",
    "invitation_lookup",
    "new_invitation_code",
    "is_submission_token",
    "derive_instance_secrets",
    "new_key_pair",
    "new_master_secret",
    "new_pseudonym",
    "new_submission_token",
    "normalise_codename",
    "open_registration",
    "open_sealed",
    "private_key_from_recovery_words",
    "recovery_words",
    "seal_registration",
    "seal_to",
]
