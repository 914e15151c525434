"""The production static storage (core/staticfiles.py): each name's URL is the manifest
storage's, looked up once per process."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from whitenoise.storage import CompressedManifestStaticFilesStorage

from dangjian.core import staticfiles
from dangjian.core.staticfiles import KeptManifestStaticFilesStorage


@pytest.fixture
def storage(tmp_path):
    (tmp_path / "staticfiles.json").write_text(
        json.dumps(
            {
                "version": "1.1",
                "hash": "0",
                "paths": {"css/app.css": "css/app.1a2b.css", "js/x.js": "js/x.9f.js"},
            }
        )
    )
    return KeptManifestStaticFilesStorage(location=str(tmp_path), base_url="/static/")


def test_urls_are_the_manifest_storages(storage):
    assert storage.url("css/app.css") == "/static/css/app.1a2b.css"
    assert storage.url("js/x.js") == "/static/js/x.9f.js"
    assert storage.url("css/app.css") == "/static/css/app.1a2b.css"


def test_each_name_is_looked_up_once(storage):
    parent = CompressedManifestStaticFilesStorage.url
    with mock.patch.object(
        CompressedManifestStaticFilesStorage, "url", autospec=True, side_effect=parent
    ) as spy:
        for _ in range(3):
            storage.url("css/app.css")
            storage.url("js/x.js")
    assert spy.call_count == 2


def test_unknown_name_raises_every_time(storage):
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("css/none.css")
    assert storage._kept_urls == {}


def test_bound(storage, monkeypatch):
    monkeypatch.setattr(staticfiles, "LIMIT", 1)
    storage.url("css/app.css")
    storage.url("js/x.js")
    assert list(storage._kept_urls) == ["js/x.js"]
