-- The staff list at the scale of an event (app.registrations.listing): each filter and sort reads one index in
-- order and stops after its page, instead of scanning and sorting the table; the page's ids come from the index
-- alone, so OFFSET steps over index entries, not rows. The pseudonym closes each index, as it closes each sort.
-- (The UNIQUE (event_id, pseudonym) constraint's own index is not used as covering by SQLite: hence the first.)
-- The distinct days and kits the filters offer are read with one seek per value on the last two.
CREATE INDEX registrations_by_pseudonym ON registrations (event_id, pseudonym);
CREATE INDEX registrations_by_status ON registrations (event_id, status, pseudonym);
CREATE INDEX registrations_by_day ON registrations (event_id, submitted_day, pseudonym);
CREATE INDEX registrations_by_kit ON registrations (event_id, source_kit, pseudonym);
