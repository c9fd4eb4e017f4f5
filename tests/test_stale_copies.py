"""The slot layout `python -m benchmarks.stale_copies` measures: values written and zeroed in place leave no copy.

This is the property the planned storage change relies on (ARCHITECTURE.md, "Destroying, and what it costs"),
checked on a real SQLCipher file, every page and WAL frame decrypted, with no VACUUM.
"""

from __future__ import annotations

from benchmarks.stale_copies import Slots, run


def test_slots_written_and_zeroed_in_place_leave_no_byte_of_a_destroyed_value(tmp_path):
    found = run(Slots, registrations=1_500, seed=4, folder=tmp_path)
    assert found["destroyed"] == 1_500
    assert found["kept found"] == found["kept"] > 0, "the search finds the values still stored"
    assert found["left"] == 0, f"{found['left']} destroyed values still have bytes in a page"
