"""The base of every domain error: a request that cannot be carried out, said in one sentence.

A service raises one of these before it changes anything; the CLI prints it and exits non-zero, the
web renders it in the page. The message names what was wrong (a compartment, a username, a kit), never
a personal value, so it is fit for a terminal or a log.
"""

from __future__ import annotations


class GatehouseError(Exception):
    """A request that cannot be carried out; ``str(error)`` is the sentence to show."""


class NotFound(GatehouseError):
    """Something named in a request does not exist: a compartment, a staff member, a kit, an instance."""


class NotAllowed(GatehouseError):
    """The person asking may not do this (a compartment they do not hold, a role that cannot)."""
