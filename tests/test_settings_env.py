"""Every environment variable the code reads is documented in settings.py and in README.md."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "dangjian"
NAME = re.compile(r"""["']((?:DANGJIAN_[A-Z0-9_]+)|DATABASE_URL|REDIS_URL|DEBUG)["']""")


def _read_names() -> set[str]:
    names: set[str] = set()
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for line in text.splitlines():
            if "environ" in line or "getenv" in line or "_key_from_env_or_file" in line:
                names.update(NAME.findall(line))
    # settings.py reads some names on the line after `os.environ.get(`
    settings = (SRC / "settings.py").read_text(encoding="utf-8")
    names.update(re.findall(r"environ\.get\(\s*\"([A-Z0-9_]+)\"", settings))
    return names


def test_the_reading_is_found() -> None:
    names = _read_names()
    assert {"DATABASE_URL", "REDIS_URL", "DANGJIAN_FIELD_KEY", "DANGJIAN_BIND"} <= names
    assert len(names) >= 50


def test_every_variable_is_documented_in_settings_and_readme() -> None:
    settings_doc = (SRC / "settings.py").read_text(encoding="utf-8").split('"""')[1]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names = _read_names()
    assert sorted(n for n in names if not re.search(rf"^\s+{n}\s", settings_doc, re.M)) == []
    assert sorted(n for n in names if f"| `{n}` |" not in readme) == []
