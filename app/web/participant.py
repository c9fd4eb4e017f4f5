"""Pages for participants: what the event is, and the one-page registration."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _

import crypto
from app.checkin import passes
from app.registrations import messages
from app.registrations.invitations import InvitationRefused
from app.registrations.lifecycle import (
    Found,
    UnknownRegistration,
    find_by_codename,
    find_by_id,
    has_values_for,
    withdraw,
)
from app.registrations.register import FormWithdrawn, NotApproved, Receipt, add_follow_up, register
from app.web import codename_forms, privacy, state
from app.web.forms import (
    AnswerForm,
    PassForm,
    ReceiptForm,
    StatusForm,
    WithdrawForm,
    event_values,
    follow_up_form_class,
    registration_form_class,
    validate_registration,
)
from app.web.i18n import current_language
from app.web.qr import qr_svg

bp = Blueprint("participant", __name__)


@bp.get("/")
def index() -> str:
    return render_template("index.html", notice=privacy.notice(state.instance().event, current_language()))


@bp.route("/register", methods=["GET", "POST"])
def register_page() -> tuple[str, int] | str:
    instance = state.instance()
    form = registration_form_class(instance.event, current_language())()
    if not form.is_submitted():
        form.submission.data = crypto.new_submission_token()
        return render_template("register.html", form=form)
    if not validate_registration(form):
        return render_template("register.html", form=form), 400

    values = event_values(form, instance.event.registration_fields())
    invitation = form.invitation.data if "invitation" in form else ""
    try:
        receipt = register(
            state.connection(), instance, form.submission.data, values, invitation, state.state().recent_receipts
        )
    except InvitationRefused:
        form.invitation.errors = [
            _("This invitation code is not valid. Please check it with the person who gave it to you.")
        ]
        return render_template("register.html", form=form), 400
    except FormWithdrawn:
        # This very form made a registration that was withdrawn or destroyed since (on a kit: after a bundle took it).
        form.submission.data = crypto.new_submission_token()
        form.submission.errors = [
            _(
                "This form was used for a registration that was later withdrawn. To register again,"
                " check your answers below and send the form once more."
            )
        ]
        return render_template("register.html", form=form), 400
    return _receipt_page(receipt)


@bp.post("/register/receipt")
def receipt_again() -> tuple[str, int] | str:
    """The receipt once more, in the language asked for: each language on the receipt is a button that posts here
    the codename the receipt shows, so changing language never leaves the codename behind."""
    form = ReceiptForm()
    if not form.validate():
        return _status_page(StatusForm(), message=_("Please look up your status with your secret code."), code=400)
    if not form.codename.data:  # a receipt that withheld its codename: shown again as it was
        return _receipt_page(Receipt("", "", repeated=True))
    found, message, code = _look_up(form)
    if found is None:
        return _status_page(StatusForm(), message=message, code=code)
    codename = crypto.normalise_codename(form.codename.data)
    return _receipt_page(Receipt(found.pseudonym, codename, repeated=False, status=found.status))


def _receipt_page(receipt: Receipt) -> str:
    words, digits = codename_forms.written_forms(receipt.codename, current_language()) if receipt.codename else ("", "")
    return render_template("registered.html", receipt=receipt, words=words, digits=digits)


def _look_up(form) -> tuple[Found | None, str | None, int]:
    """The registration for the typed codename, or the one message every failure gets and its status code.

    A right codename is always answered: the budget slows failures only, so nobody can lock a participant
    out of their own status or withdrawal by flooding wrong guesses.
    """
    budget = state.state().codename_budget
    instance = state.instance()
    try:
        found = find_by_codename(
            state.connection(), instance.secrets.codename_lookup_key, instance.event.id, form.codename.data
        )
    except crypto.CodenameMistake as mistake:
        # Decided from the typed text alone, before any look-up: it tells nothing of any registration.
        return None, _mistake(mistake), 400
    if found is None:
        if budget.exhausted():
            return None, _("Too many secret codes were tried in the last minute. Please try again shortly."), 429
        budget.spend()
        # One message whether the words are malformed or unknown: it never hints that a record exists.
        return (
            None,
            _(
                "We could not find a registration with this secret code."
                " Please check each word or group of digits and try again."
            ),
            400,
        )
    return found, None, 200


def _mistake(mistake: crypto.CodenameMistake) -> str:
    number = codename_forms.local_number(mistake.position, current_language())
    if mistake.kind == "group":
        return _("Group %(number)s of your secret code has a mistake. Please check its four digits.", number=number)
    return _("Word %(number)s of your secret code is not in our list. Please check it.", number=number)


def _status_page(
    form,
    found=None,
    message=None,
    code=200,
    withdraw_form=None,
    follow_up_form=None,
    notice=None,
    thread: messages.ParticipantView | None = None,
    answer_form: AnswerForm | None = None,
):
    form.codename.data = ""  # the codename is a secret: never written back into a page
    event = state.instance().event
    if found is not None and found.status == "approved" and event.follow_up_fields():
        follow_up_form = follow_up_form or follow_up_form_class(event, current_language())()
        # Each form shown gets a token of its own, good for one sending.
        follow_up_form.record.data = state.state().follow_up_tokens.issue(found.registration_id)
    if found is not None and (answer_form is not None or (thread is not None and thread.may_answer)):
        answer_form = answer_form or AnswerForm()
        answer_form.record.data = state.state().answer_tokens.issue(found.registration_id)
    else:
        answer_form = None
    pass_form = None
    if found is not None and found.status == "approved":
        pass_form = PassForm(formdata=None)
        pass_form.record.data = state.state().pass_tokens.issue(found.registration_id)
    return render_template(
        "status.html",
        form=form,
        found=found,
        pass_form=pass_form,
        message=message,
        notice=notice,
        withdraw_form=withdraw_form or WithdrawForm(),
        follow_up_form=follow_up_form if found is not None else None,
        thread=thread,
        answer_form=answer_form,
        follow_up_received=found is not None
        and has_values_for(
            state.connection(), found.registration_id, [field.key for field in event.follow_up_fields()]
        ),
    ), code


@bp.route("/status", methods=["GET", "POST"])
def status():
    form = StatusForm()
    if not form.is_submitted():
        return _status_page(form)
    if not form.validate():
        return _status_page(form, code=400)
    found, message, code = _look_up(form)
    if found is None:
        return _status_page(form, found, message, code)
    # Only now, with the registration found: a wrong codename costs no derivation and reveals no message.
    thread = messages.for_participant(
        state.connection(), state.instance().event, found.registration_id, form.codename.data
    )
    return _status_page(form, found, message, code, thread=thread)


@bp.post("/status/answer")
def answer_page():
    event = state.instance().event
    form = AnswerForm()
    registration_id = state.state().answer_tokens.redeem(form.record.data or "")
    found = find_by_id(state.connection(), registration_id) if registration_id else None
    if found is None:  # a forged, used or expired token, or a record withdrawn since
        message = _("This form has expired. Please look up your status again with your secret code.")
        return _status_page(StatusForm(), message=message, code=400)
    if not form.validate():
        return _status_page(StatusForm(), found, answer_form=form, code=400)
    try:
        messages.answer(state.connection(), event, found.registration_id, form.text.data or "")
    except messages.MessageEmpty:
        form.text.errors = [_("Please write your answer first.")]
    except messages.MessageTooLong as too_long:
        form.text.errors = [_("Please keep your answer to at most %(max)d characters.", max=too_long.limit)]
    except (messages.MessageUnreadable, messages.TextAndCanned):
        form.text.errors = [_("This contains characters that could not be read. Please type it again.")]
    except (UnknownRegistration, messages.MessagesOff):
        message = _("This form has expired. Please look up your status again with your secret code.")
        return _status_page(StatusForm(), message=message, code=400)
    else:
        notice = _("Your answer is sent, encrypted so that only the organisers can read it.")
        return _status_page(StatusForm(), found, notice=notice)
    return _status_page(StatusForm(), found, answer_form=form, code=400)


@bp.post("/status/follow-up")
def follow_up():
    event = state.instance().event
    form = follow_up_form_class(event, current_language())()
    registration_id = state.state().follow_up_tokens.redeem(form.record.data or "")
    found = find_by_id(state.connection(), registration_id) if registration_id else None
    if found is None:  # a forged, used or expired token, or a record withdrawn since
        message = _("This form has expired. Please look up your status again with your secret code.")
        return _status_page(StatusForm(), message=message, code=400)
    registration_id = found.registration_id
    if not form.validate():
        return _status_page(StatusForm(), found, follow_up_form=form, code=400)
    try:
        add_follow_up(state.connection(), event, registration_id, event_values(form, event.follow_up_fields()))
    except NotApproved:
        return _status_page(
            StatusForm(), found, message=_("These details are asked only once you are accepted."), code=400
        )
    return _status_page(StatusForm(), found, notice=_("Thank you: your details are in, encrypted like the rest."))


@bp.post("/status/pass")
def pass_page():
    """The pass for the door, on a page of its own so that the status page keeps within its budget."""
    form = PassForm()
    registration_id = state.state().pass_tokens.redeem(form.record.data or "") if form.validate() else None
    codes = passes.pass_codes(state.connection(), state.instance().event, registration_id) if registration_id else None
    if codes is None:  # a forged, used or expired token, or a registration no longer approved
        message = _("This form has expired. Please look up your status again with your secret code.")
        return _status_page(StatusForm(), message=message, code=400)
    qr = qr_svg(codes.long.replace("-", ""), _("Your pass as a QR code"))
    return render_template("pass.html", short_code=codes.short, qr=qr)


@bp.post("/status/withdraw")
def withdraw_page():
    form = WithdrawForm()
    if not form.validate():
        return _status_page(StatusForm(), withdraw_form=form, code=400)
    found, message, code = _look_up(form)
    if found is None:
        return _status_page(StatusForm(), message=message, code=code)
    withdraw(state.connection(), found)
    return render_template("withdrawn.html", pseudonym=found.pseudonym)
