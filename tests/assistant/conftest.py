from __future__ import annotations

from pathlib import Path

import pytest

from dangjian.assistant import services
from tests.assistant.fake_models import model_server  # noqa: F401 - a fixture for the tests here

DEMO = Path(__file__).resolve().parents[2] / "src" / "dangjian" / "demo" / "kb"


@pytest.fixture
def kb(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    docs = [
        services.document_load(actor=None, name=f.name, data=f.read_bytes())
        for f in sorted(DEMO.glob("*.md"))
    ]
    services.rules_index(actor=None, rules=services.registry_rules())
    return docs
