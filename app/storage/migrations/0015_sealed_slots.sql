-- Sealed values move into fixed slots (app.storage.slots), so that destroying one is writing zeros where it
-- stands, with no VACUUM: field ciphertexts, sealed data keys, and the keys and texts of messages.
--
-- A slot is only ever appended (holding zeros), written once in place and zeroed in place: no cell holding a
-- value moves, so no B-tree rebalance leaves a copy of it behind. The tables that held the values keep their
-- rows with a slot number instead (field_value_slots, data_key_slots, message_slots), and views with the old
-- names and columns read them as before. Deleting a row, by hand or by a cascade from its registration, zeroes
-- and frees its slots (the triggers below), so no path can delete a reference and leave its value.
CREATE TABLE sealed_slots (
    slot    INTEGER PRIMARY KEY,
    length  INTEGER NOT NULL CHECK (length > 0),
    used    INTEGER NOT NULL CHECK (used IN (0, 1)),
    content BLOB NOT NULL CHECK (length(content) = length)
);
CREATE INDEX sealed_slots_free ON sealed_slots (length, slot) WHERE used = 0;

-- What is stored today, in random order, so that slot numbers do not give the order of registration. The
-- rewrite leaves older copies in the file: the code that applies this migration scrubs it at once (db.migrate).
CREATE TEMP TABLE moving (
    slot INTEGER PRIMARY KEY, source TEXT NOT NULL, registration_id TEXT NOT NULL, name TEXT NOT NULL,
    content BLOB NOT NULL
);
INSERT INTO moving (source, registration_id, name, content)
SELECT source, registration_id, name, content FROM (
    SELECT 'field' AS source, registration_id, field_key AS name, ciphertext AS content FROM field_values
    UNION ALL SELECT 'key', registration_id, id, sealed_data_key FROM data_keys
    UNION ALL SELECT 'message body', registration_id, number, body FROM messages
    UNION ALL SELECT 'message key for compartment', registration_id, number, key_for_compartment FROM messages
    UNION ALL SELECT 'message key for participant', registration_id, number, key_for_participant FROM messages
        WHERE key_for_participant IS NOT NULL
) ORDER BY random();
INSERT INTO sealed_slots (slot, length, used, content) SELECT slot, length(content), 1, content FROM moving ORDER BY slot;
CREATE INDEX temp.moving_by_source ON moving (source, registration_id, name);

