-- Blocks of letter numbers reserved for a staff member's offline export (app.registrations.letter_blocks):
-- the air-gapped laptop that opens it makes letters numbered within its block only, signed with the letter
-- key sealed to that staff member, and central takes those letters into its register from a bundle. Central
-- never gives a number inside a block to a letter of its own. No personal value: numbers, a username, days.
CREATE TABLE letter_blocks (
    event_id       TEXT NOT NULL REFERENCES events(id),
    first_number   INTEGER NOT NULL,
    last_number    INTEGER NOT NULL,
    username       TEXT NOT NULL,          -- the staff member the export was made for
    reserved_day   TEXT NOT NULL,
    run            BLOB,                   -- the run whose letters came back (one run per block), NULL before
    PRIMARY KEY (event_id, first_number),
    CHECK (last_number >= first_number)
);
CREATE TRIGGER letter_blocks_delete_marks_scrub AFTER DELETE ON letter_blocks BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER letter_blocks_update_marks_scrub AFTER UPDATE ON letter_blocks BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
