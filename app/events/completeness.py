"""Which of an event's texts a participant would read in another language: every text the organiser wrote for
participants, named, for each language it lacks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from app.events.definition import Event, Text


def participant_texts(event: Event) -> Iterator[tuple[str, Text]]:
    """(where, text) of every text a participant page may show, named as in the event file."""
    yield from (
        ("[event] name", event.name),
        ("[event] organiser", event.organiser),
        ("[event] description", event.description),
        ("[event] location", event.location),
        ("[event] contact", event.contact),
    )
    for compartment in event.compartments:
        for part in ("label", "purpose", "readers"):
            yield f"compartment '{compartment.name}' {part}", getattr(compartment, part)
    for field in event.fields:
        yield f"field '{field.key}' label", field.label
        if field.help is not None:
            yield f"field '{field.key}' help", field.help
        for value, label in field.choices:
            yield f"field '{field.key}' choice '{value}'", label
    for message in event.messages.canned if event.messages else ():
        yield f"message '{message.key}' text", message.text


def missing_texts(event: Event, languages: Iterable[str]) -> list[str]:
    """One line per text and language it lacks ("field 'country' label: fa"); empty when every one is given.

    A visa letter is left out: it is written to a consulate, in the languages its body is given in.
    """
    languages = tuple(languages)
    return [
        f"{where}: {language}"
        for where, text in participant_texts(event)
        for language in languages
        if language not in text.languages()
    ]
