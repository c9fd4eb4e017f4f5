"""Pages for vetted staff: login with a second factor, registrations by pseudonym, opening with a reason,
decisions, grants and exports. Access is declared on each view with ``staff_required(roles)``."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from app.common.errors import NotAllowed
from app.keys import keyring
from app.registrations import lifecycle, listing, messages, reading, set_aside
from app.registrations.lifecycle import CapacityReached, UnknownRegistration
from app.staff import accounts, grants
from app.staff.accounts import UnknownStaff
from app.staff.login import LoginRefused, authenticate
from app.staff.login_limits import CodeChecksPaused, LoginBusy
from app.staff.sessions import StaffSession
from app.web import staff_login, state
from app.web.access import COOKIE, staff_required
from app.web.cookies import cookie_is_secure
from app.web.i18n import current_language
from app.web.staff_forms import (
    DecisionForm,
    DestroyForm,
    GrantForm,
    LoginForm,
    LogoutForm,
    MessageForm,
    ReasonForm,
    RevokeForm,
)

bp = Blueprint("staff", __name__, url_prefix="/staff")
READERS = ("admin", "staff")
Page = tuple[str, int]
PageWithHeaders = tuple[str, int, dict[str, str]]


@bp.route("/login", methods=["GET", "POST"])
def login() -> Page | PageWithHeaders | BaseResponse:
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("staff/login.html", form=form), 400 if form.is_submitted() else 200
    connection, web = state.connection(), state.state()
    try:
        logged_in = authenticate(
            connection, web.login_limits, form.username.data or "", form.passphrase.data or "", form.code.data or ""
        )
    except LoginBusy:
        form.form_errors.append(staff_login.busy_message())
        return render_template("staff/login.html", form=form), 503, staff_login.busy_headers()
    except CodeChecksPaused as paused:
        form.form_errors.append(staff_login.paused_message(paused))
        return render_template("staff/login.html", form=form), 429
    except LoginRefused:
        form.form_errors.append(_("The username, passphrase or code is not right."))
        return render_template("staff/login.html", form=form), 400
    member = logged_in.member
    keys = (
        keyring.keys_held_by(connection, member.id, state.instance().event.id, logged_in.staff_key)
        if logged_in.staff_key
        else {}
    )
    # The language the login page was shown in (its form posts with ?lang=) stays with the session.
    token = web.sessions.start(StaffSession(member.id, member.username, member.role, keys, language=current_language()))
    home = "auditor.overview" if member.role == "auditor" else "staff.registrations"
    response = redirect(url_for(home), code=303)
    response.set_cookie(COOKIE, token, path="/staff", httponly=True, samesite="Strict", secure=cookie_is_secure())
    return response


@bp.post("/logout")
def logout() -> BaseResponse:
    # Without a valid token the request may come from another site: it changes nothing, not even the cookie,
    # so that a logout never looks done while the session and its keys live on.
    if not LogoutForm().validate_on_submit():
        abort(400)
    state.state().sessions.end(request.cookies.get(COOKIE))
    response = redirect(url_for("staff.login", lang=current_language()), code=303)
    response.delete_cookie(COOKIE, path="/staff", httponly=True, samesite="Strict", secure=cookie_is_secure())
    return response


@bp.get("/")
@staff_required(READERS)
def registrations(session: StaffSession) -> Page:
    """The list: counts and capacity, then one page of registrations with the filters, sort and search asked for
    in the query (a GET form, no script). A value the list does not know gets the page with a sentence, 400."""
    asked = {
        "status": request.args.getlist("status"),
        "kit": request.args.getlist("kit"),
        "day": request.args.getlist("day"),
        "search": request.args.getlist("search"),
        "sort": request.args.getlist("sort"),
        "direction": request.args.getlist("direction"),
        "page": request.args.getlist("page"),
    }
    connection, event = state.connection(), state.instance().event
    refused, code = None, 200
    try:
        page = listing.list_page(connection, event.id, event.capacity, listing.parse(asked))
    except listing.UnknownListingValue as unknown:
        refused, code = LISTING_REFUSALS.get(unknown.parameter, LISTING_REFUSALS["page"])(), 400
        page = listing.list_page(connection, event.id, event.capacity, listing.Query())
    return render_template(
        "staff/registrations.html",
        session=session,
        listing=page,
        refused=refused,
        statuses=listing.STATUSES,
        sorts=listing.SORTS,
        online=listing.ONLINE,
        status_word=status_word,
        export_form=ReasonForm(),
        logout=LogoutForm(),
    ), code


# One sentence per parameter of the list that can be refused.
LISTING_REFUSALS = {
    "status": lambda: _("There is no such status, or it was given twice: choose one from the list."),
    "kit": lambda: _("There is no such field kit, or it was given twice: choose one from the list."),
    "day": lambda: _("A day is written once, as year-month-day, for example 2027-05-04."),
    "search": lambda: _("Search once, with at most %(max)d letters, digits or spaces.", max=listing.MAX_SEARCH),
    "sort": lambda: _("The list is sorted by pseudonym, day or status, once."),
    "direction": lambda: _("The list is sorted ascending or descending, once."),
    "page": lambda: _("There is no such page of this list: pages are numbered from 1 to the last, once."),
}


@bp.app_template_global()
def status_word(status: str) -> str:
    """A status as staff read it, through the catalog."""
    words = {
        "submitted": _("submitted"),
        "approved": _("approved"),
        "waitlisted": _("waitlisted"),
        "rejected": _("rejected"),
    }
    return words.get(status, status)


def _pseudonym_and_status(registration_id: str) -> tuple[str, str]:
    try:
        return lifecycle.pseudonym_and_status(state.connection(), state.instance().event.id, registration_id)
    except UnknownRegistration:
        abort(404)


@bp.get("/registrations/<registration_id>")
@staff_required(READERS)
def registration(session: StaffSession, registration_id: str) -> Page:
    """The record: its answers if this reader opened it and has not closed it, else the form to open it."""
    pseudonym, status = _pseudonym_and_status(registration_id)
    sent = request.args.get("sent") == "1"
    return _registration_page(
        session,
        registration_id,
        pseudonym,
        status,
        ReasonForm(),
        DecisionForm(),
        _still_open(session, registration_id),
        notice=_("Sent. The participant reads it on their status page, with their secret code.") if sent else None,
    )


def _still_open(session: StaffSession, registration_id: str) -> dict[str, dict[str, str]] | None:
    """Its answers, when this record is the one the reader opened with a logged reason and has not closed."""
    if session.open_record is None or session.open_record[0] != registration_id:
        return None
    try:
        return reading.open_again(
            state.connection(),
            state.instance().event,
            registration_id,
            keys=session.keys,
            actor=session.username,
            reason=session.open_record[1],
        )
    except set_aside.RecordDoesNotOpen:
        return None


def _registration_page(
    session: StaffSession,
    registration_id: str,
    pseudonym: str,
    status: str,
    reason_form: ReasonForm,
    decision_form: DecisionForm,
    opened: dict[str, dict[str, str]] | None = None,
    code: int = 200,
    destroy_form: DestroyForm | None = None,
    message_form: MessageForm | None = None,
    notice: str | None = None,
) -> Page:
    event = state.instance().event
    connection = state.connection()
    may_message = messages.may_message(session.actor(), event)
    return render_template(
        "staff/registration.html",
        session=session,
        registration_id=registration_id,
        pseudonym=pseudonym,
        status=status,
        reason_form=reason_form,
        decision_form=decision_form,
        may_decide=lifecycle.may_decide(session.actor(), event),
        opened=opened,
        set_aside_on=set_aside.set_aside_on(state.connection(), registration_id),
        may_destroy=set_aside.may_destroy(session.actor(), event),
        destroy_form=destroy_form or DestroyForm(prefix="destroy"),
        may_message=may_message,
        predates_messages=may_message and messages.predates_messages(connection, registration_id),
        # The messages and answers are read as part of the opening, logged with its reason: only while it is open.
        thread=messages.thread(connection, event, registration_id, session.keys)
        if may_message and opened is not None
        else None,
        message_form=message_form or _message_form(MessageForm(prefix="message")),
        notice=notice,
        logout=LogoutForm(),
    ), code


def _message_form(form: MessageForm) -> MessageForm:
    rules = state.instance().event.messages
    canned = rules.canned if rules is not None else ()
    form.canned.choices = [("", _("None: I write my own"))] + [
        (message.key, message.text(current_language())) for message in canned
    ]
    return form


@bp.post("/registrations/<registration_id>/open")
@staff_required(READERS)
def open_registration(session: StaffSession, registration_id: str) -> Page:
    pseudonym, status = _pseudonym_and_status(registration_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _registration_page(session, registration_id, pseudonym, status, form, DecisionForm(), code=400)
    try:
        opened = reading.open_registration(
            state.connection(),
            state.instance().event,
            registration_id,
            keys=session.keys,
            actor=session.username,
            reason=form.reason.data or "",
        )
    except set_aside.RecordDoesNotOpen:
        return _registration_page(session, registration_id, pseudonym, status, ReasonForm(), DecisionForm())
    session.open_record = (registration_id, (form.reason.data or "").strip())  # open until closed or replaced
    return _registration_page(session, registration_id, pseudonym, status, ReasonForm(), DecisionForm(), opened)


@bp.post("/registrations/<registration_id>/close")
@staff_required(READERS)
def close_registration(session: StaffSession, registration_id: str) -> BaseResponse:
    if not LogoutForm().validate_on_submit():
        abort(400)
    if session.open_record is not None and session.open_record[0] == registration_id:
        session.open_record = None
    return redirect(url_for("staff.registration", registration_id=registration_id), code=303)


@bp.post("/registrations/<registration_id>/destroy")
@staff_required(READERS)
def destroy(session: StaffSession, registration_id: str) -> Page | BaseResponse:
    """Destroy one record set aside as not opening: an admin or a decider, with CSRF and a reason."""
    pseudonym, status = _pseudonym_and_status(registration_id)
    event = state.instance().event
    if not set_aside.may_destroy(session.actor(), event):
        abort(403)
    form = DestroyForm(prefix="destroy")
    if not form.validate_on_submit():
        return _registration_page(
            session, registration_id, pseudonym, status, ReasonForm(), DecisionForm(), destroy_form=form, code=400
        )
    try:
        set_aside.destroy(
            state.connection(), event, registration_id, actor=session.actor(), reason=form.reason.data or ""
        )
    except set_aside.MayNotDestroy:
        abort(403)
    except (set_aside.ReasonRequired, set_aside.NotSetAside) as refused:
        opens = isinstance(refused, set_aside.NotSetAside)
        form.reason.errors = [
            _("This record has not been found not to open, so it is not destroyed this way.")
            if opens
            else _("Please give a reason.")
        ]
        return _registration_page(
            session, registration_id, pseudonym, status, ReasonForm(), DecisionForm(), destroy_form=form,
            code=409 if opens else 400,
        )  # fmt: skip
    return redirect(url_for("staff.registrations"), code=303)


@bp.post("/registrations/<registration_id>/message")
@staff_required(READERS)
def send_message(session: StaffSession, registration_id: str) -> Page | BaseResponse:
    """A message to the participant, from a holder of the event's messages_by compartment; logged without its text."""
    event = state.instance().event
    if not messages.may_message(session.actor(), event):
        abort(403)
    try:
        pseudonym, status = lifecycle.pseudonym_and_status(state.connection(), event.id, registration_id)
    except UnknownRegistration:
        sentence = _("This registration was withdrawn or destroyed: no message can be sent to it.")
        return render_template("error.html", status=400, message=sentence), 400
    form = _message_form(MessageForm(prefix="message"))
    opened = _still_open(session, registration_id)

    def refused(sentence: str | None = None, code: int = 400) -> Page:
        if sentence:
            form.text.errors = [*form.text.errors, sentence]
        return _registration_page(
            session, registration_id, pseudonym, status, ReasonForm(), DecisionForm(), opened, code, message_form=form
        )

    if not form.validate_on_submit():
        return refused()
    try:
        messages.send(
            state.connection(),
            event,
            registration_id,
            text=form.text.data or "",
            canned=form.canned.data or "",
            actor=session.actor(),
        )
    except messages.MayNotMessage:
        abort(403)
    except messages.MessageEmpty:
        return refused(_("Please write a message, or choose one of the event's messages."))
    except messages.TextAndCanned:
        return refused(_("Send either your own text or one of the event's messages, not both."))
    except messages.MessageTooLong as too_long:
        return refused(_("Please keep the message to at most %(max)d characters.", max=too_long.limit))
    except messages.MessageUnreadable:
        return refused(_("This contains characters that could not be read. Please type it again."))
    except messages.UnknownCannedMessage:
        return refused(_("The event has no message of that name."))
    except messages.PredatesMessages:
        return refused(_("This registration predates messages: no message can be sent to it."), 409)
    except UnknownRegistration:
        sentence = _("This registration was withdrawn or destroyed: no message can be sent to it.")
        return render_template("error.html", status=400, message=sentence), 400
    # Back to the page by GET, so that reloading it never sends the message twice.
    return redirect(url_for("staff.registration", registration_id=registration_id, sent=1), code=303)


