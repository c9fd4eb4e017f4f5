"""Compartment keys: which public key seals new records, who holds which private key, grants and rotation."""
