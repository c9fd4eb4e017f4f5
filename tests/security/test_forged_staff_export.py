"""A staff export forged by someone who knows only a staff member's public key: it is sealed to that key like a
real one, but signed by another instance. Opening it without naming the signer to trust writes nothing."""

from __future__ import annotations

import re
import subprocess
import sys

from app.events.definition import demo_event_source
from app.instance.setup import create_instance
from app.web.application import create_app
from tests.staff_fixtures import register_canary

FORGED = "QZX7FORGED51"


def _gatehouse(*arguments: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *arguments], input=stdin, capture_output=True, text=True, timeout=120
    )


def test_an_export_forged_with_a_staff_members_public_key_is_not_opened_unless_asked(demo_instance, team, tmp_path):
    otto_key = tmp_path / "otto.key"
    assert (
        _gatehouse("keys", "export", "otto", "--out", str(otto_key), "--instance", str(demo_instance.path)).returncode
        == 0
    )
    otto_public = re.search(r"public ([0-9a-f]{64})", otto_key.read_text()).group(1)

    # The forger's own instance, where "otto" is an account with the real otto's public key, holding needs.
    forger = tmp_path / "forger"
    words = create_instance(forger, demo_event_source())
    on_forger = ("--instance", str(forger))
    assert (
        _gatehouse("staff", "add", "otto", "--role", "staff", "--public-key", otto_public, *on_forger).returncode == 0
    )
    granted = _gatehouse(
        "grant", "--compartment", "needs", "--to", "otto", "--recovery", *on_forger, stdin=" ".join(words)
    )
    assert granted.returncode == 0, granted.stderr
    register_canary(create_app({"INSTANCE_DIR": forger}).test_client(), FORGED)
    forged = tmp_path / "forged.ghb"
    made = _gatehouse("bundle", "export", "--for-staff", "otto", "--out", str(forged), *on_forger)
    assert made.returncode == 0, made.stderr

    out = tmp_path / "otto-export"
    opening = ("bundle", "open", str(forged), "--key", str(otto_key), "--out", str(out))
    refused = _gatehouse(*opening, stdin=team["otto"].passphrase)
    assert refused.returncode != 0 and "--signer" in refused.stderr and "Nothing was written" in refused.stderr
    assert not out.exists()

    real_key = _gatehouse("audit", "public-key", "--instance", str(demo_instance.path)).stdout.strip()
    checked = _gatehouse(*opening, "--signer", real_key, stdin=team["otto"].passphrase)
    assert checked.returncode != 0 and not out.exists(), "the real instance's key does not vouch for the forgery"

    on_purpose = _gatehouse(*opening, "--unverified", stdin=team["otto"].passphrase)
    assert on_purpose.returncode == 0, on_purpose.stderr
    assert "WARNING: --unverified" in on_purpose.stderr
    assert f"{FORGED}-needs" in (out / "registrations.csv").read_text(), "opened only because it was asked for"