@bp.post("/registrations/<registration_id>/decision")
@staff_required(READERS)
def decision(session: StaffSession, registration_id: str) -> Page | BaseResponse:
    pseudonym, status = _pseudonym_and_status(registration_id)
    form = DecisionForm()
    event = state.instance().event
    if not form.validate_on_submit():
        if not lifecycle.may_decide(session.actor(), event):
            abort(403)
        return _registration_page(session, registration_id, pseudonym, status, ReasonForm(), form, code=400)
    try:
        lifecycle.decide_as(state.connection(), event, registration_id, form.decision.data or "", session.actor())
    except lifecycle.MayNotDecide:
        abort(403)
    except CapacityReached as full:
        form.decision.errors = [
            _("All %(capacity)d places are taken: nobody more can be approved.", capacity=full.capacity)
        ]
        return _registration_page(session, registration_id, pseudonym, status, ReasonForm(), form, code=409)
    return redirect(url_for("staff.registration", registration_id=registration_id), code=303)


@bp.route("/grants", methods=["GET", "POST"], endpoint="grants")
@staff_required(READERS)
def grants_page(session: StaffSession) -> Page:
    grant_form, revoke_form = GrantForm(prefix="grant"), RevokeForm(prefix="revoke")
    _offer_choices(grant_form, revoke_form)
    message, code = None, 200
    if request.method == "POST":
        form = grant_form if "grant-username" in request.form else revoke_form
        message, code = _change_grant(session, form) if form.validate_on_submit() else (None, 400)
    connection = state.connection()
    return render_template(
        "staff/grants.html",
        session=session,
        grant_form=grant_form,
        revoke_form=revoke_form,
        held=grants.holders(connection, state.instance().event.id),
        message=message,
        logout=LogoutForm(),
    ), code


