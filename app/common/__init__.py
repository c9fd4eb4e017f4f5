"""Small parts every layer may use: the clock, domain errors, files written safely, progress, base64 text."""
