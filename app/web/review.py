"""The review queue's pages: open the next registrations of a filter with one reason, decide them in one submit.

The rules live in app.registrations.review; the queue a reader has open is kept in their staff session.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from app.registrations import lifecycle, listing, review
from app.staff.sessions import StaffSession
from app.web import state
from app.web.access import staff_required
from app.web.staff import LISTING_REFUSALS, READERS, status_word
from app.web.staff_forms import LogoutForm, QueueDecisionsForm, QueueForm

bp = Blueprint("review", __name__, url_prefix="/staff")
Page = tuple[str, int]
_FILTERS = ("status", "kit", "day", "search", "sort", "direction")


@bp.get("/review")
@staff_required(READERS)
def queue(session: StaffSession) -> Page:
    """The open queue; else the form that opens one, its filters taken from the query (as the list links here)."""
    if session.queue is not None:
        return _queue_page(session, session.queue)
    asked = {name: request.args.getlist(name) for name in _FILTERS}
    if not any(asked.values()):
        asked["status"] = ["submitted"]  # what a review is for, unless the list asked for something else
    try:
        query = listing.parse(asked)
        listing.check_kit(state.connection(), state.instance().event.id, query)
    except listing.UnknownListingValue as unknown:
        return _start_page(session, listing.Query(status="submitted"), refused=_refusal(unknown), code=400)
    return _start_page(session, query)


@bp.post("/review/open")
@staff_required(READERS)
def open_queue(session: StaffSession) -> Page | BaseResponse:
    form = QueueForm()
    try:
        query = listing.parse({name: request.form.getlist(name) for name in _FILTERS})
    except listing.UnknownListingValue as unknown:
        return _start_page(session, listing.Query(status="submitted"), form, _refusal(unknown), 400)
    if not form.validate_on_submit():
        return _start_page(session, query, form, code=400)
    try:
        session.queue = review.open_queue(
            state.connection(),
            state.instance().event,
            query,
            keys=session.keys,
            actor=session.username,
            reason=form.reason.data or "",
            size=int(form.size.data or review.QUEUE_SIZE),
        )
    except review.HoldsNoCompartment:
        return _start_page(session, query, form, code=403)
    except listing.UnknownListingValue as unknown:
        return _start_page(session, listing.Query(status="submitted"), form, _refusal(unknown), 400)
    return redirect(url_for("review.queue"), code=303)


@bp.post("/review")
@staff_required(READERS)
def decide(session: StaffSession) -> Page:
    """Save the decisions chosen in the open table, row by row; then show it again, or the next rows."""
    event = state.instance().event
    if not lifecycle.may_decide(session.actor(), event):
        abort(403)
    open_now = session.queue
    if open_now is None:
        return _start_page(session, listing.Query(status="submitted"), refused=_("Nothing is open now."), code=409)
    form = QueueDecisionsForm()
    if request.form.get("batch") != open_now.batch:
        return _queue_page(session, open_now, form, code=409, moved_on=True)
    decisions = _decisions(request.form, open_now)
    if not form.validate_on_submit() or decisions is None:
        return _queue_page(session, open_now, form, code=400)
    connection = state.connection()
    outcome = review.decide_rows(connection, event, decisions, session.actor())
    if form.then.data == "next":
        session.queue = review.next_rows(connection, event, open_now, keys=session.keys, actor=session.username)
    return _queue_page(session, session.queue or open_now, form, outcome=outcome, decided_in=open_now)


@bp.post("/review/next")
@staff_required(READERS)
def next_rows(session: StaffSession) -> Page | BaseResponse:
    """Move on without deciding: the next rows of the open queue, logged as a new opening."""
    if not LogoutForm().validate_on_submit():
        abort(400)
    open_now = session.queue
    if open_now is None:
        return _start_page(session, listing.Query(status="submitted"), refused=_("Nothing is open now."), code=409)
    if request.form.get("batch") != open_now.batch:
        return _queue_page(session, open_now, code=409, moved_on=True)
    session.queue = review.next_rows(
        state.connection(), state.instance().event, open_now, keys=session.keys, actor=session.username
    )
    return redirect(url_for("review.queue"), code=303)


@bp.post("/review/close")
@staff_required(READERS)
def close(session: StaffSession) -> BaseResponse:
    if not LogoutForm().validate_on_submit():
        abort(400)
    session.queue = None
    return redirect(url_for("staff.registrations"), code=303)


def _decisions(form: Mapping[str, str], open_now: review.Queue) -> list[review.Decision] | None:
    """The rows given a decision, in the table's order; None for a value that is not a decision or a status."""
    chosen = []
    for registration_id, _pseudonym in open_now.opened:
        decision, shown = form.get(f"d-{registration_id}", ""), form.get(f"s-{registration_id}", "")
        if not decision:
            continue
        if decision not in lifecycle.DECISIONS or shown not in listing.STATUSES:
            return None
        chosen.append(review.Decision(registration_id, shown, decision))
    return chosen


