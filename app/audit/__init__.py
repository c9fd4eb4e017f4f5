"""The audit log: hash-chained entries with no personal value, signed checkpoints, and its export as a bundle."""
