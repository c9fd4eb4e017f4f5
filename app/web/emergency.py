"""The emergency wipe from the browser, for an administrator who cannot reach a shell in time."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _

from app.instance import wipe
from app.staff.login import LoginRefused, authenticate
from app.staff.login_limits import CodeChecksPaused, LoginBusy
from app.staff.sessions import StaffSession
from app.web import staff_login, state
from app.web.access import staff_required
from app.web.staff_forms import LogoutForm, WipeForm

bp = Blueprint("emergency", __name__, url_prefix="/staff")


@bp.route("/wipe", methods=["GET", "POST"])
@staff_required(("admin",))
def wipe_page(session: StaffSession) -> tuple[str, int] | tuple[str, int, dict[str, str]] | str:
    form = WipeForm()
    web, instance = state.state(), state.instance()
    if not form.validate_on_submit():
        return _page(session, form, 400 if form.is_submitted() else 200)
    try:
        wipe.check_confirmation(instance, form.event_id.data or "")
    except wipe.NotConfirmed:
        form.event_id.errors = [_("That is not this event's id.")]
        return _page(session, form, 400)
    try:
        # The passphrase and a new code, checked as at login: a session left open is not enough to wipe.
        authenticate(
            state.connection(), web.login_limits, session.username, form.passphrase.data or "", form.code.data or ""
        )
    except LoginBusy:
        form.form_errors.append(staff_login.busy_message())
        return (*_page(session, form, 503), staff_login.busy_headers())
    except CodeChecksPaused as paused:
        form.form_errors.append(staff_login.paused_message(paused))
        return _page(session, form, 429)
    except LoginRefused:
        form.form_errors.append(_("The passphrase or code is not right."))
        return _page(session, form, 400)

    # Nothing of this process may keep the database open or a key unlocked once the files are gone.
    state.close_request_connection()
    web.close()
    report = wipe.wipe(instance, actor=session.username, confirm=instance.event.id)
    words = destroyed_words()
    return render_template(
        "staff/wiped.html", report=report, event_id=instance.event.id, destroyed=lambda what: words.get(what, what)
    )


def destroyed_words() -> dict[str, str]:
    """Each line of the wipe's report (app.instance.wipe.DESTROYED names them in English) in the reader's language."""
    return {
        "encrypted values": _("encrypted values"),
        "sealed data keys": _("sealed data keys"),
        "compartment keys sealed to staff": _("compartment keys sealed to staff"),
        "compartment keys sealed to the recovery key": _("compartment keys sealed to the recovery key"),
        "instance keys (log signing, bundles)": _("instance keys (log signing, bundles)"),
        "registrations (pseudonyms and codename look-ups)": _("registrations (pseudonyms and codename look-ups)"),
        "invitation codes": _("invitation codes"),
    }


def _page(session: StaffSession, form: WipeForm, code: int) -> tuple[str, int]:
    return render_template("staff/wipe.html", session=session, form=form, logout=LogoutForm()), code
