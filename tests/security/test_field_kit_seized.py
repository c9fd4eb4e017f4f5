"""Field kit seized: a coordinator's laptop, taken at a border town, with the kit's files on it.

PENDING: field kits land with issue 6 (`gatehouse kit create` / `gatehouse kit serve`), built on
another branch. What this module must show once they exist, with what the attacker holds:

- the kit's folder copied while the kit is stopped: no canary in any byte (raw search as in
  test_database_file_stolen, over every file the kit wrote), and the database does not open
  without the operator's passphrase (Argon2id at start-up; nothing on disk opens it);
- the same files and the passphrase (coerced from the coordinator): every page decrypted
  (sqlcipher_pages.every_page_decrypted) and every table dumped hold no field value, and no
  record opens, because the kit holds compartment public keys only;
- a memory image of the running kit (memory.read_process_memory), as for the central server:
  no compartment private key, no recovery key;
- the kit bundle it was made from: public keys and its own signing key only.
"""

from __future__ import annotations

import pytest


def test_field_kit_seized_reveals_nothing_it_collected():
    pytest.skip("field kits land with issue 6")
