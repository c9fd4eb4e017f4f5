-- Invitation codes, stored only as keyed hashes.
CREATE TABLE invitations (
    lookup      BLOB PRIMARY KEY,           -- keyed BLAKE2b of the normalised code
    uses_left   INTEGER NOT NULL CHECK (uses_left >= 0),
    expires_day TEXT NOT NULL,              -- usable up to and including this day
    created_day TEXT NOT NULL
) WITHOUT ROWID;
