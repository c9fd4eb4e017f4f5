"""Pages for auditors: the log and whether it verifies, the retention rules and their next dates, counts.

Nothing here shows a personal value; an auditor holds no compartment and needs none.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for

from app import audit, retention
from app.audit_bundle import write_audit_bundle
from app.days import today
from app.db import get_db
from app.forms import GatehouseForm
from app.staff import staff_required
from app.staff_forms import LogoutForm
from app.staff_sessions import StaffSession

bp = Blueprint("auditor", __name__)
AUDITORS = ("auditor", "admin")
PAGE_SIZE = 100


class ExportForm(GatehouseForm):
    """Nothing but the CSRF token: an export signs a checkpoint and is logged, so it is a POST."""


@bp.get("/audit")
def short_address():
    return redirect(url_for("auditor.overview"))


@bp.get("/staff/audit")
@staff_required(AUDITORS)
def overview(session: StaffSession):
    connection = get_db()
    event = current_app.extensions["gatehouse"].event
    try:
        before = int(request.args.get("before", 0))
    except ValueError:
        abort(404)
    entries = (
        audit.entries(connection, after_seq=max(0, before - 1 - PAGE_SIZE), limit=min(PAGE_SIZE, before - 1))
        if before > 1
        else audit.last_entries(connection, PAGE_SIZE)
    )
    return render_template(
        "staff/audit.html",
        session=session,
        logout=LogoutForm(),
        export_form=ExportForm(),
        verification=audit.verify_stored(connection, event.id),
        public_key=audit.public_key_text(audit.signing_public_key(connection)),
        schedule=retention.schedule(connection, event),
        by_status=retention.records_by_status(connection, event.id),
        last_purge=audit.last_entry_with_action(connection, "purge run"),
        log_day=audit.current_day(connection),
        system_day=today(),
        entries=entries,
        detail=lambda text: json.loads(text),
    )


@bp.post("/staff/audit/export")
@staff_required(AUDITORS)
def export(session: StaffSession):
    if not ExportForm().validate_on_submit():
        abort(400)
    connection = get_db()
    event_id = current_app.extensions["gatehouse"].event.id
    audit.log(connection, session.username, "audit export", event_id)
    (part,), _entries, _checkpoints = write_audit_bundle(connection, event_id)
    return Response(
        part,
        mimetype="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{event_id}-audit-log.ghb"'},
    )
