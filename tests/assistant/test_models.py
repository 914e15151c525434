"""The optional model servers (issue 17): a chat model writes a short answer only from the
retrieved passages (an answer citing anything else is discarded), embeddings add hybrid ranking;
a slow or failing server never shows: the answer is made without it."""

from __future__ import annotations

import pytest

from dangjian.assistant import index, services
from dangjian.assistant.answer import ask, checked
from dangjian.assistant.models import Piece
from tests.assistant.fake_models import Handler, bigram_vector

pytestmark = pytest.mark.django_db
RULES = """示范条例
第一条 党支部每季度召开一次党员大会。
第二条 党小组每月召开一次党小组会。
第三条 支部委员会每月召开一次会议。
"""


def _load() -> None:
    services.document_load(actor=None, name="r.txt", data=RULES.encode())


def test_the_chat_model_answers_from_the_passages_with_citations(model_server, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.LLM_URL = f"{model_server}/ok/v1"
    _load()
    a = ask(None, "党员大会多久开一次")
    assert a.composed
    assert a.answer == "根据规定，党支部每季度召开一次党员大会。[1]"
    assert a.citations[0].article == "第一条"
    assert any(c.endswith("/chat/completions") for c in Handler.calls)


@pytest.mark.parametrize("mode", ["rogue", "slow", "fail"])
def test_a_bad_slow_or_failing_model_falls_back_to_the_passages(
    model_server,
    settings,
    tmp_path,
    mode,
):
    settings.VAR_DIR = tmp_path
    settings.LLM_URL = f"{model_server}/{mode}/v1"
    settings.MODEL_TIMEOUT = 0.5
    _load()
    a = ask(None, "党员大会多久开一次")
    assert not a.composed
    assert a.kind == "knowledge"
    assert "党支部每季度召开一次党员大会" in a.answer


def test_the_answer_check():
    assert checked("党员大会每季度一次。[1]", 3) == "党员大会每季度一次。[1]"
    assert checked("党员大会每季度一次。", 3) is None  # a sentence without a source
    assert checked("党员大会每季度一次。[4]", 3) is None  # a source it was not given
    assert checked("无法回答", 3) is None


def test_embeddings_are_stored_and_fused_with_bm25(model_server, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.EMBED_URL = f"{model_server}/ok/v1"
    _load()
    assert Piece.objects.exclude(vector=None).count() == Piece.objects.count()
    near = index.nearest(bigram_vector("党小组每月召开党小组会"))
    assert Piece.objects.get(pk=near[0][0]).article == "第二条"
    a = ask(None, "党小组会多久开一次")
    assert a.citations[0].article == "第二条"
    # the embeddings server down: BM25 alone still answers
    settings.EMBED_URL = f"{model_server}/fail/v1"
    assert ask(None, "党小组会多久开一次").citations[0].article == "第二条"


def test_a_changed_document_brings_its_embeddings_to_the_index_in_hand(
    model_server, settings, tmp_path, monkeypatch
):
    settings.VAR_DIR = tmp_path
    settings.EMBED_URL = f"{model_server}/ok/v1"
    _load()
    before = index.current()
    assert before.vectors is not None
    monkeypatch.setattr(index, "_build", lambda token: pytest.fail("rebuilt in full"))
    services.document_load(
        actor=None,
        name="vol.txt",
        data="志愿服务办法\n党员每年参加志愿服务不少于二十小时。".encode(),
    )
    loaded = index.current()
    new = Piece.objects.get(text__contains="志愿服务不少于二十小时")
    assert new.pk in loaded.vector_ids.tolist()
    assert len(loaded.vector_ids) == len(before.vector_ids) + 1
    assert index.nearest(bigram_vector("党员每年参加志愿服务不少于二十小时"))[0][0] == new.pk
