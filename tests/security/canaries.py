"""Distinctive values typed into every free-text field, numbered so that each one found is counted once."""

from __future__ import annotations

from tests.helpers import valid_answers

PREFIX = "QZX7SEC"
FIELD_TAGS = {"full_name": "NAME", "organisation": "ORGA", "safe_contact": "CONT", "access_needs": "NEED",
              "safety_notes": "SAFE"}  # fmt: skip
FOLLOW_UP_TAGS = {"passport_name": "PASN", "passport_number": "PASS", "travel_from": "TRAV"}
# A message from the organisers and the participant's answer: read by holders of messages_by (contact in the demo).
MESSAGE_TAGS = {"message": "MESG", "answer": "ANSW"}
COMPARTMENT_OF_TAG = {"NAME": "identity", "ORGA": "identity", "CONT": "contact", "NEED": "needs", "SAFE": "safety",
                      "PASN": "visa", "PASS": "visa", "TRAV": "travel", "MESG": "contact",
                      "ANSW": "contact"}  # fmt: skip
# What follows the prefix in every canary: its number and its field's tag.
REST = r"(\d{4})(" + "|".join([*FIELD_TAGS.values(), *FOLLOW_UP_TAGS.values(), *MESSAGE_TAGS.values()]) + ")"
REST_LENGTH = 8


def canary(number: int, field_key: str) -> str:
    return f"{PREFIX}{number:04d}{(FIELD_TAGS | FOLLOW_UP_TAGS | MESSAGE_TAGS)[field_key]}"


def canary_answers(number: int) -> dict[str, str]:
    """Valid answers for participant ``number``, with a canary in each free-text field."""
    return valid_answers(**{field_key: canary(number, field_key) for field_key in FIELD_TAGS})


def follow_up_answers(number: int) -> dict[str, str]:
    """Valid after-approval answers for participant ``number``, with a canary in each free-text field."""
    dates = {"passport_expiry": "2031-01-31", "arrival_date": "2027-05-03"}
    return {**dates, **{field_key: canary(number, field_key) for field_key in FOLLOW_UP_TAGS}}


def all_canaries(numbers) -> list[str]:
    """The registration canaries of these participants (not their follow-up ones)."""
    return [canary(number, field_key) for number in numbers for field_key in FIELD_TAGS]


def found_in(data: bytes | str) -> set[tuple[int, str]]:
    """(number, tag) of every canary of this module in a page or a memory image, in any of CPython's string forms."""
    from tests.security.memory import canaries_found

    raw = data.encode("utf-8") if isinstance(data, str) else data
    return {(int(number), tag) for number, tag in canaries_found(raw, PREFIX, REST, REST_LENGTH)}


def compartments_seen(data: bytes | str) -> set[str]:
    """The compartments whose canaries appear in a page or a file."""
    return {COMPARTMENT_OF_TAG[tag] for _number, tag in found_in(data)}
