"""Property-based: a file handed to the CLI, whatever it holds, gets a clear message and changes nothing."""

from __future__ import annotations

import base64
import json
import os
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from app.cli.main import cli
from app.events.definition import demo_event_source
from offline_bundle import write_bundle

EXAMPLES = int(os.environ.get("GATEHOUSE_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
DEMO_LINES = demo_event_source().splitlines()


def _no_traceback(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


@st.composite
def event_definitions(draw):
    """The demo definition with lines dropped, duplicated or replaced: mostly almost-valid TOML."""
    lines = list(DEMO_LINES)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "repeat", "replace", "truncate"]))
        if action == "drop":
            del lines[at]
        elif action == "repeat":
            lines.insert(at, lines[at])
        elif action == "replace":
            lines[at] = draw(st.text(max_size=60))
        else:
            lines[at] = lines[at][: draw(st.integers(0, len(lines[at])))]
    return "\n".join(lines)


@FUZZ
@given(source=event_definitions())
def test_init_with_any_event_file_sets_up_whole_or_leaves_nothing(source):
    with tempfile.TemporaryDirectory() as folder:
        event_file = Path(folder) / "event.toml"
        event_file.write_text(source, encoding="utf-8", errors="replace")
        instance_dir = Path(folder) / "instance"
        result = CliRunner().invoke(cli, ["init", "--instance", str(instance_dir), "--event", str(event_file)])
        _no_traceback(result)
        if result.exit_code == 0:
            assert (instance_dir / "secret.key").exists() and (instance_dir / "gatehouse.db").exists()
        else:
            assert "Error:" in result.output
            assert not instance_dir.exists() or not any(instance_dir.iterdir())


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["format", "version", "event", "entries", "checkpoints", "seq", "day", "detail"]),
        children, max_size=5),
    max_leaves=20,
)  # fmt: skip
AUDITOR_KEY = SigningKey(bytes(range(32)))


def _signed_audit_bundle(records: list[object]) -> bytes:
    """A bundle the auditor's key really signed, holding any JSON: only the log's own checks stand in the way."""
    (part,) = write_bundle(
        "audit-log", {"event": "x"}, [json.dumps(record).encode() for record in records], signing_key=AUDITOR_KEY
    )
    return part


@FUZZ
@given(content=st.one_of(st.binary(max_size=400), st.lists(JSON_VALUES, max_size=4).map(_signed_audit_bundle)))
def test_audit_verify_reads_any_file_without_a_traceback(content):
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "log"
        target.write_bytes(content)
        key = base64.b64encode(bytes(AUDITOR_KEY.verify_key)).decode()
        result = CliRunner().invoke(cli, ["audit", "verify", str(target), "--public-key", key])
        _no_traceback(result)
        assert result.exit_code == 1 or "OK: every link holds" in result.output
