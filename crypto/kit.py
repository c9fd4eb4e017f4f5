"""A field kit's keys, all derived from the passphrase typed when it starts: nothing on its disk opens them.

    root          = Argon2id(passphrase, salt = "gatehouse kit v1", cost)
    bundle key    = X25519 private key BLAKE2b-256(key = root, personal = "gh.kit.bundle")
    master secret = BLAKE2b-256(key = root, personal = "gh.kit.master")

The kit bundle is encrypted to the bundle key's public half; the kit's database key and its other
instance keys come from the master secret (crypto.kdf). The salt is fixed because the passphrase
is seven random words (77 bits): no table computed in advance for one salt pays against that.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from nacl.public import PrivateKey

from crypto.passphrase import PASSPHRASE_WORDS, PRODUCTION_COST, Argon2Cost, WrongPassphrase, derive_key
from crypto.wordlist import codename_list, split_words

KIT_SALT = b"gatehouse kit v1"


@dataclass(frozen=True)
class KitKeys:
    bundle_key: PrivateKey  # opens the kit bundle
    master_secret: bytes  # the kit instance's master secret


def normalise_kit_passphrase(typed: str) -> str:
    """The passphrase's canonical words: case, spacing and word endings forgiven, as for codenames.

    Raises WrongPassphrase for text that cannot be a kit passphrase, without spending an Argon2id run.
    """
    words = split_words(typed)
    if len(words) != PASSPHRASE_WORDS:
        raise WrongPassphrase(f"a kit passphrase has {PASSPHRASE_WORDS} words")
    wordlist = codename_list()
    try:
        return " ".join(wordlist.canonical(word) for word in words)
    except KeyError:
        raise WrongPassphrase("a word of the passphrase is not in the word list") from None


def derive_kit_keys(passphrase: str, cost: Argon2Cost = PRODUCTION_COST) -> KitKeys:
    """``cost`` may be lowered by tests only: every command uses the production cost."""
    root = derive_key(normalise_kit_passphrase(passphrase), KIT_SALT, cost)
    return KitKeys(PrivateKey(_derive(root, b"gh.kit.bundle")), _derive(root, b"gh.kit.master"))


def _derive(root: bytes, purpose: bytes) -> bytes:
    return hashlib.blake2b(b"", key=root, person=purpose, digest_size=32).digest()
