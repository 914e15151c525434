"""The rule versions of recruitment (versions.yaml): the intervals each version of the rules
prescribes (FZ14 by default; the 2026 revision can be added as data). Each record names its
version."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml


@cache
def _versions() -> dict[str, Any]:
    return yaml.safe_load((Path(__file__).parent / "versions.yaml").read_text(encoding="utf-8"))


def default_version() -> str:
    return str(_versions()["default"])


def versions() -> dict[str, dict[str, Any]]:
    return dict(_versions()["versions"])


def params(version: str) -> dict[str, Any]:
    """The intervals of a rule version (unknown versions fall back to the default, named in the
    record)."""
    vs = versions()
    return dict(vs.get(version) or vs[default_version()])
