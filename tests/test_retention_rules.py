"""Retention rules in the event TOML: a default, a maximum no field may exceed, and lifecycle steps."""

from __future__ import annotations

import datetime

import pytest

from app.events.definition import EventDefinitionError, demo_event_source, load_event

DEMO = demo_event_source()


def _field_rule(source: str, key: str, old: str, new: str) -> str:
    start = source.index(f'key = "{key}"')
    end = source.index(old, start)
    return source[:end] + new + source[end + len(old) :]


@pytest.mark.parametrize(
    ("source", "named"),
    [
        (_field_rule(DEMO, "full_name", "retain_days_after_event = 60", "retain_days_after_event = 61"), "full_name"),
        (_field_rule(DEMO, "full_name", "retain_days_after_event = 60", "retain_days_after_checkin = 5"), "checkin"),
        (
            _field_rule(
                DEMO,
                "country",
                "retain_days_after_event = 60",
                "retain_days_after_event = 3\nretain_days_after_approval = 3",
            ),
            "country",
        ),
        (
            _field_rule(DEMO, "passport_number", "retain_days_after_approval = 45", "retain_days_after_approval = 90"),
            "passport_number",
        ),
        (_field_rule(DEMO, "badge_name", "retain_days_after_event = 0", "retain_days_after_event = -1"), "badge_name"),
        (DEMO.replace("max_retain_days_after_event = 60\n", ""), "max_retain_days_after_event"),
        (DEMO.replace("default_retain_days_after_event = 0", "default_retain_days_after_event = 90"), "default_retain"),
        (DEMO.replace("retain_days_after_rejection = 7", "retain_days_after_rejection = 400"), "rejection"),
    ],
)
def test_a_definition_that_breaks_a_retention_rule_is_refused_naming_the_field(source, named):
    with pytest.raises(EventDefinitionError, match=named):
        load_event(source)


def test_a_field_without_a_rule_takes_the_event_default():
    source = _field_rule(DEMO, "organisation", "retain_days_after_event = 60\n", "")
    source = source.replace("default_retain_days_after_event = 0", "default_retain_days_after_event = 12")
    field = next(f for f in load_event(source).fields if f.key == "organisation")
    assert (field.retention.days, field.retention.after) == (12, "event")


def test_destruction_days_follow_the_rules():
    event = load_event(DEMO)
    by_key = {f.key: f for f in event.fields}
    # Kept through the event's last day plus the rule's days; destroyed the day after.
    assert event.destroyed_on(by_key["badge_name"]) == datetime.date(2027, 5, 8)
    assert event.destroyed_on(by_key["full_name"]) == datetime.date(2027, 7, 7)
    approved = datetime.date(2027, 1, 10)
    assert event.destroyed_on(by_key["passport_number"], approved) == datetime.date(2027, 2, 25)
    # Never approved, or approved too late: the event's maximum still holds.
    assert event.destroyed_on(by_key["passport_number"]) == event.latest_destruction() == datetime.date(2027, 7, 7)
    assert event.destroyed_on(by_key["passport_number"], datetime.date(2027, 7, 1)) == datetime.date(2027, 7, 7)


def _notice_row(html: str, label: str) -> str:
    """The notice's row of the compartment that asks this question."""
    start = html.index(label)
    return html[html.rindex("<tr>", 0, start) : html.index("</tr>", start)]


@pytest.mark.parametrize(("days", "shown"), [(30, "Jun 7, 2027"), (10, "May 18, 2027")])
def test_the_privacy_notice_is_generated_from_the_rules(tmp_path, days, shown):
    from app.instance.setup import create_instance
    from app.web.application import create_app

    source = _field_rule(DEMO, "safe_contact", "retain_days_after_event = 30", f"retain_days_after_event = {days}")
    create_instance(tmp_path / "instance", source)
    client = create_app({"INSTANCE_DIR": tmp_path / "instance", "TESTING": True}).test_client()
    index = client.get("/").get_data(as_text=True)
    assert f"Destroyed on {shown}." in _notice_row(index, "A safe way to reach you")
    assert "Destroyed 45 days after you are accepted, and by Jul 7, 2027 at the latest." in _notice_row(
        index, "Passport number"
    )
    assert "destroyed 7 days after that decision" in index
    register = client.get("/register").get_data(as_text=True)
    note_start = register.index('id="note-contact"')  # the one note over the contact compartment's questions
    assert f"They are destroyed on {shown}." in register[note_start : register.index("</p>", note_start)]
