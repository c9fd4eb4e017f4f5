-- Check-in at the venue (app.checkin): passes, arrivals, and what a desk on a field kit was last told.

-- On the central instance: every pass issued. The pass itself names nobody; this row links it to its
-- registration so that staff see arrivals by pseudonym. A withdrawal or a purge deletes the registration and
-- leaves the pass here, naming an id that destroyed_ids keeps too, so that it stays revoked. (No foreign key: its
-- ON DELETE action would run the scrub trigger inside the deletion, which SQLite refuses.)
CREATE TABLE passes (
    pass_id         BLOB PRIMARY KEY,     -- 10 random bytes, the id the pass carries (its short code)
    pass_tag        BLOB NOT NULL UNIQUE, -- BLAKE2b-128 of the pass id: what desks and arrivals know it by
    event_id        TEXT NOT NULL REFERENCES events(id),
    registration_id TEXT NOT NULL,        -- a registration that is gone leaves its pass revoked
    pass            BLOB NOT NULL,        -- the 82 signed bytes (crypto.passes), the same on every visit
    issued_day      TEXT NOT NULL,
    revoked_day     TEXT                  -- re-issued: this pass is refused from then on
) WITHOUT ROWID;
CREATE UNIQUE INDEX passes_current ON passes (registration_id) WHERE revoked_day IS NULL;

-- At every desk, and on central for every desk whose arrivals were merged: the first use of a pass at a desk.
-- The day, never the time: no exact time of a person is kept. By the pass's tag, never its id, so that a lost
-- desk's arrivals cannot be typed back in as short codes.
CREATE TABLE arrivals (
    pass_tag BLOB NOT NULL,
    desk     TEXT NOT NULL,
    day      TEXT NOT NULL,
    PRIMARY KEY (pass_tag, desk)
) WITHOUT ROWID;

-- On a field kit serving as a desk: the pass list of central's last checkin-list bundle (one row), and its
-- passes by tag: valid ones with their pseudonym, revoked ones without. Never a name, a pass id (a short code
-- that would admit its bearer), or the private pass key.
CREATE TABLE desk_list (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    pass_public_key BLOB NOT NULL,
    sequence        INTEGER NOT NULL,     -- central's count of lists made: an older list never replaces a newer
    made_day        TEXT NOT NULL
);
CREATE TABLE desk_passes (
    pass_tag  BLOB PRIMARY KEY,
    pseudonym TEXT,                       -- NULL: revoked
    revoked   INTEGER NOT NULL CHECK (revoked IN (0, 1))
) WITHOUT ROWID;

-- On the central instance: how many pass lists were made, so that each carries a larger sequence number.
CREATE TABLE pass_lists (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    sequence INTEGER NOT NULL
);

-- The kit's bundle key (derived from its passphrase): pass lists are encrypted to it. NULL for kits made before.
ALTER TABLE kits ADD COLUMN bundle_public_key BLOB;

CREATE TRIGGER passes_delete_marks_scrub AFTER DELETE ON passes BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER passes_update_marks_scrub AFTER UPDATE ON passes BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER arrivals_delete_marks_scrub AFTER DELETE ON arrivals BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER arrivals_update_marks_scrub AFTER UPDATE ON arrivals BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER desk_list_delete_marks_scrub AFTER DELETE ON desk_list BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER desk_list_update_marks_scrub AFTER UPDATE ON desk_list BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER desk_passes_delete_marks_scrub AFTER DELETE ON desk_passes BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER desk_passes_update_marks_scrub AFTER UPDATE ON desk_passes BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER pass_lists_delete_marks_scrub AFTER DELETE ON pass_lists BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER pass_lists_update_marks_scrub AFTER UPDATE ON pass_lists BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
