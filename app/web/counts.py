"""The counts page for staff: how many registrations chose each option of the choice fields one holds, by status
and by field kit, with a reason, and without a count small enough to point at someone."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from app.events.definition import Field
from app.registrations import counts as counting
from app.registrations.listing import ONLINE
from app.registrations.set_aside import ReasonRequired
from app.registrations.suppression import SMALL
from app.staff.sessions import StaffSession
from app.web import i18n, state
from app.web.access import staff_required
from app.web.staff import status_word
from app.web.staff_forms import LogoutForm, ReasonForm

bp = Blueprint("counts", __name__, url_prefix="/staff")
READERS = ("admin", "staff")
Page = tuple[str, int]


@bp.route("/counts", methods=["GET", "POST"])
@staff_required(READERS)
def counts(session: StaffSession) -> Page:
    """GET: what the page does, and the reason form. POST: the counts, logged with the reason; a missing or short
    reason gets the form again with a sentence, 400, and nothing logged."""
    event = state.instance().event
    form = ReasonForm()
    countable = counting.countable_compartments(event, session.compartments())
    if request.method == "GET" or not countable:
        return _page(session, form, countable), 200
    if not form.validate_on_submit():
        return _page(session, form, countable), 400
    try:
        made = counting.count_choices(
            state.connection(), event, keys=session.keys, actor=session.username, reason=form.reason.data or ""
        )
    except counting.NothingToCount:  # a grant revoked since the session was read
        return _page(session, form, []), 200
    except ReasonRequired:
        form.reason.errors = [_("Please give a reason.")]
        return _page(session, form, countable), 400
    return _page(session, ReasonForm(formdata=None), countable, made), 200


def _page(session: StaffSession, form: ReasonForm, countable: list[str], made: counting.Counts | None = None) -> str:
    return render_template(
        "staff/counts.html",
        session=session,
        form=form,
        countable=countable,
        counts=made,
        threshold=state.instance().event.smallest_count_shown,
        option_label=option_label,
        status_word=status_word,
        source_word=source_word,
        number=number,
        logout=LogoutForm(),
    )


def option_label(field: Field, value: str) -> str:
    if value == counting.NO_ANSWER:
        return _("No answer held")
    if value == counting.ANOTHER_VALUE:
        return _("Not one of the options")
    return field.display(value, i18n.current_language())


def source_word(source: str) -> str:
    return _("Online") if source == ONLINE else source


def number(shown: counting.Shown) -> str:
    """A count as the page shows it: the number, "fewer than N", or "withheld"."""
    if shown.count is not None:
        return str(shown.count)
    if shown.why == SMALL:
        return _("fewer than %(n)d", n=state.instance().event.smallest_count_shown)
    return _("withheld")
