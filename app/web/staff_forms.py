"""Forms of the staff pages; every one carries a CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp

from app.web.forms import GatehouseForm

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


class ReasonForm(GatehouseForm):
    reason = TextAreaField(
        _l("Why do you need to open this? (kept in the audit log)"),
        validators=[
            DataRequired(_l("Please give a reason.")),
            Length(min=4, max=300, message=_l("Please write between %(min)d and %(max)d characters.")),
        ],
    )


class DestroyForm(GatehouseForm):
    reason = TextAreaField(
        _l("Why destroy this record? (kept in the audit log)"),
        validators=[
            DataRequired(_l("Please give a reason.")),
            Length(min=4, max=300, message=_l("Please write between %(min)d and %(max)d characters.")),
        ],
    )


class DecisionForm(GatehouseForm):
    decision = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice("approved", _l("Approve")),
            SelectChoice("waitlisted", _l("Waitlist")),
            SelectChoice("rejected", _l("Reject")),
        ],
        validators=[DataRequired(_l("Please choose a decision."))],
    )


class GrantForm(GatehouseForm):
    compartment = StringField(
        _l("Compartment"), validators=[DataRequired(_REQUIRED), Length(max=40, message=_TOO_LONG)]
    )
    username = StringField(_l("Staff member"), validators=[DataRequired(_REQUIRED), Length(max=40, message=_TOO_LONG)])


class RevokeForm(GrantForm):
    rotate = BooleanField(_l("Also change the compartment key for everything written from now on"))


class LogoutForm(GatehouseForm):
    """Nothing but the CSRF token: logging out is a POST that another site cannot forge."""


class WipeForm(GatehouseForm):
    """The event id typed out, and the passphrase and a fresh code again: a wipe cannot be undone."""

    event_id = StringField(_l("Type the event id to confirm"), validators=[DataRequired(_REQUIRED), Length(max=80)])
    passphrase = LoginForm.passphrase
    code = LoginForm.code
