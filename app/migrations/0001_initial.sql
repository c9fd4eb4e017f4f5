-- Gatehouse schema, version 1.
-- Tables holding participants are WITHOUT ROWID with random keys, so that the
-- physical order of rows does not tell the order in which people registered.

CREATE TABLE instance_keys (
    purpose     TEXT PRIMARY KEY,          -- 'signing' (Ed25519), 'bundle' (X25519)
    public_key  BLOB NOT NULL,
    private_key BLOB NOT NULL
);

CREATE TABLE events (
    id                  TEXT PRIMARY KEY,
    definition          TEXT NOT NULL,     -- the event TOML as loaded; holds no personal data
    recovery_public_key BLOB NOT NULL,
    created_day         TEXT NOT NULL
);

CREATE TABLE compartments (
    event_id                     TEXT NOT NULL REFERENCES events(id),
    name                         TEXT NOT NULL,
    public_key                   BLOB NOT NULL,
    private_key_sealed_to_recovery BLOB NOT NULL,
    PRIMARY KEY (event_id, name)
) WITHOUT ROWID;

CREATE TABLE registrations (
    id                TEXT PRIMARY KEY,    -- random, 128 bits
    event_id          TEXT NOT NULL REFERENCES events(id),
    pseudonym         TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'waitlisted', 'rejected')),
    submitted_day     TEXT NOT NULL,       -- the day only: never an exact time
    codename_lookup   BLOB NOT NULL UNIQUE,
    submission_lookup BLOB NOT NULL UNIQUE,
    UNIQUE (event_id, pseudonym)
) WITHOUT ROWID;

CREATE TABLE data_keys (
    id              TEXT PRIMARY KEY,      -- random
    registration_id TEXT NOT NULL REFERENCES registrations(id) ON DELETE CASCADE,
    compartment     TEXT NOT NULL,
    sealed_data_key BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX data_keys_by_registration ON data_keys (registration_id);

CREATE TABLE field_values (
    registration_id TEXT NOT NULL REFERENCES registrations(id) ON DELETE CASCADE,
    field_key       TEXT NOT NULL,
    data_key_id     TEXT NOT NULL REFERENCES data_keys(id) ON DELETE CASCADE,
    ciphertext      BLOB NOT NULL,
    PRIMARY KEY (registration_id, field_key)
) WITHOUT ROWID;
CREATE INDEX field_values_by_data_key ON field_values (data_key_id);
