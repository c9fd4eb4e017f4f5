-- Backups and restores (app.backups).

-- What the system destroyed, by id only, so that no restore from an older backup brings it back: a whole
-- registration (withdrawn, purged, set aside and destroyed; field_key and data_key_id are ''), or one value the
-- purge destroyed while its registration lived on (its field and the id of the data key that sealed it). Ids
-- are random or derived from a keyed hash: they reveal nothing. Once a registration is destroyed whole, its
-- rows for single values are replaced by the one row that says so.
CREATE TABLE destroyed_ids (
    registration_id TEXT NOT NULL,
    field_key       TEXT NOT NULL DEFAULT '',
    data_key_id     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (registration_id, field_key, data_key_id)
) WITHOUT ROWID;

-- On an instance restored from a backup: the keys codenames, form receipts and invitation codes were made with
-- on the instance that was backed up. The restore draws a new secret.key (and so a new database key); these
-- are no longer derived from it, and stay what they were, so that every codename still opens its registration.
CREATE TABLE restored_secrets (
    purpose TEXT PRIMARY KEY CHECK (purpose IN ('codename lookup', 'receipt', 'invitation')),
    secret  BLOB NOT NULL
);
