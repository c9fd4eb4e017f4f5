"""Pages for participants: what the event is, and the one-page registration."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

import crypto
from app.db import get_db
from app.forms import event_values, registration_form_class, validate_registration
from app.i18n import current_language
from app.instance import Instance
from app.registration import register

bp = Blueprint("participant", __name__)


def _instance() -> Instance:
    return current_app.extensions["gatehouse"]


@bp.get("/")
def index() -> str:
    return render_template("index.html", notice=privacy_notice(_instance()))


@bp.route("/register", methods=["GET", "POST"])
def register_page() -> tuple[str, int] | str:
    instance = _instance()
    form = registration_form_class(instance.event, current_language())()
    if not form.is_submitted():
        form.submission.data = crypto.new_submission_token()
        return render_template("register.html", form=form)
    if not validate_registration(form):
        return render_template("register.html", form=form), 400

    receipt = register(get_db(), instance, form.submission.data, event_values(form, instance.event))
    return render_template("registered.html", receipt=receipt)


def privacy_notice(instance: Instance) -> list[dict[str, object]]:
    """Per field: who may read it and until when it is kept, from the rules the system enforces."""
    event = instance.event
    language = current_language()
    rows = []
    for field in event.fields:
        compartment = event.compartment(field.compartment)
        rows.append(
            {
                "label": field.label(language),
                "purpose": compartment.purpose(language),
                "readers": compartment.readers(language),
                "destroyed_on": event.destroyed_on(field),
                "after_approval": field.after_approval,
            }
        )
    return rows
