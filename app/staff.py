"""Pages for vetted staff: login with a second factor, registrations by pseudonym, opening with a reason,
decisions, grants and exports. Access is declared on each view with ``staff_required(roles)``."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app import audit, db, keyring
from app.cookies import cookie_is_secure
from app.db import get_db
from app.export import export_csv
from app.instance import Instance
from app.lifecycle import CapacityReached, UnknownRegistration, decide, pseudonym_and_status
from app.records import load_record, open_record
from app.staff_accounts import find_staff
from app.staff_auth import LoginRefused, LoginThrottled, authenticate
from app.staff_forms import DecisionForm, GrantForm, LoginForm, LogoutForm, ReasonForm, RevokeForm
from app.staff_sessions import SessionStore, StaffSession

bp = Blueprint("staff", __name__, url_prefix="/staff")
COOKIE = "gatehouse_staff"
READERS = ("admin", "staff")


def _instance() -> Instance:
    return current_app.extensions["gatehouse"]


def _sessions() -> SessionStore:
    return current_app.extensions["gatehouse.sessions"]


def staff_required(roles: tuple[str, ...]) -> Callable:
    """Hand the live staff session to the view; send others to the login page, or refuse a wrong role."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            session = _sessions().get(request.cookies.get(COOKIE))
            if session is None:
                return redirect(url_for("staff.login"))
            if session.role not in roles:
                abort(403)
            return view(session, *args, **kwargs)

        return guarded

    return decorate


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("staff/login.html", form=form), 400 if form.is_submitted() else 200
    connection = get_db()
    try:
        logged_in = authenticate(
            connection,
            current_app.extensions["gatehouse.login_throttle"],
            form.username.data.strip().lower(),
            form.passphrase.data,
            form.code.data,
        )
    except LoginThrottled:
        form.form_errors.append(_("Too many failed attempts for this account. Wait a minute, then try again."))
        return render_template("staff/login.html", form=form), 429
    except LoginRefused:
        form.form_errors.append(_("The username, passphrase or code is not right."))
        return render_template("staff/login.html", form=form), 400
    member = logged_in.member
    keys = (
        keyring.keys_held_by(connection, member.id, _instance().event.id, logged_in.staff_key)
        if logged_in.staff_key
        else {}
    )
    token = _sessions().start(StaffSession(member.id, member.username, member.role, keys))
    home = "auditor.overview" if member.role == "auditor" else "staff.registrations"
    response = redirect(url_for(home), code=303)
    response.set_cookie(COOKIE, token, path="/staff", httponly=True, samesite="Strict", secure=cookie_is_secure())
    return response


@bp.post("/logout")
def logout():
    if LogoutForm().validate_on_submit():
        _sessions().end(request.cookies.get(COOKIE))
    response = redirect(url_for("staff.login"), code=303)
    response.delete_cookie(COOKIE, path="/staff", httponly=True, samesite="Strict", secure=cookie_is_secure())
    return response


@bp.get("/")
@staff_required(READERS)
def registrations(session: StaffSession):
    rows = (
        get_db()
        .execute(
            "SELECT id, pseudonym, status, submitted_day, source_kit FROM registrations WHERE event_id = ?"
            " ORDER BY pseudonym",
            (_instance().event.id,),
        )
        .fetchall()
    )
    return render_template(
        "staff/registrations.html", session=session, rows=rows, export_form=ReasonForm(), logout=LogoutForm()
    )


def _pseudonym_and_status(registration_id: str) -> tuple[str, str]:
    try:
        return pseudonym_and_status(get_db(), _instance().event.id, registration_id)
    except UnknownRegistration:
        abort(404)


@bp.get("/registrations/<registration_id>")
@staff_required(READERS)
def registration(session: StaffSession, registration_id: str):
    pseudonym, status = _pseudonym_and_status(registration_id)
    return _registration_page(session, registration_id, pseudonym, status, ReasonForm(), DecisionForm())


def _registration_page(session, registration_id, pseudonym, status, reason_form, decision_form, opened=None, code=200):
    event = _instance().event
    return render_template(
        "staff/registration.html",
        session=session,
        registration_id=registration_id,
        pseudonym=pseudonym,
        status=status,
        reason_form=reason_form,
        decision_form=decision_form,
        may_decide=session.holds(event.decided_by),
        opened=opened,
        logout=LogoutForm(),
    ), code


