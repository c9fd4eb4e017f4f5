"""Kits with registrations, their sync bundles, and the central database's state, for the sync tests."""

from __future__ import annotations

import crypto
from app.kits.sync import KitExport, export_for_central, mark_exported
from app.registrations.lifecycle import Found, withdraw
from app.registrations.register import register
from tests.helpers import dump_database, valid_answers
from tests.kit_fixtures import Kit


def register_on_kit(kit: Kit, count: int, tag: str = "r") -> list[str]:
    """Register ``count`` people on the kit; return their codenames."""
    connection = kit.instance.connect()
    try:
        codenames = []
        for number in range(count):
            answers = valid_answers(full_name=f"QZX7SYNC-{tag}{number}-name", access_needs=f"QZX7SYNC-{tag}{number}")
            codenames.append(register(connection, kit.instance, crypto.new_submission_token(), answers).codename)
        return codenames
    finally:
        connection.close()


def export(kit: Kit, everything: bool = False, part_size: int | None = None) -> KitExport:
    connection = kit.instance.connect()
    try:
        made = export_for_central(connection, kit.instance.event, everything=everything, part_size=part_size)
        assert made is not None
        mark_exported(connection, made)
        return made
    finally:
        connection.close()


def withdraw_on_kit(kit: Kit, codename: str) -> None:
    connection = kit.instance.connect()
    try:
        lookup = crypto.codename_lookup(kit.instance.secrets.codename_lookup_key, codename)
        row = connection.execute("SELECT id, pseudonym, status FROM registrations WHERE codename_lookup = ?", (lookup,))
        withdraw(connection, Found(*row.fetchone()))
    finally:
        connection.close()


def central_dump(kit: Kit) -> bytes:
    connection = kit.central.connect()
    try:
        return dump_database(connection)
    finally:
        connection.close()
