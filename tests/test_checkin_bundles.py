"""Pass lists carry revocations from central to kit desks, arrivals come back; replays change nothing."""

from __future__ import annotations

import dataclasses
import re

import pytest

import crypto
from app.checkin import arrivals, lists, passes
from offline_bundle import NotForThisKey
from tests.checkin_fixtures import AT_THE_DOOR, approved_with_passes, desk_app, said, scan, short_code
from tests.helpers import SetClock
from tests.kit_fixtures import make_kit
from tests.staff_fixtures import TEST_COST


@dataclasses.dataclass
class Venue:
    central: object
    kits: dict  # name -> (kit instance at the door, its keys)


@pytest.fixture
def venue(tmp_path) -> Venue:
    first = make_kit(tmp_path, "border-1")
    second = make_kit(tmp_path, "border-2", central=(first.central, first.recovery_words))
    clock = SetClock(AT_THE_DOOR)
    kits = {
        name: (
            dataclasses.replace(kit.instance, clock=clock),
            crypto.derive_kit_keys(kit.passphrase, TEST_COST),
        )
        for name, kit in (("border-1", first), ("border-2", second))
    }
    return Venue(dataclasses.replace(first.central, clock=clock), kits)


def send_list(venue: Venue, kit: str, load_on: str | None = None) -> lists.LoadReport:
    with venue.central.connection() as connection:
        parts, _sequence = lists.export_list(connection, venue.central.event, kit)
    instance, keys = venue.kits[load_on or kit]
    with instance.connection() as connection:
        return lists.load_list(connection, instance.event, parts, keys)


def reissue(venue: Venue, pseudonym: str) -> None:
    with venue.central.connection() as connection:
        passes.reissue(connection, venue.central.event, pseudonym, "ana")


def test_a_pass_revoked_at_central_is_accepted_before_the_next_list_and_refused_after_it(venue):
    codes = approved_with_passes(venue.central, 2)
    (kept, kept_code), (lost, lost_code) = codes.items()
    send_list(venue, "border-1")
    reissue(venue, lost)
    door = desk_app(venue.kits["border-1"][0], "border-1").test_client()
    before = scan(door, lost_code)
    assert said(before, "admitted") and said(before, "desk-pseudonym") == lost
    assert said(before, "list-age") == "Revocations: the pass list is from May 4, 2027, 0 days old."
    send_list(venue, "border-1")
    after = scan(door, lost_code)
    assert after.status_code == 400 and said(after, "refused").startswith("This pass was revoked")
    assert said(scan(door, kept_code), "desk-pseudonym") == kept


def test_a_pass_issued_after_the_list_is_admitted_on_its_signature_without_a_pseudonym(venue):
    send_list(venue, "border-1")
    [code] = approved_with_passes(venue.central, 1).values()
    response = scan(desk_app(venue.kits["border-1"][0], "border-1").test_client(), code)
    assert said(response, "admitted") and said(response, "desk-pseudonym") is None
    assert "its pseudonym is not known here" in response.get_data(as_text=True)


def test_a_short_code_is_admitted_at_a_kit_desk_only_if_its_list_holds_the_pass_and_it_stands(venue):
    codes = approved_with_passes(venue.central, 2)
    (listed, listed_code), (lost, lost_code) = codes.items()
    send_list(venue, "border-1")
    reissue(venue, lost)
    [newer_code] = approved_with_passes(venue.central, 1).values()
    door = desk_app(venue.kits["border-1"][0], "border-1").test_client()
    admitted = scan(door, short_code(listed_code))
    assert said(admitted, "admitted") and said(admitted, "desk-pseudonym") == listed
    newer = scan(door, short_code(newer_code))
    assert newer.status_code == 400
    assert said(newer, "refused") == (
        "This code is not in this desk's pass list of May 4, 2027: if the pass is newer, scan its QR code."
    )
    assert said(scan(door, newer_code), "admitted")  # its QR code is verified with the public key alone
    send_list(venue, "border-1")
    revoked = scan(door, short_code(lost_code))
    assert revoked.status_code == 400 and said(revoked, "refused").startswith("This pass was revoked")
    with venue.kits["border-1"][0].connection() as connection:
        assert connection.execute("SELECT count(*) FROM arrivals").fetchone()[0] == 2


def test_a_desk_without_a_list_refuses_every_pass(venue):
    [code] = approved_with_passes(venue.central, 1).values()
    response = scan(desk_app(venue.kits["border-1"][0], "border-1").test_client(), code)
    assert response.status_code == 400 and "no pass list yet" in said(response, "refused")


def test_a_replayed_or_older_list_changes_nothing(venue):
    [(pseudonym, code)] = approved_with_passes(venue.central, 1).items()
    with venue.central.connection() as connection:
        older, _ = lists.export_list(connection, venue.central.event, "border-1")
    reissue(venue, pseudonym)
    with venue.central.connection() as connection:
        newer, _ = lists.export_list(connection, venue.central.event, "border-1")
    instance, keys = venue.kits["border-1"]
    with instance.connection() as connection:
        assert lists.load_list(connection, instance.event, newer, keys).changed
        assert not lists.load_list(connection, instance.event, newer, keys).changed
        assert not lists.load_list(connection, instance.event, older, keys).changed
    response = scan(desk_app(instance, "border-1").test_client(), code)
    assert said(response, "refused").startswith("This pass was revoked")


def test_a_list_for_one_kit_does_not_open_on_another(venue):
    approved_with_passes(venue.central, 1)
    with pytest.raises(NotForThisKey):
        send_list(venue, "border-2", load_on="border-1")


def test_arrivals_from_two_desks_merge_and_a_pass_used_at_both_is_flagged(venue):
    codes = approved_with_passes(venue.central, 3)
    (twice, twice_code), (once, once_code), (absent, _absent_code) = codes.items()
    bundles = []
    for name, scanned in (("border-1", [twice_code, once_code]), ("border-2", [twice_code])):
        send_list(venue, name)
        instance, _keys = venue.kits[name]
        door = desk_app(instance, name).test_client()
        for code in scanned:
            assert said(scan(door, code), "admitted")
        with instance.connection() as connection:
            bundles.append(arrivals.export_arrivals(connection, instance.event)[0])
    with venue.central.connection() as connection:
        reports = [arrivals.import_arrivals(connection, venue.central.event, parts) for parts in bundles]
        assert [report.added for report in reports] == [2, 1]
        before = connection.execute("SELECT * FROM arrivals ORDER BY desk, pass_tag").fetchall()
        replay = arrivals.import_arrivals(connection, venue.central.event, bundles[0])
        assert (
            replay.replay and connection.execute("SELECT * FROM arrivals ORDER BY desk, pass_tag").fetchall() == before
        )
        made = arrivals.counts(connection, venue.central.event)
    assert (made.arrived, made.expected, made.not_arrived) == (2, 3, [absent])
    assert made.double_use == [(twice, ["border-1", "border-2"])]
    # A desk on central, after the import, names both desks, by day and then by name: no time decides.
    again = scan(desk_app(venue.central, "door-c").test_client(), twice_code)
    assert said(again, "admitted") is None and "This pass was used at more than one desk." in again.get_data(
        as_text=True
    )
    assert re.findall(
        r'<p class="used">Already used today at desk <bdi[^>]*>([^<]+)</bdi>', again.get_data(as_text=True)
    ) == [
        "border-1",
        "border-2",
    ]
