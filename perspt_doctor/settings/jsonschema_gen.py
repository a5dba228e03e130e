"""Writes `perspt_doctor/schemas/config.schema.json` from the key table.

Run `python -m perspt_doctor.settings.jsonschema_gen` after changing `settings/schema.py`; a test fails
while the shipped file is out of date."""

from __future__ import annotations

import json
from pathlib import Path

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schemas" / "config.schema.json"


def render() -> str:
    from perspt_doctor.settings.schema import config_json_schema

    return json.dumps(config_json_schema(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    SCHEMA_FILE.parent.mkdir(parents=True, exist_ok=True)
    SCHEMA_FILE.write_text(render(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")


if __name__ == "__main__":
    main()
