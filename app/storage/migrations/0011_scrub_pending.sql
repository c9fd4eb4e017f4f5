-- Whether anything was deleted or changed in place since the last scrub (app.storage.db.scrub), which rewrites
-- the whole file: a purge with nothing due, as at every start and most nights, then skips that rewrite.
-- Every table marks it, whatever deleted or overwrote the row (a withdrawal, a revoked grant, a replaced
-- answer): tests/test_scrub_pending.py checks that each table has both triggers. Updates of what is counted
-- as it is used (a login's last code step, the last message a participant saw, the bundle that carried a
-- row) hold nothing to scrub and do not mark it: they happen every day.
CREATE TABLE scrub_pending (id INTEGER PRIMARY KEY CHECK (id = 1));
CREATE TRIGGER audit_checkpoints_delete_marks_scrub AFTER DELETE ON audit_checkpoints BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER audit_checkpoints_update_marks_scrub AFTER UPDATE ON audit_checkpoints BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER audit_log_delete_marks_scrub AFTER DELETE ON audit_log BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER audit_log_update_marks_scrub AFTER UPDATE ON audit_log BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER compartment_keys_delete_marks_scrub AFTER DELETE ON compartment_keys BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER compartment_keys_update_marks_scrub AFTER UPDATE ON compartment_keys BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER data_keys_delete_marks_scrub AFTER DELETE ON data_keys BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER data_keys_update_marks_scrub AFTER UPDATE ON data_keys BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER destroyed_ids_delete_marks_scrub AFTER DELETE ON destroyed_ids BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER destroyed_ids_update_marks_scrub AFTER UPDATE ON destroyed_ids BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER events_delete_marks_scrub AFTER DELETE ON events BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER events_update_marks_scrub AFTER UPDATE ON events BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER field_values_delete_marks_scrub AFTER DELETE ON field_values BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER field_values_update_marks_scrub AFTER UPDATE ON field_values BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER grants_delete_marks_scrub AFTER DELETE ON grants BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER grants_update_marks_scrub AFTER UPDATE ON grants BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER imported_bundles_delete_marks_scrub AFTER DELETE ON imported_bundles BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER imported_bundles_update_marks_scrub AFTER UPDATE ON imported_bundles BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER instance_keys_delete_marks_scrub AFTER DELETE ON instance_keys BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER instance_keys_update_marks_scrub AFTER UPDATE ON instance_keys BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER invitations_delete_marks_scrub AFTER DELETE ON invitations BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER invitations_update_marks_scrub AFTER UPDATE ON invitations BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER kit_identity_delete_marks_scrub AFTER DELETE ON kit_identity BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER kit_identity_update_marks_scrub AFTER UPDATE ON kit_identity BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER kit_registrations_delete_marks_scrub AFTER DELETE ON kit_registrations BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER kit_registrations_update_marks_scrub AFTER UPDATE ON kit_registrations BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER kit_withdrawals_delete_marks_scrub AFTER DELETE ON kit_withdrawals BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER kit_withdrawals_update_marks_scrub AFTER UPDATE OF registration_id ON kit_withdrawals BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER kits_delete_marks_scrub AFTER DELETE ON kits BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER kits_update_marks_scrub AFTER UPDATE ON kits BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER letter_register_delete_marks_scrub AFTER DELETE ON letter_register BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER letter_register_update_marks_scrub AFTER UPDATE ON letter_register BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER messages_delete_marks_scrub AFTER DELETE ON messages BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER messages_update_marks_scrub AFTER UPDATE ON messages BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER registrations_delete_marks_scrub AFTER DELETE ON registrations BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER registrations_update_marks_scrub AFTER UPDATE OF id, event_id, pseudonym, status, submitted_day, codename_lookup, decided_day, source_kit, message_public_key, message_salt ON registrations BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER restored_secrets_delete_marks_scrub AFTER DELETE ON restored_secrets BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER restored_secrets_update_marks_scrub AFTER UPDATE ON restored_secrets BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER set_aside_delete_marks_scrub AFTER DELETE ON set_aside BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER set_aside_update_marks_scrub AFTER UPDATE ON set_aside BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER staff_delete_marks_scrub AFTER DELETE ON staff BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
CREATE TRIGGER staff_update_marks_scrub AFTER UPDATE OF id, username, role, public_key, locked_private_key, login_hash, totp_secret, disabled, created_day ON staff BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;
-- What was deleted before this migration is scrubbed by the next purge.
INSERT INTO scrub_pending (id) VALUES (1);
