"""The badges page: what printing badges opens and a reason form, then the badges, laid out by print CSS."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from app.registrations import badges, set_aside
from app.registrations.badges import PrintRun
from app.staff.sessions import StaffSession
from app.web import state
from app.web.access import staff_required
from app.web.i18n import current_language
from app.web.staff_forms import LogoutForm, ReasonForm

bp = Blueprint("badges", __name__, url_prefix="/staff")
PER_SHEET = 8  # two columns of four 90 x 55 mm badges: they fit A4 and Letter alike (staff.css)


@bp.route("/badges", methods=["GET", "POST"])
@staff_required(("admin", "staff"))
def page(session: StaffSession) -> tuple[str, int]:
    """GET: what the page opens, and the form (or which compartment the reader lacks). POST: the badges."""
    event, form = state.instance().event, ReasonForm()
    asked = request.method == "POST"
    if event.badges is None:
        return _render(session, form), 409 if asked else 200
    missing = badges.missing_compartments(event, session.keys)
    if missing:
        return _render(session, form, missing=missing), 403 if asked else 200
    if not asked:
        return _render(session, form), 200
    if not form.validate_on_submit():
        return _render(session, form), 400
    try:
        run = badges.badges(
            state.connection(), event, keys=session.keys, actor=session.username, reason=form.reason.data or ""
        )
    except set_aside.ReasonRequired:  # spaces around too short a reason: the form counted them, the service not
        form.reason.errors = [_("Please give a reason.")]
        return _render(session, form), 400
    return _render(session, form, run=run), 200


def _render(
    session: StaffSession, form: ReasonForm, missing: list[str] | None = None, run: PrintRun | None = None
) -> str:
    event = state.instance().event
    return render_template(
        "staff/badges.html",
        session=session,
        logout=LogoutForm(),
        form=form,
        rule=event.badges,
        labels=_labels,
        missing=missing or [],
        run=run,
        per_sheet=PER_SHEET,
        marks={badges.NO_PHOTOS: _("No photos"), badges.NO_FACE: _("No photos of the face")},
    )


def _labels(compartments: list[str] | tuple[str, ...]) -> str:
    """Compartments by the labels the event gives them, in the page's language."""
    event, language = state.instance().event, current_language()
    return ", ".join(event.compartment(name).label(language) for name in compartments)
