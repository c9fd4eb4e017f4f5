"""Writes pass-v1.json. Run once when the pass format is defined; the vectors are then frozen.

Regenerating them is a format change: it needs a new pass version, not new vectors.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

from crypto import passes


def main() -> None:
    secret = bytes(range(1, 33))
    other_secret = bytes(range(101, 133))
    signing_key = passes.pass_signing_key(secret)
    vectors = []
    for event_id, pass_id, first, last in (
        ("stockholm-forum-2027", bytes(range(10)), datetime.date(2027, 5, 4), datetime.date(2027, 5, 7)),
        ("forum-2027", bytes.fromhex("f0e1d2c3b4a59687780f"), datetime.date(2027, 1, 1), datetime.date(2027, 1, 1)),
    ):
        raw = passes.make_pass(signing_key, event_id=event_id, pass_id=pass_id, first_day=first, last_day=last)
        vectors.append(
            {
                "event": event_id,
                "pass_id": pass_id.hex(),
                "first_day": first.isoformat(),
                "last_day": last.isoformat(),
                "pass": raw.hex(),
                "code": passes.code_of(raw),
                "short_code": passes.short_code_of(pass_id),
                "pass_tag": passes.pass_tag(pass_id).hex(),
            }
        )
    forged = passes.make_pass(
        passes.pass_signing_key(other_secret),
        event_id="stockholm-forum-2027",
        pass_id=bytes(range(10)),
        first_day=datetime.date(2027, 5, 4),
        last_day=datetime.date(2027, 5, 7),
    )
    good = vectors[0]["code"]
    mistyped = good[:-1] + ("0" if good[-1] != "0" else "1")
    short = vectors[0]["short_code"]
    swapped = short[:5] + short[6] + short[5] + short[7:]
    document = {
        "pass_secret": secret.hex(),
        "pass_public_key": bytes(signing_key.verify_key).hex(),
        "passes": vectors,
        "refused": [
            {"event": "stockholm-forum-2027", "code": passes.code_of(forged), "why": "not genuine: another key"},
            {"event": "stockholm-forum-2027", "code": vectors[1]["code"], "why": "another event"},
            {"event": "stockholm-forum-2027", "code": mistyped, "why": "mistyped: the check does not match"},
            {"event": "stockholm-forum-2027", "code": good[:-6], "why": "mistyped: too short"},
        ],
        "typed_forms": [good.lower(), good.replace("-", " "), good.replace("0", "O").replace("1", "l")],
        "short_refused": [
            {"code": short[:-1] + ("0" if short[-1] != "0" else "1"), "why": "mistyped: the check does not match"},
            {"code": swapped, "why": "mistyped: two characters swapped"},
            {"code": short[:-2], "why": "mistyped: too short"},
        ],
        "short_typed_forms": [short.lower(), short.replace("-", ""), short.replace("1", "I").replace("0", "o")],
    }
    path = Path(__file__).parent / "pass-v1.json"
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
