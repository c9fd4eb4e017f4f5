-- A decision changes a registration's status and decided_day; the values it replaces are in the audit log (every
-- "status" entry names the change and its day), so an old copy of them in a free page tells nothing the log does
-- not. Since 0011 a decision marked a scrub, and the next purge, nightly or at start, rewrote the whole file after
-- any day with a decision. The other columns still mark it.
DROP TRIGGER IF EXISTS registrations_update_marks_scrub;
CREATE TRIGGER registrations_update_marks_scrub AFTER UPDATE OF id, event_id, pseudonym, submitted_day, codename_lookup, source_kit, message_public_key, message_salt ON registrations BEGIN INSERT OR IGNORE INTO scrub_pending (id) VALUES (1); END;

-- The newest entry of an action (the last purge run, on the auditor's page and at each purge) is one seek, not a
-- walk back through a log that a flood of failed logins can make 200,000 entries long.
CREATE INDEX IF NOT EXISTS audit_log_by_action ON audit_log (action, seq);
