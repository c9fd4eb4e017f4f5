"""Pages for auditors: the log and whether it verifies, the retention rules and their next dates, counts.

Nothing here shows a personal value; an auditor holds no compartment and needs none.
"""

from __future__ import annotations

import json
import re

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import ngettext
from werkzeug.wrappers import Response as BaseResponse

from app.audit import log as audit
from app.audit.bundle import export_log
from app.events.definition import Field
from app.registrations import retention
from app.staff.sessions import StaffSession
from app.web import state
from app.web.access import staff_required
from app.web.forms import GatehouseForm
from app.web.languages import asked_language
from app.web.staff_forms import LogoutForm

bp = Blueprint("auditor", __name__)
AUDITORS = ("auditor", "admin")
PAGE_SIZE = 100
_ENTRY_NUMBER = re.compile(r"[0-9]{1,19}")  # ASCII digits only: int() would also take "١٢" or " 12_0"
_LARGEST_ENTRY_NUMBER = 2**63 - 1


class ExportForm(GatehouseForm):
    """Nothing but the CSRF token: an export signs a checkpoint and is logged, so it is a POST."""


@bp.get("/audit")
def short_address() -> BaseResponse:
    return redirect(url_for("auditor.overview", lang=asked_language()))


@bp.get("/staff/audit")
@staff_required(AUDITORS)
def overview(session: StaffSession) -> str:
    connection, instance = state.connection(), state.instance()
    event = instance.event
    before = _entry_number(request.args.getlist("before"))
    entries = (
        audit.last_entries(connection, PAGE_SIZE)
        if before is None
        else audit.entries(connection, after_seq=max(0, before - 1 - PAGE_SIZE), limit=min(PAGE_SIZE, before - 1))
    )
    web = state.state()
    verification = audit.verify_stored(connection, event.id, since=web.audit_verified)
    web.audit_verified = verification.prefix()
    return render_template(
        "staff/audit.html",
        session=session,
        logout=LogoutForm(),
        export_form=ExportForm(),
        verification=verification,
        public_key=audit.public_key_text(audit.signing_public_key(connection)),
        schedule=retention.schedule(connection, event),
        by_status=retention.records_by_status(connection, event.id),
        last_purge=audit.last_entry_with_action(connection, "purge run"),
        log_day=audit.current_day(connection),
        system_day=instance.clock.today(),
        entries=entries,
        detail=readable_detail,
        rule=rule_text,
    )


def rule_text(field: Field) -> str:
    """A field's own retention rule, in the reader's language (the log names it in English)."""
    days = field.retention.days
    if field.retention.after == "approval":
        return ngettext("%(num)d day after approval", "%(num)d days after approval", days)
    return ngettext("%(num)d day after the event", "%(num)d days after the event", days)


def readable_detail(stored: str) -> list[str]:
    """A log entry's details as lines a person reads, "key: value", lists joined by commas and pairs within a
    value in brackets. Every key and value stored is shown; what is not a JSON object is shown as stored."""
    try:
        detail = json.loads(stored)
    except ValueError:
        return [stored]
    if not isinstance(detail, dict):
        return [stored]
    return [f"{key}: {_readable(value)}" for key, value in detail.items()]


def _readable(value: object) -> str:
    if isinstance(value, dict):
        return "(" + "; ".join(f"{key}: {_readable(inner)}" for key, inner in value.items()) + ")"
    if isinstance(value, list):
        return ", ".join(_readable(item) for item in value) or "—"
    if isinstance(value, str):
        return value
    return json.dumps(value)  # numbers, true, false, null: as stored


def _entry_number(given: list[str]) -> int | None:
    """The one `before` of the query as an entry number, None if absent; anything else is a bad request (400),
    never an error deeper down (SQLite takes nothing above 2**63 - 1)."""
    if not given:
        return None
    if len(given) > 1 or _ENTRY_NUMBER.fullmatch(given[0]) is None or not 1 <= int(given[0]) <= _LARGEST_ENTRY_NUMBER:
        abort(400)
    return int(given[0])


@bp.post("/staff/audit/export")
@staff_required(AUDITORS)
def export(session: StaffSession) -> Response:
    if not ExportForm().validate_on_submit():
        abort(400)
    event_id = state.instance().event.id
    (part,), _entries, _checkpoints = export_log(state.connection(), event_id, session.username)
    return Response(
        part,
        mimetype="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{event_id}-audit-log.ghb"'},
    )
