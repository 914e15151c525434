"""Every audit action written by the code has a Chinese label in the registry (the audit log shows
labels, never raw identifiers)."""

from __future__ import annotations

import re
from pathlib import Path

from dangjian.audit.actions import ACTIONS

SRC = Path(__file__).resolve().parents[2] / "src" / "dangjian"


def test_every_literal_action_is_registered():
    used = set()
    for path in SRC.rglob("*.py"):
        used |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', path.read_text(encoding="utf-8")))
    assert used, "the scan found no actions"
    missing = sorted(a for a in used if a not in ACTIONS)
    assert missing == []


def test_the_formatted_actions_are_registered():
    for how in ("reject", "cancel", "expire"):
        assert f"transfers.{how}" in ACTIONS
    for decision in ("found", "suspend", "remove", "restore"):
        assert f"transfers.lost_{decision}" in ACTIONS
