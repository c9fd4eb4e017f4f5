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

-- A compartment's key pair; a rotation adds a generation, and the highest one
-- seals everything written from then on.
CREATE TABLE compartment_keys (
    event_id                       TEXT NOT NULL REFERENCES events(id),
    compartment                    TEXT NOT NULL,
    generation                     INTEGER NOT NULL,
    public_key                     BLOB NOT NULL,
    private_key_sealed_to_recovery BLOB NOT NULL,
    PRIMARY KEY (event_id, compartment, generation)
) WITHOUT ROWID;

CREATE TABLE registrations (
    id                TEXT PRIMARY KEY,    -- random, 128 bits
    event_id          TEXT NOT NULL REFERENCES events(id),
    pseudonym         TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'waitlisted', 'rejected')),
    submitted_day     TEXT NOT NULL,       -- the day only: never an exact time
    codename_lookup   BLOB NOT NULL UNIQUE, -- keyed hash: the codename itself is never stored
    UNIQUE (event_id, pseudonym)
) WITHOUT ROWID;

-- Keyed by registration first, so that a record's keys and values sit together
-- and no separate index has to be written on every registration.
CREATE TABLE data_keys (
    registration_id TEXT NOT NULL REFERENCES registrations(id) ON DELETE CASCADE,
    id              TEXT NOT NULL,         -- random
    compartment     TEXT NOT NULL,
    key_generation  INTEGER NOT NULL,      -- which generation of the compartment key it is sealed to
    sealed_data_key BLOB NOT NULL,
    PRIMARY KEY (registration_id, id)
) WITHOUT ROWID;

CREATE TABLE field_values (
    registration_id TEXT NOT NULL REFERENCES registrations(id) ON DELETE CASCADE,
    field_key       TEXT NOT NULL,
    data_key_id     TEXT NOT NULL,
    ciphertext      BLOB NOT NULL,
    PRIMARY KEY (registration_id, field_key),
    FOREIGN KEY (registration_id, data_key_id) REFERENCES data_keys(registration_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
