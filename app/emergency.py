"""The emergency wipe from the browser, for an administrator who cannot reach a shell in time."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import gettext as _

from app import db, wipe
from app.db import get_db
from app.staff import staff_required
from app.staff_auth import LoginRefused, LoginThrottled, authenticate
from app.staff_forms import LogoutForm, WipeForm
from app.staff_sessions import StaffSession

bp = Blueprint("emergency", __name__, url_prefix="/staff")


@bp.route("/wipe", methods=["GET", "POST"])
@staff_required(("admin",))
def wipe_page(session: StaffSession):
    form = WipeForm()
    instance = current_app.extensions["gatehouse"]
    if not form.validate_on_submit():
        return _page(session, form, 400 if form.is_submitted() else 200)
    if form.event_id.data.strip() != instance.event.id:
        form.event_id.errors = [_("That is not this event's id.")]
        return _page(session, form, 400)
    try:
        # The passphrase and a new code, checked as at login: a session left open is not enough to wipe.
        authenticate(
            get_db(),
            current_app.extensions["gatehouse.login_throttle"],
            session.username,
            form.passphrase.data,
            form.code.data,
        )
    except LoginThrottled:
        form.form_errors.append(_("Too many failed attempts for this account. Wait a minute, then try again."))
        return _page(session, form, 429)
    except LoginRefused:
        form.form_errors.append(_("The passphrase or code is not right."))
        return _page(session, form, 400)

    # Nothing of this process may keep the database open or a key unlocked once the files are gone.
    db.close_all(current_app)
    current_app.extensions["gatehouse.sessions"].end_all()
    current_app.extensions["gatehouse"] = None
    report = wipe.wipe(instance, actor=session.username)
    return render_template("staff/wiped.html", report=report, event_id=instance.event.id)


def _page(session: StaffSession, form: WipeForm, code: int):
    return render_template("staff/wipe.html", session=session, form=form, logout=LogoutForm()), code
