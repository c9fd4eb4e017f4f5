"""Gatehouse: registration for gatherings of human rights defenders at risk."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, abort, current_app

from app import cookies, db, errors, headers, i18n, instance, privacy
from app.forms import input_attributes
from app.request import GatehouseRequest
from app.staff_auth import LoginThrottle
from app.staff_sessions import DEFAULT_IDLE_SECONDS, SessionStore
from app.throttle import DEFAULT_FAILURES_PER_MINUTE, GlobalBudget

# Largest body a browser can send from any Gatehouse form, with room to spare:
# anything larger is refused before it is parsed.
MAX_BODY_BYTES = 256 * 1024


def default_instance_dir() -> Path:
    return Path(os.environ.get("GATEHOUSE_INSTANCE") or "instance")


def _event_context() -> dict[str, Any]:
    loaded = current_app.extensions["gatehouse"]  # None before set-up, and after an emergency wipe
    return {"event": loaded.event if loaded else None}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application for the instance in config["INSTANCE_DIR"] (or $GATEHOUSE_INSTANCE, or ./instance),
    or for config["INSTANCE"], an instance already opened (a field kit, opened with its passphrase).

    An instance that is not set up yet gives an application that answers every page
    with a clear 503, so that `flask --app app` and the CLI still work to set it up.
    """
    config = dict(config or {})
    opened = config.pop("INSTANCE", None)
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

    loaded = opened or (instance.open_instance(instance_dir) if instance.exists(instance_dir) else None)
    app.extensions["gatehouse"] = loaded
    if loaded is not None and not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = loaded.secrets.session_key

    db.init_app(app, (lambda: loaded.connect(any_thread=True)) if loaded else None)
    cookies.init_app(app)
    app.extensions["gatehouse.sessions"] = SessionStore(app.config.get("STAFF_IDLE_SECONDS", DEFAULT_IDLE_SECONDS))
    app.extensions["gatehouse.login_throttle"] = LoginThrottle()
    app.extensions["gatehouse.codename_budget"] = GlobalBudget(
        app.config.get("CODENAME_FAILURES_PER_MINUTE", DEFAULT_FAILURES_PER_MINUTE)
    )
    headers.init_app(app)
    i18n.init_app(app)
    privacy.init_app(app)
    errors.init_app(app)
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    app.jinja_env.globals["input_attributes"] = input_attributes
    app.context_processor(_event_context)

    @app.before_request
    def require_instance() -> None:
        if current_app.extensions["gatehouse"] is None:
            abort(503)

    from app.auditor import bp as auditor_bp
    from app.emergency import bp as emergency_bp
    from app.participant import bp as participant_bp
    from app.staff import bp as staff_bp

    app.register_blueprint(participant_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(auditor_bp)
    app.register_blueprint(emergency_bp)

    from app.cli import commands

    for command in commands:
        app.cli.add_command(command)
    return app
