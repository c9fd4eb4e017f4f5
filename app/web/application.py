"""The application factory: one Flask application for one instance, with its typed state."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from app.common.clock import SYSTEM_CLOCK, Clock
from app.common.throttle import DEFAULT_FAILURES_PER_MINUTE, GlobalBudget
from app.instance import folder
from app.registrations.register import RESHOW_SECONDS, FollowUpTokens, RecentReceipts
from app.staff import login_limits
from app.staff.sessions import DEFAULT_IDLE_SECONDS, DEFAULT_LIFETIME_SECONDS, SessionStore
from app.web import cookies, errors, headers, i18n, isolation, onion, privacy, state
from app.web.forms import input_attributes
from app.web.request import GatehouseRequest

# Largest body a browser can send from any Gatehouse form, with room to spare:
# anything larger is refused before it is parsed.
MAX_BODY_BYTES = 256 * 1024


def default_instance_dir() -> Path:
    return Path(os.environ.get("GATEHOUSE_INSTANCE") or "instance")


def _event_context() -> dict[str, Any]:
    opened = state.state().instance  # None before set-up, and after an emergency wipe
    return {"event": opened.event if opened else None}


def _require_instance() -> None:
    """Every page needs the instance: a 503 page before set-up and after an emergency wipe."""
    state.instance()


def _login_limits(config: Mapping[str, Any], clock: Clock) -> login_limits.LoginLimits:
    """The Argon2 gate (LOGIN_ARGON2_AT_ONCE, LOGIN_ARGON2_WAITING, LOGIN_ARGON2_WAIT_SECONDS) and the pause on
    wrong codes (LOGIN_WRONG_CODES_ALLOWED within LOGIN_WRONG_CODES_WINDOW_SECONDS); defaults in login_limits."""
    return login_limits.LoginLimits(
        argon2=login_limits.Argon2Gate(
            config.get("LOGIN_ARGON2_AT_ONCE", login_limits.ARGON2_AT_ONCE),
            config.get("LOGIN_ARGON2_WAITING", login_limits.ARGON2_WAITING),
            config.get("LOGIN_ARGON2_WAIT_SECONDS", login_limits.ARGON2_WAIT_SECONDS),
        ),
        codes=login_limits.CodeLock(
            config.get("LOGIN_WRONG_CODES_ALLOWED", login_limits.WRONG_CODES_ALLOWED),
            config.get("LOGIN_WRONG_CODES_WINDOW_SECONDS", login_limits.WRONG_CODES_WINDOW_SECONDS),
            clock,
        ),
    )


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application for the instance in config["INSTANCE_DIR"] (or $GATEHOUSE_INSTANCE, or ./instance),
    or for config["INSTANCE"], an instance already opened (a field kit, opened with its passphrase).

    config["CLOCK"] replaces the system clock for every day, session and throttle (tests move it by hand).
    The LOGIN_* keys set the login limits (see _login_limits). config["DESK"], a desk's name, adds the check-in desk.
    An instance that is not set up yet gives an application that answers every page with a clear 503.
    """
    config = dict(config or {})
    clock: Clock = config.pop("CLOCK", None) or SYSTEM_CLOCK
    opened: folder.Instance | None = config.pop("INSTANCE", None)
    configured_dir = config.pop("INSTANCE_DIR", None) or default_instance_dir()
    instance_dir = opened.path if opened else Path(configured_dir).resolve()
    app = Flask(__name__, instance_path=str(instance_dir))
    app.request_class = GatehouseRequest
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        MAX_FORM_MEMORY_SIZE=MAX_BODY_BYTES,
        SESSION_COOKIE_NAME="gatehouse",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        # A form may stay open for hours on a slow link before it is sent.
        WTF_CSRF_TIME_LIMIT=12 * 3600,
        WTF_CSRF_SSL_STRICT=False,
    )
    app.config.update(config)

    if opened is None and folder.exists(instance_dir):
        opened = folder.open_instance(instance_dir, clock)
    if opened is not None and not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = opened.secrets.session_key
    web_state = state.WebState(
        instance=opened,
        clock=clock,
        sessions=SessionStore(
            app.config.get("STAFF_IDLE_SECONDS", DEFAULT_IDLE_SECONDS),
            app.config.get("STAFF_LIFETIME_SECONDS", DEFAULT_LIFETIME_SECONDS),
            clock,
        ),
        login_limits=_login_limits(app.config, clock),
        codename_budget=GlobalBudget(
            app.config.get("CODENAME_FAILURES_PER_MINUTE", DEFAULT_FAILURES_PER_MINUTE), clock=clock
        ),
        onion=onion.address_from_config(app.config),
        recent_receipts=RecentReceipts(app.config.get("RESHOW_CODENAME_SECONDS", RESHOW_SECONDS), clock),
        follow_up_tokens=FollowUpTokens(clock=clock),
        answer_tokens=FollowUpTokens(clock=clock),
        pass_tokens=FollowUpTokens(clock=clock),
        wal_holder=opened.connect(any_thread=True) if opened else None,
    )
    state.install(app, web_state)
    cookies.init_app(app)
    headers.init_app(app)
    i18n.init_app(app)
    privacy.init_app(app)
    isolation.init_app(app)
    errors.init_app(app)
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    app.jinja_env.globals["input_attributes"] = input_attributes
    app.context_processor(_event_context)
    app.before_request(_require_instance)

    from app.web.arrivals import bp as arrivals_bp
    from app.web.auditor import bp as auditor_bp
    from app.web.badges import bp as badges_bp
    from app.web.counts import bp as counts_bp
    from app.web.emergency import bp as emergency_bp
    from app.web.letters import bp as letters_bp
    from app.web.participant import bp as participant_bp
    from app.web.review import bp as review_bp
    from app.web.staff import bp as staff_bp

    app.register_blueprint(participant_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(counts_bp)
    app.register_blueprint(auditor_bp)
    app.register_blueprint(emergency_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(badges_bp)
    app.register_blueprint(letters_bp)
    app.register_blueprint(arrivals_bp)
    if app.config.get("DESK"):  # only in a server started by `gatehouse checkin serve`, never on the public one
        from app.web.desk import bp as desk_bp

        app.register_blueprint(desk_bp)
    return app
