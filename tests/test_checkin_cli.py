"""`gatehouse checkin` from the shell: a pass list carried to a kit and loaded once, arrivals carried back once."""

from __future__ import annotations

import crypto
from app.instance.folder import open_instance
from app.kits.bundle import open_kit_bundle
from app.kits.instance import set_up_kit
from tests.checkin_fixtures import approved_with_passes
from tests.kit_fixtures import gatehouse
from tests.test_kits import _kit_passphrase


def test_a_pass_list_and_arrivals_travel_by_the_commands_and_a_second_load_or_import_changes_nothing(
    demo_instance, tmp_path
):
    central = str(demo_instance.path)
    approved_with_passes(open_instance(demo_instance.path), 2)
    made = gatehouse("kit", "create", "--name", "door-1", "--out", str(tmp_path / "door-1.kit"), "--instance", central)
    passphrase = _kit_passphrase(made.stdout)
    keys = crypto.derive_kit_keys(passphrase)  # the production cost, as the commands use
    set_up_kit(tmp_path / "kit", open_kit_bundle([(tmp_path / "door-1.kit").read_bytes()], keys), keys)
    kit = str(tmp_path / "kit")

    listed = gatehouse("checkin", "list", "--kit", "door-1", "--out", str(tmp_path / "list.ghb"), "--instance", central)
    assert listed.returncode == 0 and "Pass list 1 written" in listed.stdout, listed.stderr
    loaded = gatehouse("checkin", "load", str(tmp_path / "list.ghb"), "--instance", kit, stdin=passphrase + "\n")
    assert "Pass list 1 loaded: 2 passes stand, 0 are revoked." in loaded.stdout, loaded.stderr
    again = gatehouse("checkin", "load", str(tmp_path / "list.ghb"), "--instance", kit, stdin=passphrase + "\n")
    assert "already holds pass list 1 or a newer one: nothing changed" in again.stdout, again.stderr
    wrong = gatehouse("checkin", "load", str(tmp_path / "list.ghb"), "--instance", central)
    assert wrong.returncode == 1 and "holds no field kit" in wrong.stderr

    out = str(tmp_path / "arrivals.ghb")
    sent = gatehouse("checkin", "arrivals", "--instance", kit, "--out", out, stdin=passphrase + "\n")
    assert "0 arrivals written" in sent.stdout, sent.stderr
    merged = gatehouse("checkin", "import", out, "--instance", central)
    assert "Merged 0 arrivals from kit door-1" in merged.stdout, merged.stderr
    replayed = gatehouse("checkin", "import", out, "--instance", central)
    assert "already imported: nothing changed" in replayed.stdout, replayed.stderr
