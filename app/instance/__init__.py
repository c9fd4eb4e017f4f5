"""An instance folder over its whole life: setting it up, opening it, and the emergency wipe."""
