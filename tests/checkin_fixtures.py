"""Check-in for the tests: approved registrations with passes, desks on central and on a kit, at the venue's door."""

from __future__ import annotations

import dataclasses
import datetime
import html
import re
from pathlib import Path

from app.checkin import passes
from app.instance.folder import Instance, open_instance
from app.registrations.lifecycle import decide
from app.web.application import create_app
from crypto import passes as pass_crypto
from tests.helpers import SetClock, hidden_fields
from tests.retention_helpers import register_one

# The demo event runs from 2027-05-04 to 2027-05-07.
AT_THE_DOOR = datetime.datetime(2027, 5, 4, 9, 30, tzinfo=datetime.UTC)


def approved_with_passes(instance: Instance, count: int, **answers: str) -> dict[str, str]:
    """``count`` approved registrations, each with its pass issued: pseudonym -> its long code (the QR code's)."""
    codes = {}
    with instance.connection() as connection:
        for _ in range(count):
            registration_id = register_one(connection, instance, **answers)
            pseudonym = decide(connection, instance.event.id, registration_id, "approved", "ana")
            issued = passes.pass_codes(connection, instance.event, registration_id)
            assert issued is not None
            codes[pseudonym] = issued.long
    return codes


def short_code(long_code: str) -> str:
    """The short code printed beside the QR code of this long code."""
    return pass_crypto.short_code_of(pass_crypto.pass_id_of(pass_crypto.read_code(long_code)))


def tag_of(long_code: str) -> bytes:
    return pass_crypto.pass_tag(pass_crypto.pass_id_of(pass_crypto.read_code(long_code)))


def desk_app(instance: Instance, desk: str, clock: SetClock | None = None, holder=None):
    """The desk as `gatehouse checkin serve --desk DESK [--staff NAME]` builds it, its clock at the venue's door."""
    clock = clock or SetClock(AT_THE_DOOR)
    config = {"INSTANCE": dataclasses.replace(instance, clock=clock), "DESK": desk, "TESTING": True}
    return create_app({**config, "DESK_HOLDER": holder} if holder else config)


def central_at_the_door(path: Path) -> Instance:
    return open_instance(path, SetClock(AT_THE_DOOR))


def scan(client, code: str, lang: str = "en"):
    """Type or scan a code at the desk: GET the form for its token, POST the code."""
    token = hidden_fields(client.get(f"/desk?lang={lang}").get_data(as_text=True))["csrf_token"]
    return client.post(f"/desk?lang={lang}", data={"csrf_token": token, "code": code})


def said(response, element_id: str) -> str | None:
    found = re.search(rf'id="{element_id}"[^>]*>([^<]+)<', response.get_data(as_text=True))
    return html.unescape(found.group(1)) if found else None
