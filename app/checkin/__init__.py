"""Check-in at the venue: passes on /status, the desk that checks them offline, pass lists and arrivals by bundle."""