-- Each slot is named by one row: slots.put_together takes a free one and marks it used. No UNIQUE index checks
-- it, since it would be one more B-tree write for every value stored.
CREATE TABLE data_key_slots (
    registration_id TEXT NOT NULL REFERENCES registrations(id) ON DELETE CASCADE,
    id              TEXT NOT NULL,
    compartment     TEXT NOT NULL,
    key_generation  INTEGER NOT NULL,
    slot            INTEGER NOT NULL,
    PRIMARY KEY (registration_id, id)
) WITHOUT ROWID;
CREATE TABLE field_value_slots (
    registration_id TEXT NOT NULL REFERENCES registrations(id) ON DELETE CASCADE,
    field_key       TEXT NOT NULL,
    data_key_id     TEXT NOT NULL,
    slot            INTEGER NOT NULL,
    PRIMARY KEY (registration_id, field_key),
    FOREIGN KEY (registration_id, data_key_id) REFERENCES data_key_slots(registration_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE message_slots (
    registration_id          TEXT NOT NULL REFERENCES registrations(id) ON DELETE CASCADE,
    number                   INTEGER NOT NULL CHECK (number >= 1),
    from_participant         INTEGER NOT NULL CHECK (from_participant IN (0, 1)),
    day                      TEXT NOT NULL,
    compartment              TEXT NOT NULL,
    key_generation           INTEGER NOT NULL,
    key_for_compartment_slot INTEGER NOT NULL,
    key_for_participant_slot INTEGER,
    body_slot                INTEGER NOT NULL,
    PRIMARY KEY (registration_id, number)
) WITHOUT ROWID;

INSERT INTO data_key_slots (registration_id, id, compartment, key_generation, slot)
SELECT d.registration_id, d.id, d.compartment, d.key_generation, m.slot FROM data_keys AS d
JOIN moving AS m ON m.source = 'key' AND m.registration_id = d.registration_id AND m.name = d.id;
INSERT INTO field_value_slots (registration_id, field_key, data_key_id, slot)
SELECT f.registration_id, f.field_key, f.data_key_id, m.slot FROM field_values AS f
JOIN moving AS m ON m.source = 'field' AND m.registration_id = f.registration_id AND m.name = f.field_key;
INSERT INTO message_slots (registration_id, number, from_participant, day, compartment, key_generation,
                           key_for_compartment_slot, key_for_participant_slot, body_slot)
SELECT g.registration_id, g.number, g.from_participant, g.day, g.compartment, g.key_generation,
    (SELECT slot FROM moving WHERE source = 'message key for compartment' AND registration_id = g.registration_id
        AND name = CAST(g.number AS TEXT)),
    (SELECT slot FROM moving WHERE source = 'message key for participant' AND registration_id = g.registration_id
        AND name = CAST(g.number AS TEXT)),
    (SELECT slot FROM moving WHERE source = 'message body' AND registration_id = g.registration_id
        AND name = CAST(g.number AS TEXT))
FROM messages AS g;
DROP TABLE moving;

-- Children first: dropping data_keys would otherwise cascade into field_values.
DROP TABLE field_values;
DROP TABLE messages;
DROP TABLE data_keys;

-- Every reference names a slot that exists, so a LEFT JOIN reads the same rows as a JOIN; it lets SQLite skip the
-- slots altogether when a query reads none of their content (which values a registration holds, counts).
CREATE VIEW data_keys AS
SELECT d.registration_id, d.id, d.compartment, d.key_generation, s.content AS sealed_data_key
FROM data_key_slots AS d LEFT JOIN sealed_slots AS s ON s.slot = d.slot;
CREATE VIEW field_values AS
SELECT f.registration_id, f.field_key, f.data_key_id, s.content AS ciphertext
FROM field_value_slots AS f LEFT JOIN sealed_slots AS s ON s.slot = f.slot;
CREATE VIEW messages AS
SELECT g.registration_id, g.number, g.from_participant, g.day, g.compartment, g.key_generation,
    c.content AS key_for_compartment, p.content AS key_for_participant, b.content AS body
FROM message_slots AS g
LEFT JOIN sealed_slots AS c ON c.slot = g.key_for_compartment_slot
LEFT JOIN sealed_slots AS p ON p.slot = g.key_for_participant_slot
LEFT JOIN sealed_slots AS b ON b.slot = g.body_slot;

CREATE TRIGGER data_key_slots_delete_zeroes_slot AFTER DELETE ON data_key_slots BEGIN
    UPDATE sealed_slots SET used = 0, content = zeroblob(length) WHERE slot = OLD.slot;
END;
CREATE TRIGGER field_value_slots_delete_zeroes_slot AFTER DELETE ON field_value_slots BEGIN
    UPDATE sealed_slots SET used = 0, content = zeroblob(length) WHERE slot = OLD.slot;
END;
CREATE TRIGGER message_slots_delete_zeroes_slots AFTER DELETE ON message_slots BEGIN
    UPDATE sealed_slots SET used = 0, content = zeroblob(length)
    WHERE slot IN (OLD.key_for_compartment_slot, OLD.key_for_participant_slot, OLD.body_slot);
END;
-- A reference is never moved to another slot; were it, the slot it left is zeroed the same way.
CREATE TRIGGER data_key_slots_update_zeroes_slot AFTER UPDATE OF slot ON data_key_slots BEGIN
    UPDATE sealed_slots SET used = 0, content = zeroblob(length) WHERE slot = OLD.slot AND OLD.slot != NEW.slot;
END;
CREATE TRIGGER field_value_slots_update_zeroes_slot AFTER UPDATE OF slot ON field_value_slots BEGIN
    UPDATE sealed_slots SET used = 0, content = zeroblob(length) WHERE slot = OLD.slot AND OLD.slot != NEW.slot;
END;

-- Deleting a registration's row no longer calls for a rewrite of the file: its values were in slots, and what
-- the row held (the id, derived from the codename's look-up, the look-up itself and the message public key) is
-- what destroyed_ids keeps of it anyway, so that no restore brings it back. Nor does deleting the ids of single
-- values destroyed_ids held for a registration that then went whole: they are ids, and its own id stays.
DROP TRIGGER registrations_delete_marks_scrub;
DROP TRIGGER destroyed_ids_delete_marks_scrub;
