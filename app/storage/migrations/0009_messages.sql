-- Messages between the organisers and a participant (app.registrations.messages), with no email.

-- The participant's X25519 public key, derived from the codename and this salt (crypto.messages). Both NULL for a
-- registration made before messages existed: it cannot receive any.
ALTER TABLE registrations ADD COLUMN message_public_key BLOB;
ALTER TABLE registrations ADD COLUMN message_salt BLOB;
-- The highest message number the participant has been shown at a look-up: what is newer is marked new. A number,
-- never when they looked.
ALTER TABLE registrations ADD COLUMN messages_seen INTEGER NOT NULL DEFAULT 0;

-- One message, numbered within its registration (the number is bound into its ciphertext, so that no message can
-- be moved or reordered). From the organisers: sealed to the participant and to the messages_by compartment; an
-- answer: to the compartment only. The day only, as every date here.
CREATE TABLE messages (
    registration_id     TEXT NOT NULL REFERENCES registrations(id) ON DELETE CASCADE,
    number              INTEGER NOT NULL CHECK (number >= 1),
    from_participant    INTEGER NOT NULL CHECK (from_participant IN (0, 1)),
    day                 TEXT NOT NULL,
    compartment         TEXT NOT NULL,
    key_generation      INTEGER NOT NULL,
    key_for_compartment BLOB NOT NULL,
    key_for_participant BLOB,
    body                BLOB NOT NULL,
    PRIMARY KEY (registration_id, number)
) WITHOUT ROWID;