def _refusal(unknown: listing.UnknownListingValue) -> str:
    return LISTING_REFUSALS.get(unknown.parameter, LISTING_REFUSALS["page"])()


def _start_page(
    session: StaffSession,
    query: listing.Query,
    form: QueueForm | None = None,
    refused: str | None = None,
    code: int = 200,
) -> Page:
    connection, event = state.connection(), state.instance().event
    return render_template(
        "staff/review_start.html",
        session=session,
        form=form or QueueForm(),
        query=query,
        refused=refused,
        statuses=listing.STATUSES,
        kits=listing.kits(connection, event.id),
        days=listing.days(connection, event.id),
        online=listing.ONLINE,
        status_word=status_word,
        logout=LogoutForm(),
    ), code


def _queue_page(
    session: StaffSession,
    open_now: review.Queue,
    form: QueueDecisionsForm | None = None,
    code: int = 200,
    outcome: review.Outcome | None = None,
    decided_in: review.Queue | None = None,
    moved_on: bool = False,
) -> Page:
    event = state.instance().event
    rows = review.rows(state.connection(), event, open_now, keys=session.keys, actor=session.username)
    return render_template(
        "staff/review.html",
        session=session,
        queue=open_now,
        rows=rows,
        form=form or QueueDecisionsForm(),
        may_decide=lifecycle.may_decide(session.actor(), event),
        moved_on=moved_on,
        saved=_saved(outcome, decided_in),
        refused=_refused(outcome, decided_in),
        status_word=status_word,
        logout=LogoutForm(),
    ), code


def _saved(outcome: review.Outcome | None, decided_in: review.Queue | None) -> Sequence[tuple[str, str]]:
    if outcome is None or decided_in is None:
        return ()
    return [(decided_in.pseudonym_of(registration_id) or "", decision) for registration_id, decision in outcome.saved]


def _refused(outcome: review.Outcome | None, decided_in: review.Queue | None) -> list[str]:
    """A sentence naming each row that was not saved, and why."""
    if outcome is None or decided_in is None:
        return []
    sentences = []
    for refused in outcome.refused:
        pseudonym = decided_in.pseudonym_of(refused.registration_id) or ""
        if refused.why == "full":
            sentences.append(
                _(
                    "%(pseudonym)s was not approved: all %(capacity)d places are taken.",
                    pseudonym=pseudonym,
                    capacity=refused.capacity,
                )
            )
        elif refused.why == "gone":
            sentences.append(_("%(pseudonym)s was withdrawn or destroyed since it was shown.", pseudonym=pseudonym))
        else:
            sentences.append(
                _(
                    "%(pseudonym)s was decided by someone else since it was shown (it is %(status)s now):"
                    " your decision was not saved.",
                    pseudonym=pseudonym,
                    status=status_word(refused.status_now),
                )
            )
    return sentences
