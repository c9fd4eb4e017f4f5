"""What the web application keeps between requests, in one typed object; and the request's connection.

The instance (None before set-up and after an emergency wipe), the staff session store, the login
limits and the codename throttle, the onion address and the one clock they all read hang off ``WebState``, which
``create_app`` builds. Views reach it through the functions below, never by a string key.
"""

from __future__ import annotations

import dataclasses

from flask import Flask, abort, current_app, g

from app.common.clock import Clock
from app.common.throttle import GlobalBudget
from app.instance.folder import Instance, InstanceGone
from app.registrations.register import FollowUpTokens, RecentReceipts
from app.staff.login_limits import LoginLimits
from app.staff.sessions import SessionStore
from app.storage.connection import Connection
from app.web.onion import OnionAddress
from crypto.log_chain import VerifiedPrefix

_EXTENSION = "gatehouse"


@dataclasses.dataclass
class WebState:
    instance: Instance | None
    clock: Clock
    sessions: SessionStore
    login_limits: LoginLimits  # the Argon2 gate of every login, and the pause on wrong codes per account
    codename_budget: GlobalBudget
    onion: OnionAddress
    recent_receipts: RecentReceipts
    follow_up_tokens: FollowUpTokens
    # Tie an answer form to the record its codename opened, as follow_up_tokens do; a store of its own, so
    # that neither form's token is good for the other.
    answer_tokens: FollowUpTokens
    pass_tokens: FollowUpTokens  # one-time: the status page's button to the pass page
    # Closing the last connection to a WAL database checkpoints it; one idle connection held for the
    # application's life lets each request close its own cheaply. Auto-checkpoints still run.
    wal_holder: Connection | None = None
    # How far this process found the stored audit log to hold: the auditor page checks only what follows.
    audit_verified: VerifiedPrefix | None = None
    closed: bool = False  # wiped while serving: every page now says the service is closed

    def close(self) -> None:
        """Drop the instance, every staff session with its keys, and the idle connection: after a wipe."""
        self.closed = True
        self.sessions.end_all()
        if self.wal_holder is not None:
            self.wal_holder.close()
            self.wal_holder = None
        self.instance = None


def install(app: Flask, state: WebState) -> None:
    app.extensions[_EXTENSION] = state
    app.teardown_appcontext(_close_request_connection)


def state_of(app: Flask) -> WebState:
    state = app.extensions[_EXTENSION]
    assert isinstance(state, WebState)  # noqa: S101 - set by install() alone
    return state


def state() -> WebState:
    return state_of(current_app)


def instance() -> Instance:
    """The instance this application serves; a 503 page before set-up and after a wipe.

    A wipe run from the command line while this server runs is noticed here, at the next request: the
    server then drops every key it holds and answers every page that the service is closed.
    """
    web = state()
    if web.instance is not None and not web.instance.still_there():
        close_request_connection()
        web.close()
    if web.instance is None:
        abort(503)
    return web.instance


def connection() -> Connection:
    """The request's connection, opened on first use and closed at teardown."""
    if "connection" not in g:
        try:
            g.connection = instance().connect()
        except InstanceGone:  # wiped between the check and the connection: close now
            state().close()
            abort(503)
    opened: Connection = g.connection
    return opened


def close_request_connection() -> None:
    """Close this request's connection now, before the database files are destroyed."""
    _close_request_connection(None)


def _close_request_connection(_error: BaseException | None) -> None:
    opened = g.pop("connection", None)
    if opened is not None:
        opened.close()
