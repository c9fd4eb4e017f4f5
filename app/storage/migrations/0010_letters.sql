-- Visa support letters (app.registrations.letters): the register of every letter made.
-- It keeps no personal value: a letter's reference and number, the pseudonym it was made for, the day, and a
-- keyed hash of the passport number (keyed by the instance's letter secret, instance_keys purpose 'letters'),
-- so that a letter can be confirmed to a consulate after the passport details themselves are destroyed.
CREATE TABLE letter_register (
    reference      TEXT PRIMARY KEY,      -- reference_prefix, a dash and the number: SDF27-0042
    event_id       TEXT NOT NULL REFERENCES events(id),
    number         INTEGER NOT NULL,
    pseudonym      TEXT NOT NULL,
    issued_day     TEXT NOT NULL,
    passport_hash  BLOB NOT NULL,         -- BLAKE2b keyed, 32 bytes: never the number itself
    revoked_day    TEXT,                  -- NULL while the letter stands
    UNIQUE (event_id, number)
);
CREATE INDEX letter_register_by_pseudonym ON letter_register (event_id, pseudonym);
