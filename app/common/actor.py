"""Who asks a service for something: a staff session (its role and the compartments it holds), or the shell."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    name: str  # as the audit log records it: a username, or 'cli'
    role: str
    compartments: frozenset[str]

    def holds(self, compartment: str) -> bool:
        return compartment in self.compartments


# Whoever has a shell on the server owns the instance: they may revoke anything, and grant only with keys.
SHELL = Actor("cli", "admin", frozenset())
