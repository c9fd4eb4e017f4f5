-- Registrations whose sealed record did not open with keys that should open it (a holder's key that matches
-- the compartment's public key): damaged, or forged by whoever held the field kit that brought it. Set aside
-- from readings and exports, and the only records an administrator or a decider may destroy one by one.
-- The id and the day it was found: nothing else.
CREATE TABLE set_aside (
    registration_id TEXT PRIMARY KEY REFERENCES registrations(id) ON DELETE CASCADE,
    day             TEXT NOT NULL
) WITHOUT ROWID;
