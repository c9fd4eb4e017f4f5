-- The staff list at the scale of an event (app.registrations.listing): each filter and sort reads an index in
-- order and stops after its page, instead of scanning and sorting the table. The pseudonym order already has
-- one: the UNIQUE (event_id, pseudonym) constraint. The pseudonym closes each index, as it closes each sort.
CREATE INDEX registrations_by_status ON registrations (event_id, status, pseudonym);
CREATE INDEX registrations_by_day ON registrations (event_id, submitted_day, pseudonym);
CREATE INDEX registrations_by_kit ON registrations (event_id, source_kit, pseudonym);
