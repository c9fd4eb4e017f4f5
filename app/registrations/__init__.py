"""Registrations: registering, follow-up, decisions, withdrawal, sealed records, exports, and the purge."""
