"""The registration form, built from the event's fields, with every check answered in the person's language."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable
from functools import cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, HiddenField, RadioField, StringField, TextAreaField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

import crypto
from app.events.definition import Event
from app.events.definition import Field as EventField

# Control characters other than tab and newlines, and the replacement character that
# stands where the browser sent bytes that were not UTF-8.
_UNREADABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


# Flask-WTF's own CSRF messages are English and technical; a person gets this instead.
_SECURITY_CHECK_FAILED = _l(
    "This page was open too long, or your browser did not send its security check."
    " Please check your answers and send the form again."
)


class GatehouseForm(FlaskForm):
    """A form whose every message is ours, in the person's language, including a failed security check."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if "csrf_token" in self and self.csrf_token.errors:
            self.csrf_token.errors = [_SECURITY_CHECK_FAILED]
        return valid


def _at_most(length: int) -> Length:
    return Length(
        max=length,
        message=lazy_ngettext(
            "Please keep this to at most %(num)d character.", "Please keep this to at most %(num)d characters.", length
        ),
    )


def readable(_form: FlaskForm, field: Field) -> None:
    """No control character, nor the mark of bytes that were not UTF-8."""
    if isinstance(field.data, str) and _UNREADABLE.search(field.data):
        raise ValidationError(_l("This contains characters that could not be read. Please type it again."))


def _email(_form: FlaskForm, field: Field) -> None:
    if field.data and not _EMAIL.fullmatch(field.data):
        raise ValidationError(_l("This does not look like an email address."))


def _date(_form: FlaskForm, field: Field) -> None:
    if field.data:
        try:
            datetime.date.fromisoformat(field.data)
        except ValueError:
            raise ValidationError(_l("Please give a date as year-month-day, for example 2027-05-04.")) from None


def _one_of(values: Iterable[str]) -> Callable[[FlaskForm, Field], None]:
    allowed = frozenset(values)

    def check(_form: FlaskForm, field: Field) -> None:
        if field.data and field.data not in allowed:
            raise ValidationError(_l("Please choose one of the options."))

    return check


def _strip(value: object) -> object:
    return value.strip().replace("\r\n", "\n") if isinstance(value, str) else value


def _form_field(field: EventField, language: str) -> Field:
    # DataRequired looks at the value after stripping: spaces alone are not an answer.
    presence = DataRequired(_l("Please fill in this field.")) if field.required else Optional()
    checks = [presence, _at_most(field.max_length), readable]
    options = {
        "label": field.label(language),
        "description": field.help(language) if field.help else "",
        "filters": [_strip],
    }
    if field.type == "choice":
        if field.required:
            checks[0] = DataRequired(_l("Please choose one of the options."))
        checks.append(_one_of(value for value, _label in field.choices))
        choices = [SelectChoice(value, label(language)) for value, label in field.choices]
        return RadioField(choices=choices, validate_choice=False, validators=checks, **options)
    if field.type == "textarea":
        return TextAreaField(validators=checks, **options)
    if field.type == "email":
        checks.append(_email)
    if field.type == "date":
        checks.append(_date)
    input_type = {"email": "email", "date": "date"}.get(field.type, "text")
    return StringField(validators=checks, render_kw={"type": input_type}, **options)


@cache
def follow_up_form_class(event: Event, language: str) -> type[FlaskForm]:
    """The fields asked only after approval, with the signed token that ties the form to one record."""
    attributes: dict[str, object] = {field.key: _form_field(field, language) for field in event.follow_up_fields()}
    attributes["record"] = HiddenField()
    return type("FollowUpForm", (GatehouseForm,), attributes)


@cache
def registration_form_class(event: Event, language: str) -> type[FlaskForm]:
    """A form class per event and language; labels are the organiser's words in that language."""
    attributes: dict[str, object] = {field.key: _form_field(field, language) for field in event.registration_fields()}
    attributes["submission"] = HiddenField()
    if event.invitation_required:
        attributes["invitation"] = StringField(
            _l("Invitation code"),
            description=_l("The code the organisers gave you, for example K7QM-3XD9-PA2F."),
            validators=[DataRequired(_l("This event needs an invitation code.")), _at_most(40)],
            render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
        )
    attributes["consent"] = BooleanField(
        _l("I agree that the organisers keep what I typed, encrypted, as this page explains."),
        validators=[DataRequired(_l("To register, please tick this box."))],
    )
    return type("RegistrationForm", (GatehouseForm,), attributes)


def validate_registration(form: FlaskForm) -> bool:
    """Check a sent registration form; on failure every problem carries a message for the person.

    A resent form keeps its submission token so it is still recognised; a missing or
    forged one is replaced, so the next send can go through.
    """
    valid = form.validate()
    if not crypto.is_submission_token(form.submission.data or ""):
        form.submission.data = crypto.new_submission_token()
        form.submission.errors = [_("This form could not be matched. Please check your answers and send it again.")]
        valid = False
    return valid


def input_attributes(field: Field, rule: EventField) -> dict[str, object]:
    """HTML attributes of one input: browser-side limits (no script needed) and error descriptions."""
    attributes: dict[str, object] = {"required": rule.required}
    if rule.type in ("text", "textarea", "email"):
        attributes["maxlength"] = rule.max_length
    if rule.type in ("text", "email", "date") and not field.data:
        attributes["value"] = False  # an empty value="" is the default: leave it out, the page is smaller
    described_by = [f"{field.id}-hint"] if field.description else []
    if field.errors:
        attributes["aria-invalid"] = "true"
        described_by.append(f"{field.id}-error")
    if described_by:
        attributes["aria-describedby"] = " ".join(described_by)
    return attributes


def event_values(form: FlaskForm, fields: Iterable[EventField]) -> dict[str, str]:
    """The typed values of these fields, by field key."""
    return {field.key: form[field.key].data or "" for field in fields}


def _codename_field(field_id: str = "codename") -> StringField:
    return StringField(
        _l("Your secret code (the words or the digits)"),
        id=field_id,  # the status page has two codename fields: each label must name its own
        validators=[DataRequired(_l("Please type your secret code.")), _at_most(300)],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )


class StatusForm(GatehouseForm):
    codename = _codename_field()


class ReceiptForm(FlaskForm):
    """The receipt asked for again in another language, carrying the codename the receipt shows (none if withheld).

    No CSRF token: showing a receipt changes nothing, and a receipt left open for hours must still change language.
    """

    class Meta:
        csrf = False

    codename = HiddenField(validators=[Optional(), _at_most(300), readable])


class AnswerForm(GatehouseForm):
    """The participant's answer to the organisers, with the one-time token that ties it to the record looked up."""

    record = HiddenField()
    text = TextAreaField(_l("Your answer to the organisers"), validators=[readable])


class PassForm(GatehouseForm):
    """The button from the status page to the pass, with the one-time token that ties it to the record looked up."""

    record = HiddenField()


class WithdrawForm(GatehouseForm):
    codename = _codename_field("withdraw-codename")
    confirm = BooleanField(
        _l("Yes: destroy my registration and everything I told you. This cannot be undone."),
        validators=[DataRequired(_l("To withdraw, please tick this box."))],
    )


class DeskForm(GatehouseForm):
    """The check-in desk's one field: a pass code typed, or typed by a USB scanner."""

    code = StringField(
        _l("Pass code"),
        validators=[DataRequired(_l("Please type or scan a pass code.")), _at_most(400), readable],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "autofocus": True},
    )
