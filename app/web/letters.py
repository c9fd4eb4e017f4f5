"""The visa letters page: what making letters opens, a reason form, the checks' findings, then the letters as a
download that the server does not keep."""

from __future__ import annotations

from babel import Locale
from flask import Blueprint, Response, render_template
from flask_babel import gettext as _

from app.registrations import letter_document, letter_register, letters, set_aside
from app.registrations.letters import LetterRun
from app.staff.sessions import StaffSession
from app.web import state
from app.web.access import staff_required
from app.web.i18n import current_language
from app.web.staff_forms import LettersForm, LogoutForm, MakeLettersForm, RevokeLetterForm, VerifyLetterForm

bp = Blueprint("letters", __name__, url_prefix="/staff")
Page = tuple[str, int]
MAX_OVERRIDES = 1000


@bp.get("/letters")
@staff_required(("admin", "staff"))
def page(session: StaffSession) -> Page:
    """What the page opens, for whom, and the form (or which compartment the reader lacks)."""
    return _render(session, _language_choices(LettersForm())), 200


@bp.post("/letters")
@staff_required(("admin", "staff"))
def check(session: StaffSession) -> Page:
    """The checks' findings for everyone who would get a letter, and the form that makes them."""
    form = _language_choices(LettersForm())
    refused = _refused(session)
    if refused:
        return _render(session, form), refused
    if not form.validate_on_submit():
        return _render(session, form), 400
    try:
        run = letters.check_letters(
            state.connection(), state.instance().event, keys=session.keys, actor=session.username,
            reason=form.reason.data or "",
        )  # fmt: skip
    except set_aside.ReasonRequired:
        form.reason.errors = [_("Please give a reason.")]
        return _render(session, form), 400
    make = _language_choices(MakeLettersForm(data={"reason": form.reason.data, "language": form.language.data}))
    make.override.choices = [(f.pseudonym, f.pseudonym) for f in run.findings if f.may_override]
    return _render(session, make, checked=run), 200


@bp.post("/letters/make")
@staff_required(("admin", "staff"))
def make(session: StaffSession) -> Page | Response:
    """The letters, one printed page each, as a download; or the findings again when no letter could be made."""
    form = _language_choices(MakeLettersForm())
    form.override.choices = [(pseudonym, pseudonym) for pseudonym in (form.override.data or [])[:MAX_OVERRIDES]]
    refused = _refused(session)
    if refused:
        return _render(session, _language_choices(LettersForm())), refused
    if not form.validate_on_submit():
        return _render(session, form), 400
    overrides = form.override.data or []
    if len(overrides) > MAX_OVERRIDES:
        form.override.errors = [_("Please choose fewer people.")]
        return _render(session, form), 400
    try:
        run = letters.make_letters(
            state.connection(), state.instance().event, keys=session.keys, actor=session.username,
            reason=form.reason.data or "", language=form.language.data or "en",
            overrides=overrides, override_reason=form.override_reason.data or "",
        )  # fmt: skip
    except set_aside.ReasonRequired:
        form.reason.errors = [_("Please give a reason.")]
        return _render(session, form), 400
    except letters.NoSuchLetterLanguage:
        form.language.errors = [_("The event's letter is not written in that language.")]
        return _render(session, form), 400
    except letters.OverrideReasonRequired:
        why = _("Please say why the findings do not stop these letters (4 to 300 characters).")
        form.override_reason.errors = [why]
        return _render(session, form), 400
    if not run.letters:
        form.override.choices = [(f.pseudonym, f.pseudonym) for f in run.findings if f.may_override]
        return _render(session, form, checked=run, made_none=True), 409
    name = letter_document.file_name(run.letters)
    response = Response(letter_document.document(run.letters, name), mimetype="text/html")
    # A download, never a page: the browser saves it, and the server keeps no copy of what it sent.
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.post("/letters/verify")
@staff_required(("admin", "staff"))
def verify(session: StaffSession) -> Page:
    """Whether a letter a consulate asks about is genuine, not revoked, and for that passport; the verdict is logged."""
    form = VerifyLetterForm(prefix="verify")
    event = state.instance().event
    if event.letters is None:
        return _render(session, _language_choices(LettersForm())), 409
    if not form.validate_on_submit():
        return _render(session, _language_choices(LettersForm()), verify_form=form), 400
    verdict = letter_register.verify(
        state.connection(), event, reference=form.reference.data or "", code=form.code.data or "",
        passport=form.passport.data or "", actor=session.username,
    )  # fmt: skip
    return _render(session, _language_choices(LettersForm()), verdict=verdict.value), 200


