"""Forms of the staff pages; every one carries a CSRF token."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from app.web.forms import GatehouseForm, readable

_REQUIRED = _l("Please fill in this field.")
_TOO_LONG = _l("Please keep this to at most %(max)d characters.")


class LoginForm(GatehouseForm):
    username = StringField(_l("Username"), validators=[DataRequired(_REQUIRED), Length(max=40, message=_TOO_LONG)])
    passphrase = PasswordField(
        _l("Passphrase"), validators=[DataRequired(_REQUIRED), Length(max=400, message=_TOO_LONG)]
    )
    code = StringField(
        _l("Code from your authenticator app"),
        validators=[DataRequired(_REQUIRED), Regexp(r"^\s*\d{6}\s*$", message=_l("The code is six digits."))],
    )


def _reason(label: LazyString) -> TextAreaField:
    """A reason the audit log keeps: 4 to 300 characters."""
    return TextAreaField(
        label,
        validators=[
            DataRequired(_l("Please give a reason.")),
            Length(min=4, max=300, message=_l("Please write between %(min)d and %(max)d characters.")),
        ],
    )


class ReasonForm(GatehouseForm):
    reason = _reason(_l("Why do you need to open this? (kept in the audit log)"))


class QueueForm(GatehouseForm):
    """Open a review queue: how many at once, and the one reason for them all (the filters come with it)."""

    reason = _reason(_l("Why do you need to open these? (kept in the audit log)"))
    size = SelectField(
        _l("How many at once"),
        choices=[SelectChoice(size, size) for size in ("10", "20", "30", "50")],
        default="20",
        validators=[DataRequired(_l("Please choose how many."))],
    )


class QueueDecisionsForm(GatehouseForm):
    """The decisions of an open queue are fields named after each row (app.web.review); this carries the token
    and which button was pressed: save and stay, or save and open the next rows."""

    then = StringField(validators=[AnyOf(("save", "next"), message=_l("Please use one of the buttons."))])


class DestroyForm(GatehouseForm):
    reason = _reason(_l("Why destroy this record? (kept in the audit log)"))


class DecisionForm(GatehouseForm):
    decision = RadioField(
        _l("Your decision on this registration"),
        choices=[
            SelectChoice("approved", _l("Approve")),
            SelectChoice("waitlisted", _l("Waitlist")),
            SelectChoice("rejected", _l("Reject")),
        ],
        validators=[DataRequired(_l("Please choose a decision."))],
    )


def _listed(message: LazyString) -> Callable[[FlaskForm, Field], None]:
    """The value is one of the field's choices (set by the view from what exists), else this message."""

    def check(_form: FlaskForm, field: Field) -> None:
        if field.data not in {value for value, _label in field.choices if value}:
            raise ValidationError(message)

    return check


class GrantForm(GatehouseForm):
    """The compartment and the person are chosen from lists the view fills: the event's compartments, and the
    active accounts (any account, for a revocation). A value from outside the lists is an error on the form."""

    compartment = SelectField(
        _l("Compartment"), validate_choice=False, validators=[_listed(_l("There is no compartment of that name."))]
    )
    username = SelectField(
        _l("Staff member"),
        validate_choice=False,
        validators=[_listed(_l("There is no active staff member of that name."))],
    )


class RevokeForm(GrantForm):
    username = SelectField(
        _l("Staff member"), validate_choice=False, validators=[_listed(_l("There is no staff member of that name."))]
    )
    rotate = BooleanField(_l("Also change the compartment key for everything written from now on"))


class MessageForm(GatehouseForm):
    """A message to the participant: free text, or one of the event's canned messages (the view fills the list).
    Its length is the event's to check (app.registrations.messages), in one sentence."""

    text = TextAreaField(_l("Your message"), validators=[readable])
    canned = SelectField(
        _l("Or send one of the event's messages"),
        validate_choice=False,
        validators=[Optional(), _listed(_l("The event has no message of that name."))],
    )


class LogoutForm(GatehouseForm):
    """Nothing but the CSRF token: logging out is a POST that another site cannot forge."""


class WipeForm(GatehouseForm):
    """The event id typed out, and the passphrase and a fresh code again: a wipe cannot be undone."""

    event_id = StringField(_l("Type the event id to confirm"), validators=[DataRequired(_REQUIRED), Length(max=80)])
    passphrase = LoginForm.passphrase
    code = LoginForm.code


class LettersForm(GatehouseForm):
    """Check who may have a visa letter: the reason for opening the letter fields, and the letter's language."""

    reason = _reason(_l("Why do you need to open this? (kept in the audit log)"))
    language = SelectField(_l("Language of the letters"), validate_choice=False)


class MakeLettersForm(LettersForm):
    """Make the letters: the findings staff override for some people, and why."""

    override = SelectMultipleField(
        _l("Make their letter all the same"),
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    # Checked by the service, which alone knows whether a finding is overridden at all.
    override_reason = TextAreaField(_l("Why these findings do not stop their letter (kept in the audit log)"))


class VerifyLetterForm(GatehouseForm):
    """A letter a consulate asks about: its reference, its code, and the passport number it names."""

    reference = StringField(_l("Reference"), validators=[DataRequired(_REQUIRED), Length(max=40, message=_TOO_LONG)])
    code = StringField(_l("Verification code"), validators=[DataRequired(_REQUIRED), Length(max=40, message=_TOO_LONG)])
    passport = StringField(
        _l("Passport number on the letter"), validators=[DataRequired(_REQUIRED), Length(max=60, message=_TOO_LONG)]
    )


class RevokeLetterForm(GatehouseForm):
    reference = StringField(_l("Reference"), validators=[DataRequired(_REQUIRED), Length(max=40, message=_TOO_LONG)])
    reason = _reason(_l("Why does this letter no longer stand? (kept in the audit log)"))


class ReissueForm(GatehouseForm):
    """Re-issue a participant's pass: their pseudonym (their old pass is refused from then on)."""

    pseudonym = StringField(
        _l("Pseudonym whose pass to re-issue"),
        validators=[DataRequired(_l("Please type a pseudonym.")), Length(max=80), readable],
    )
