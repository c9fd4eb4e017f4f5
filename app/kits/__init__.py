"""Field kits: the kit bundle that makes one, the kit's own instance, and syncing its registrations to central."""
