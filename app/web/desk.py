"""The check-in desk page: a pass scanned or its short code typed; only in a server `gatehouse checkin serve` starts."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import format_date
from flask_babel import gettext as _

from app.checkin import desk as checking
from app.web import state
from app.web.forms import DeskForm
from app.web.i18n import current_language

bp = Blueprint("desk", __name__)
Page = tuple[str, int]


@bp.route("/desk", methods=["GET", "POST"])
def desk_page() -> Page:
    """GET: the form. POST: the pass checked and, the first time, its arrival recorded; a refusal records nothing."""
    form = DeskForm()
    if not form.is_submitted():
        return _page(DeskForm(formdata=None)), 200
    if not form.validate():
        return _page(form), 400
    event = state.instance().event
    try:
        desk, holder = current_app.config["DESK"], current_app.config.get("DESK_HOLDER")
        checked = checking.check_in(state.connection(), event, desk, form.code.data or "", holder)
    except checking.PassRefused as refused:
        return _page(DeskForm(formdata=None), refusal=_refusal(refused)), 400
    except checking.DeskError:
        return _page(
            DeskForm(formdata=None),
            refusal=_("This desk has no pass list yet: load one from the central instance first."),
        ), 400
    return _page(DeskForm(formdata=None), checked=checked), 200


def _refusal(refused: checking.PassRefused) -> str:
    if isinstance(refused, checking.CodeMistyped) and refused.reason == "length":
        return _("This is not a pass code: it has too few or too many characters, so check it and type it again.")
    if isinstance(refused, checking.CodeMistyped) and refused.reason == "character":
        return _("This is not a pass code: it holds a character no pass code has, so check it and type it again.")
    if isinstance(refused, checking.CodeMistyped):
        return _("This is not a pass code: a character is mistyped, so check it and type it again.")
    if isinstance(refused, checking.ForAnotherEvent):
        return _("This pass is for another event, not %(event)s.", event=refused.event_name(current_language()))
    if isinstance(refused, checking.Revoked):
        return _("This pass was revoked: it was replaced, withdrawn or is no longer approved. Do not let it in.")
    if isinstance(refused, checking.ShortCodeNotListed) and refused.list_day is None:
        return _("No pass of this event has this code: check it and type it again, or scan the pass's QR code.")
    if isinstance(refused, checking.ShortCodeNotListed):
        return _(
            "This code is not in this desk's pass list of %(day)s: if the pass is newer, scan its QR code.",
            day=format_date(refused.list_day, "long"),
        )
    if isinstance(refused, checking.OutOfDate):
        first, last = format_date(refused.first_day, "long"), format_date(refused.last_day, "long")
        return _("This pass is valid from %(first)s to %(last)s, not today.", first=first, last=last)
    return _("This pass is not genuine: it was not made by the organisers of this event. Do not let it in.")


def _page(form: DeskForm, refusal: str | None = None, checked: checking.Checked | None = None) -> str:
    connection = state.connection()
    return render_template(
        "desk.html",
        form=form,
        refusal=refusal,
        checked=checked,
        desk=current_app.config["DESK"],
        age=checking.list_age(connection),
        today=connection.clock.date(),
    )