@bp.post("/registrations/<registration_id>/open")
@staff_required(READERS)
def open_registration(session: StaffSession, registration_id: str):
    pseudonym, status = _pseudonym_and_status(registration_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _registration_page(session, registration_id, pseudonym, status, form, DecisionForm(), code=400)
    connection = get_db()
    event = _instance().event
    # Logged before anything is decrypted: an opening that fails half-way is still on record.
    audit.log(
        connection,
        session.username,
        "open",
        pseudonym,
        {"compartments": session.compartments()},
        form.reason.data.strip(),
    )
    opened = open_record(event.id, load_record(connection, registration_id), session.keys)
    return _registration_page(session, registration_id, pseudonym, status, ReasonForm(), DecisionForm(), opened)


@bp.post("/registrations/<registration_id>/decision")
@staff_required(READERS)
def decision(session: StaffSession, registration_id: str):
    pseudonym, status = _pseudonym_and_status(registration_id)
    form = DecisionForm()
    if not session.holds(_instance().event.decided_by):
        abort(403)
    if not form.validate_on_submit():
        return _registration_page(session, registration_id, pseudonym, status, ReasonForm(), form, code=400)
    event = _instance().event
    try:
        decide(get_db(), event.id, registration_id, form.decision.data, session.username, event.capacity)
    except CapacityReached:
        form.decision.errors = [
            _("All %(capacity)d places are taken: nobody more can be approved.", capacity=event.capacity)
        ]
        return _registration_page(session, registration_id, pseudonym, status, ReasonForm(), form, code=409)
    return redirect(url_for("staff.registration", registration_id=registration_id), code=303)


@bp.route("/grants", methods=["GET", "POST"])
@staff_required(READERS)
def grants(session: StaffSession):
    grant_form, revoke_form = GrantForm(prefix="grant"), RevokeForm(prefix="revoke")
    message, code = None, 200
    if request.method == "POST":
        form = grant_form if "grant-username" in request.form else revoke_form
        message, code = _change_grant(session, form) if form.validate_on_submit() else (None, 400)
    connection = get_db()
    staff = connection.execute("SELECT username, role, disabled FROM staff ORDER BY username").fetchall()
    held = connection.execute(
        "SELECT staff.username, grants.compartment, max(grants.generation) FROM grants"
        " JOIN staff ON staff.id = grants.staff_id WHERE grants.event_id = ?"
        " GROUP BY staff.username, grants.compartment ORDER BY staff.username, grants.compartment",
        (_instance().event.id,),
    ).fetchall()
    return render_template(
        "staff/grants.html",
        session=session,
        grant_form=grant_form,
        revoke_form=revoke_form,
        staff=staff,
        held=held,
        message=message,
        logout=LogoutForm(),
    ), code


def _change_grant(session: StaffSession, form: GrantForm) -> tuple[str, int]:
    event = _instance().event
    compartment, username = form.compartment.data.strip(), form.username.data.strip().lower()
    connection = get_db()
    member = find_staff(connection, username)
    if compartment not in {c.name for c in event.compartments}:
        return _("There is no compartment of that name."), 400
    if member is None or member.disabled:
        return _("There is no active staff member of that name."), 400
    if isinstance(form, RevokeForm):
        if session.role != "admin" and not session.holds(compartment):
            return _("Only an administrator or a holder of this compartment can revoke it."), 403
        with db.transaction(connection):
            removed = keyring.revoke(connection, member.id, event.id, compartment)
            rotated = keyring.rotate(connection, event.id, compartment, session.username) if form.rotate.data else None
            audit.record(
                connection,
                session.username,
                "revoke",
                member.username,
                {"compartment": compartment, "rotated_to_generation": rotated},
            )
        _sessions().end_all_for(member.id)
        return (_("Revoked.") if removed else _("That person held no key of this compartment.")), 200
    if not session.holds(compartment):
        # Nobody can grant what they cannot open; an admin without a grant holds nothing to seal.
        return _("You do not hold this compartment, so you cannot grant it."), 403
    with db.transaction(connection):
        keyring.grant(connection, event.id, compartment, member.id, member.public_key, session.keys, session.username)
        audit.record(connection, session.username, "grant", member.username, {"compartment": compartment})
    return _("Granted. It takes effect at their next login."), 200


@bp.post("/export")
@staff_required(READERS)
def export(session: StaffSession):
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    connection = get_db()
    event = _instance().event
    audit.log(
        connection,
        session.username,
        "export",
        event.id,
        {"compartments": session.compartments()},
        form.reason.data.strip(),
    )
    text, _count = export_csv(connection, event, session.keys)
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{event.id}-export.csv"'},
    )
