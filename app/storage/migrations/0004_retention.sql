-- Retention and the log: the day of a registration's last decision, from which
-- some retention rules count, and signed checkpoints over the audit chain.

ALTER TABLE registrations ADD COLUMN decided_day TEXT;  -- the day only, as every date here

-- The instance's Ed25519 signature over the chain's head at entry `seq`.
CREATE TABLE audit_checkpoints (
    seq       INTEGER PRIMARY KEY REFERENCES audit_log(seq),
    day       TEXT NOT NULL,
    head_hash BLOB NOT NULL,
    signature BLOB NOT NULL
);
