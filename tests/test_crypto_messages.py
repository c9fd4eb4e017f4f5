"""Messages sealed to a participant's codename and to a compartment: each opens only where and as it was written."""

from __future__ import annotations

import time

import pytest

import crypto
from crypto.messages import PARTICIPANT_KEY_COST, participant_key

EVENT, REGISTRATION, OTHER = "ev", "a" * 32, "b" * 32
CODENAME = "stock octagon rose item foxglove rabbit tissue stack"


@pytest.fixture(scope="module")
def keys():
    salt = crypto.new_message_salt()
    participant = participant_key(CODENAME, salt)
    return salt, participant, crypto.new_key_pair()


def _sealed(keys, text="the venue changed", number=1, answer=False, registration=REGISTRATION):
    _salt, participant, compartment = keys
    return crypto.seal_message(
        event_id=EVENT,
        registration_id=registration,
        number=number,
        text=text,
        compartment_key=compartment.public_key,
        participant_public_key=None if answer else participant.public_key,
    )


def _open(keys, sealed, number=1, registration=REGISTRATION, as_participant=True, private_key=None):
    _salt, participant, compartment = keys
    return crypto.open_message(
        event_id=EVENT,
        registration_id=registration,
        number=number,
        sealed=sealed,
        private_key=private_key or (participant if as_participant else compartment),
        as_participant=as_participant,
    )


def test_the_participant_and_the_compartment_each_open_a_message(keys):
    sealed = _sealed(keys, "your flight is booked")
    assert _open(keys, sealed) == "your flight is booked"
    assert _open(keys, sealed, as_participant=False) == "your flight is booked"


def test_any_written_form_of_the_codename_derives_the_same_key_and_another_codename_does_not(keys):
    salt, participant, _compartment = keys
    assert bytes(participant_key("  STOCK octagon, rose item foxglove rabbit tissue stack ", salt)) == bytes(
        participant
    )
    other = participant_key("stock octagon rose item foxglove rabbit tissue rose", salt)
    with pytest.raises(crypto.RecordTampered):
        _open(keys, _sealed(keys), private_key=other)
    with pytest.raises(crypto.InvalidCodename):
        participant_key("not a codename", salt)


def test_a_message_moved_to_another_registration_or_renumbered_does_not_open(keys):
    sealed = _sealed(keys, number=2)
    for where in ({"registration": OTHER, "number": 2}, {"number": 1}, {"number": 3}):
        with pytest.raises(crypto.RecordTampered):
            _open(keys, sealed, **where)
        with pytest.raises(crypto.RecordTampered):
            _open(keys, sealed, as_participant=False, **where)


def test_an_answer_opens_for_the_compartment_only_and_cannot_pass_for_a_message(keys):
    answer = _sealed(keys, "my passport expires in 2029", answer=True)
    assert answer.key_for_participant is None
    assert _open(keys, answer, as_participant=False) == "my passport expires in 2029"
    with pytest.raises(crypto.RecordTampered):
        _open(keys, answer)
    message = _sealed(keys)
    # Stripping the participant's key makes it look like an answer: its associated data no longer matches.
    passed_off = crypto.SealedMessage(message.key_for_compartment, None, message.body)
    with pytest.raises(crypto.RecordTampered):
        _open(keys, passed_off, as_participant=False)


def test_sizes_do_not_tell_short_texts_apart(keys):
    assert len(_sealed(keys, "yes").body) == len(_sealed(keys, "no, call me on another number").body)


def test_an_altered_body_does_not_open(keys):
    sealed = _sealed(keys)
    altered = crypto.SealedMessage(
        sealed.key_for_compartment, sealed.key_for_participant, sealed.body[:-1] + bytes([sealed.body[-1] ^ 1])
    )
    with pytest.raises(crypto.RecordTampered):
        _open(keys, altered)


def test_the_derivation_costs_what_security_md_states():
    """The figure SECURITY.md gives: printed here, and bounded so that /status stays fast."""
    salt = crypto.new_message_salt()
    started = time.perf_counter()
    for _ in range(3):
        participant_key(CODENAME, salt)
    each_ms = (time.perf_counter() - started) / 3 * 1000
    print(f"participant key derivation: {each_ms:.1f} ms ({PARTICIPANT_KEY_COST})")
    assert PARTICIPANT_KEY_COST.passes >= 1 and PARTICIPANT_KEY_COST.memory_bytes >= 8 * 1024 * 1024
    assert each_ms < 1000, "a look-up must stay fast even on a loaded machine"
