"""An instance grown to thousands of registrations through the real registration path, quickly: two writers at
once, so that both cores derive codenames and message keys (app.registrations.register.register).

Of every twenty registrations two are rejected (a tenth: the share a purge a week after the decisions finds due)
and one waitlisted; a few are approved. The writers' connections run with synchronous OFF: durability is not what
is being built, and the rows written are the same.
"""

from __future__ import annotations

import threading

import crypto
from app.instance.folder import Instance
from app.registrations.lifecycle import decide
from app.registrations.register import register
from tests.helpers import valid_answers

WRITERS = 2


def decision_for(number: int, capacity: int) -> str | None:
    """What staff decided about the ``number``-th registration: a tenth rejected, a twentieth waitlisted."""
    if number % 10 == 3:
        return "rejected"
    if number % 20 == 7:
        return "waitlisted"
    if number % 20 == 11 and number // 20 < capacity // 10:
        return "approved"
    return None


def _writer(instance: Instance, numbers: range, step: int, errors: list[BaseException]) -> None:
    connection = instance.connect(any_thread=True)
    connection.execute("PRAGMA synchronous = OFF")
    try:
        for number in numbers[::step]:
            receipt = register(connection, instance, crypto.new_submission_token(), valid_answers())
            decision = decision_for(number, instance.event.capacity or 0)
            if decision:
                (registration_id,) = connection.execute(
                    "SELECT id FROM registrations WHERE pseudonym = ?", (receipt.pseudonym,)
                ).fetchone()
                decide(connection, instance.event.id, registration_id, decision, "benchmark", instance.event.capacity)
    except BaseException as error:  # noqa: BLE001 - handed to the main thread
        errors.append(error)
    finally:
        connection.close()


def grow(instance: Instance, held: int, to: int) -> None:
    """Register from ``held`` up to ``to`` registrations, WRITERS at once."""
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_writer, args=(instance, range(held + first, to), WRITERS, errors))
        for first in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
