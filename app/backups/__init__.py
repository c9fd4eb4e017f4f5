"""Backups: made encrypted to the event's recovery key and rotated by their first due day; restored on a new
machine without bringing back anything the system destroyed; and the record of destroyed ids that allows it."""
