-- Staff accounts, compartment grants, and the audit log.

CREATE TABLE staff (
    id                 TEXT PRIMARY KEY,   -- random
    username           TEXT NOT NULL UNIQUE,
    role               TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'auditor')),
    public_key         BLOB NOT NULL,      -- X25519: grants are sealed to it
    locked_private_key BLOB,               -- Argon2id-locked; NULL when the person keeps the key offline
    login_hash         TEXT NOT NULL,      -- Argon2id
    totp_secret        TEXT NOT NULL,
    last_totp_step     INTEGER NOT NULL DEFAULT 0,  -- a code is accepted once: only later steps pass
    disabled           INTEGER NOT NULL DEFAULT 0,
    created_day        TEXT NOT NULL
);

-- A grant is a compartment private key sealed to one staff member's public key by
-- someone who held it: nobody can grant what they cannot open.
CREATE TABLE grants (
    staff_id           TEXT NOT NULL REFERENCES staff(id),
    event_id           TEXT NOT NULL,
    compartment        TEXT NOT NULL,
    generation         INTEGER NOT NULL,
    sealed_private_key BLOB NOT NULL,
    granted_by         TEXT NOT NULL,      -- a username, or 'recovery key'
    granted_day        TEXT NOT NULL,
    PRIMARY KEY (staff_id, event_id, compartment, generation),
    FOREIGN KEY (event_id, compartment, generation) REFERENCES compartment_keys(event_id, compartment, generation)
) WITHOUT ROWID;

-- Hash-chained: each entry's hash covers the one before it. No personal value, no address, no time.
CREATE TABLE audit_log (
    seq           INTEGER PRIMARY KEY,
    day           TEXT NOT NULL,
    actor         TEXT NOT NULL,           -- a staff username, 'participant', 'cli' or 'system'
    action        TEXT NOT NULL,
    subject       TEXT NOT NULL DEFAULT '',-- a pseudonym, a username or a compartment
    detail        TEXT NOT NULL DEFAULT '{}',
    reason        TEXT NOT NULL DEFAULT '',
    previous_hash BLOB NOT NULL,
    entry_hash    BLOB NOT NULL
);
