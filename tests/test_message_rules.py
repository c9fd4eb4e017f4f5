"""The event's rules for messages, read from its TOML: refused with a sentence naming the key at fault."""

from __future__ import annotations

import pytest

from app.events.definition import DEFAULT_MESSAGE_MAX_LENGTH, EventDefinitionError, demo_event_source, load_event

DEMO = demo_event_source()


def test_the_demo_event_sends_messages_through_contact_with_canned_ones_in_six_languages():
    rules = load_event(DEMO).messages
    assert rules is not None and rules.by == "contact" and rules.max_length == DEFAULT_MESSAGE_MAX_LENGTH
    for canned in rules.canned:
        assert set(canned.text.languages()) == {"en", "es", "fr", "ru", "ar", "fa"}
        assert not set(canned.text("fa")) & {"\u064a", "\u0643", "\u0649"}, "Persian yeh and kaf"


def test_an_event_without_messages_by_has_no_messages():
    source = DEMO.split("[[messages]]")[0].replace('messages_by = "contact"\n', "")
    source = source.replace("messages_retain_days_after_event = 30\n", "").replace("message_max_length = 2000\n", "")
    assert load_event(source).messages is None


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (('messages_by = "contact"', 'messages_by = "nosuch"'), "messages_by: 'nosuch' is not a defined compartment"),
        (('messages_by = "contact"\n', ""), "messages_by: name the compartment"),
        (("messages_retain_days_after_event = 30", "messages_retain_days_after_event = 61"), "from 0 to 60"),
        (("messages_retain_days_after_event = 30", "messages_retain_days_after_event = -1"), "from 0 to 60"),
        (("message_max_length = 2000", "message_max_length = 0"), "message_max_length: a whole number from 1"),
        (("message_max_length = 2000", "message_max_length = 20"), "longer than message_max_length"),
        (('key = "flight_booked"', 'key = "passport_expiry"'), "two messages share a key"),
        (('key = "flight_booked"', 'key = "Flight Booked"'), "[[messages]] #2 key"),
    ],
)
def test_a_definition_that_breaks_a_message_rule_is_refused_naming_the_key(change, named):
    with pytest.raises(EventDefinitionError, match=named.replace("[", r"\[").replace("]", r"\]")):
        load_event(DEMO.replace(*change))