@bp.post("/letters/revoke")
@staff_required(("admin", "staff"))
def revoke(session: StaffSession) -> Page:
    """Revoke a letter: whoever may make letters may withdraw one; logged with the reason."""
    form = RevokeLetterForm(prefix="revoke")
    letters_form = _language_choices(LettersForm())
    refused = _refused(session)
    if refused:
        return _render(session, letters_form), refused
    if not form.validate_on_submit():
        return _render(session, letters_form, revoke_form=form), 400
    try:
        reference = letter_register.revoke(
            state.connection(), state.instance().event, reference=form.reference.data or "",
            reason=form.reason.data or "", actor=session.username,
        )  # fmt: skip
    except letter_register.UnknownLetter:
        form.reference.errors = [_("The register holds no letter with that reference.")]
        return _render(session, letters_form, revoke_form=form), 400
    except set_aside.ReasonRequired:
        form.reason.errors = [_("Please give a reason.")]
        return _render(session, letters_form, revoke_form=form), 400
    return _render(session, letters_form, revoked=reference), 200


def _refused(session: StaffSession) -> int | None:
    """409 when the event writes no letters, 403 when the reader lacks a compartment; None when they may."""
    event = state.instance().event
    if event.letters is None:
        return 409
    return 403 if letters.missing_compartments(event, session.keys) else None


def _language_choices(form: LettersForm) -> LettersForm:
    rules = state.instance().event.letters
    codes = rules.languages() if rules else ("en",)
    form.language.choices = [(code, Locale.parse(code).get_display_name(code) or code) for code in codes]
    return form


def _render(  # noqa: PLR0913 - the page's parts, each optional
    session: StaffSession,
    form: LettersForm,
    checked: LetterRun | None = None,
    made_none: bool = False,
    verify_form: VerifyLetterForm | None = None,
    revoke_form: RevokeLetterForm | None = None,
    verdict: str | None = None,
    revoked: str | None = None,
) -> str:
    event = state.instance().event
    rules = event.letters
    missing = letters.missing_compartments(event, session.keys) if rules else []
    return render_template(
        "staff/letters.html",
        session=session,
        logout=LogoutForm(),
        form=form,
        rules=rules,
        labels=_labels,
        field_names=_field_names,
        missing=missing,
        waiting=letters.candidates(state.connection(), event) if rules else [],
        registered=letter_register.register_size(state.connection(), event) if rules else 0,
        checked=checked,
        made_none=made_none,
        earliest_expiry=letters.last_valid_day(event),
        verify_form=verify_form or VerifyLetterForm(prefix="verify", formdata=None),
        revoke_form=revoke_form or RevokeLetterForm(prefix="revoke", formdata=None),
        verdict=verdict,
        verdicts=_verdicts(),
        revoked=revoked,
    )


def _verdicts() -> dict[str, str]:
    return {
        letter_register.Verdict.GENUINE.value: _("Genuine: this letter was made here, for that passport, and stands."),
        letter_register.Verdict.REVOKED.value: _("Revoked: this letter was made here for that passport, and revoked."),
        letter_register.Verdict.NOT_GENUINE.value: _(
            "Not genuine: the code or the passport number does not match the letter with that reference."
        ),
        letter_register.Verdict.UNKNOWN.value: _("Unknown: the register holds no letter with that reference."),
    }


def _field_names(keys: tuple[str, ...]) -> str:
    """Fields by the labels the event gives them, in the page's language."""
    event, language = state.instance().event, current_language()
    by_key = {field.key: field for field in event.fields}
    return ", ".join(by_key[key].label(language) for key in keys)


def _labels(compartments: list[str] | tuple[str, ...]) -> str:
    event, language = state.instance().event, current_language()
    return ", ".join(event.compartment(name).label(language) for name in compartments)
