"""Gatehouse: registration for gatherings of human rights defenders at risk. ARCHITECTURE.md maps the packages."""
