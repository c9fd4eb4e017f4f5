-- Field kits and bundles.

-- On the central instance: the field kits it issued. A kit-sync bundle is read only when it is
-- signed by one of these keys, and the kit's name is what staff see as a registration's source.
CREATE TABLE kits (
    name        TEXT PRIMARY KEY,
    verify_key  BLOB NOT NULL UNIQUE,      -- Ed25519: the kit holds the private half
    created_day TEXT NOT NULL,
    revoked_day TEXT                       -- a kit lost or taken: its bundles are refused from then on
);

-- Each sync bundle is imported once: a replay is recognised by its id and changes nothing.
CREATE TABLE imported_bundles (
    bundle_id BLOB PRIMARY KEY,
    kit       TEXT NOT NULL,
    day       TEXT NOT NULL
) WITHOUT ROWID;

-- NULL: registered online. Otherwise the name of the kit whose bundle brought it.
ALTER TABLE registrations ADD COLUMN source_kit TEXT;

-- On a field kit: its name and the central instance it reports to (one row).
CREATE TABLE kit_identity (
    name                      TEXT PRIMARY KEY,  -- the kit's own name, as central knows it
    central_verify_key        BLOB NOT NULL,
    central_bundle_public_key BLOB NOT NULL,
    codename_lookup_key       BLOB NOT NULL     -- the central instance's: a codename given here works there too
);

-- On a field kit: the sync bundle that last carried the registration; NULL until exported.
ALTER TABLE registrations ADD COLUMN exported_in BLOB;

-- On the central instance: every registration a kit's bundle brought (a random id, nothing else), kept after
-- the registration is withdrawn or purged, so that the kit sending it again cannot bring it back.
CREATE TABLE kit_registrations (
    registration_id TEXT PRIMARY KEY,
    kit             TEXT NOT NULL
) WITHOUT ROWID;

-- On a field kit: registrations withdrawn on the kit after a bundle had carried them. The next bundle
-- tells the central instance to destroy its copy too.
CREATE TABLE kit_withdrawals (
    registration_id TEXT PRIMARY KEY,
    exported_in     BLOB                   -- the bundle that carried the withdrawal; NULL until exported
) WITHOUT ROWID;
