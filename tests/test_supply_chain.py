"""tools/supply_chain.py (make lint): a known vulnerability fails the check, an allowed one with its
reason does not, and an unreachable advisory service is reported as "not audited" — a failure only
where DANGJIAN_REQUIRE_AUDIT=1."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

PATH = Path(__file__).resolve().parents[1] / "tools" / "supply_chain.py"


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("supply_chain", PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fake(pip: dict, npm: dict):
    def run(args, **kwargs):
        out = pip if "pip-audit" in args[0] else npm
        return subprocess.CompletedProcess(args, 0, json.dumps(out), "")

    return run


VULN = {"id": "PYSEC-2099-1", "aliases": ["CVE-2099-1"], "fix_versions": ["9.9"]}
AUDITED = {"dependencies": [{"name": "django", "version": "5.2", "vulns": [VULN]}]}
UNREACHABLE = {"dependencies": [{"name": "django", "skip_reason": "not found on PyPI"}]}
NPM_OK = {"vulnerabilities": {}}


def test_a_known_vulnerability_fails(monkeypatch, capsys):
    tool = _tool()
    monkeypatch.setattr(tool.subprocess, "run", _fake(AUDITED, NPM_OK))
    assert tool.main() == 1
    assert "PYSEC-2099-1" in capsys.readouterr().out
    tool.ALLOWED["CVE-2099-1"] = "the vulnerable function is never called"
    assert tool.main() == 0


def test_an_unreachable_service_is_not_audited_not_safe(monkeypatch, capsys):
    tool = _tool()
    monkeypatch.setattr(tool.subprocess, "run", _fake(UNREACHABLE, {"error": {"code": "E405"}}))
    assert tool.main() == 0
    out = capsys.readouterr().out
    assert "pip-audit: NOT AUDITED" in out
    assert "npm audit: NOT AUDITED" in out
    monkeypatch.setenv("DANGJIAN_REQUIRE_AUDIT", "1")
    assert tool.main() == 1


@pytest.mark.parametrize(("severity", "code"), [("high", 1), ("moderate", 0)])
def test_npm_high_findings_fail(monkeypatch, severity, code):
    tool = _tool()
    npm = {"vulnerabilities": {"echarts": {"severity": severity, "via": [{"url": "GHSA-x"}]}}}
    monkeypatch.setattr(tool.subprocess, "run", _fake({"dependencies": []}, npm))
    assert tool.main() == code
