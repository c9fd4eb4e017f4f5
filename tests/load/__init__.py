"""Load, crash and memory tests: many clients against the real server, and what survives a kill."""