def _offer_choices(grant_form: GrantForm, revoke_form: RevokeForm) -> None:
    """The event's compartments; the active accounts to grant to, and every account to revoke from (a disabled
    account's keys are still revoked, and its compartment rotated, after someone has left)."""
    compartments = [("", _("Choose a compartment"))] + [(c.name, c.name) for c in state.instance().event.compartments]
    members = [member for member, _held in accounts.list_staff(state.connection())]
    choose = ("", _("Choose a person"))
    grant_form.compartment.choices = revoke_form.compartment.choices = compartments
    grant_form.username.choices = [choose] + [(m.username, m.username) for m in members if not m.disabled]
    revoke_form.username.choices = [choose] + [
        (m.username, _("%(name)s (disabled)", name=m.username) if m.disabled else m.username) for m in members
    ]


def _change_grant(session: StaffSession, form: GrantForm) -> tuple[str, int]:
    connection, event = state.connection(), state.instance().event
    compartment, username = form.compartment.data or "", form.username.data or ""
    try:
        if isinstance(form, RevokeForm):
            revoked = grants.revoke(
                connection,
                event,
                compartment=compartment,
                username=username,
                actor=session.actor(),
                rotate=bool(form.rotate.data),
            )
            return (_("Revoked.") if revoked.keys_removed else _("That person held no key of this compartment.")), 200
        grants.grant(
            connection, event, compartment=compartment, to=username, holder_keys=session.keys, actor=session.username
        )
    except grants.UnknownCompartment:
        return _("There is no compartment of that name."), 400
    except UnknownStaff:
        return _("There is no active staff member of that name."), 400
    except grants.MayNotRevoke:
        return _("Only an administrator or a holder of this compartment can revoke it."), 403
    except (grants.NotHeld, NotAllowed):
        # Nobody can grant what they cannot open; an admin without a grant holds nothing to seal.
        return _("You do not hold this compartment, so you cannot grant it."), 403
    return _("Granted. It takes effect at their next login."), 200


@bp.post("/export")
@staff_required(READERS)
def export(session: StaffSession) -> Response:
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    event = state.instance().event
    # Streamed, a batch of records at a time, on a connection of its own that lives as long as the download
    # (the request's closes when the view returns). Logged before the first line. Records that do not open
    # keep their row, marked in every field; the registrations page lists them too.
    connection = state.instance().connect()
    try:
        lines = reading.export_csv(
            connection, event, keys=session.keys, actor=session.username, reason=form.reason.data or ""
        )
    except BaseException:
        connection.close()
        raise

    def download() -> Iterator[str]:
        try:
            yield from lines
        finally:
            connection.close()

    return Response(
        download(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{event.id}-export.csv"'},
    )
