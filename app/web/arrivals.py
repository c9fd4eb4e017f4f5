"""The arrivals page for staff: arrived and expected with the capacity line, who has not arrived, double uses;
and re-issuing a participant's pass."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from app.checkin import arrivals as counting
from app.checkin import passes
from app.common.errors import GatehouseError
from app.staff.sessions import StaffSession
from app.web import state
from app.web.access import staff_required
from app.web.staff_forms import LogoutForm, ReissueForm

bp = Blueprint("arrivals", __name__, url_prefix="/staff")
READERS = ("admin", "staff")


@bp.route("/arrivals", methods=["GET", "POST"])
@staff_required(READERS)
def page(session: StaffSession) -> tuple[str, int]:
    """GET: the counts. POST: re-issue the pass of the pseudonym typed (logged); an unknown one gets a sentence, 400."""
    form = ReissueForm()
    notice = None
    if request.method == "POST":
        if not form.validate_on_submit():
            return _render(session, form), 400
        pseudonym = (form.pseudonym.data or "").strip()
        try:
            passes.reissue(state.connection(), state.instance().event, pseudonym, session.username)
        except passes.UnknownPseudonym:
            form.pseudonym.errors = [_("There is no registration with that pseudonym.")]
            return _render(session, form), 400
        except GatehouseError:
            form.pseudonym.errors = [_("Only an approved registration has a pass to re-issue.")]
            return _render(session, form), 400
        notice = _("The pass of %(pseudonym)s is revoked; their status page shows a new one.", pseudonym=pseudonym)
        form = ReissueForm(formdata=None)
    return _render(session, form, notice), 200


def _render(session: StaffSession, form: ReissueForm, notice: str | None = None) -> str:
    return render_template(
        "staff/arrivals.html",
        session=session,
        logout=LogoutForm(),
        form=form,
        notice=notice,
        made=counting.counts(state.connection(), state.instance().event),
    )
