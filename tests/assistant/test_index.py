"""The BM25 index (issue 17): the matrix computed here is the one bm25s builds, and a changed
document is applied to the index in hand with the same result as a full build."""

from __future__ import annotations

import random

import bm25s
import numpy as np
import pytest

from dangjian.assistant import index, services
from dangjian.assistant.answer import ask

pytestmark = pytest.mark.django_db

WORDS = "党支部 党员大会 党小组 党费 主题党日 预备党员 组织关系 介绍信 学时 转正 谈心谈话".split()


def _scores(loaded: index.Loaded) -> dict[tuple[int, str], float]:
    """{(piece id or row, term): score} of an index."""
    r = loaded.retriever
    assert r is not None
    names = {i: w for w, i in r.vocab_dict.items()}
    indptr, rows, data = r.scores["indptr"], r.scores["indices"], r.scores["data"]
    out = {}
    for col in range(len(indptr) - 1):
        for k in range(indptr[col], indptr[col + 1]):
            out[(int(loaded.ids[rows[k]]), names[col])] = float(data[k])
    return out


def _same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key, value in a.items():
        assert value == pytest.approx(b[key], rel=1e-5), key


def test_the_matrix_is_the_one_bm25s_builds():
    rng = random.Random(7)
    docs = [[rng.choice(WORDS) for _ in range(rng.randint(1, 30))] for _ in range(300)]
    expected = bm25s.BM25()
    expected.index(docs, show_progress=False)
    vocab: dict[str, int] = {}
    terms, rows, tf, lens = index._postings(
        [(i, " ".join(d)) for i, d in enumerate(docs)], vocab, 0
    )
    ours = index._matrix("t", np.arange(len(docs)), terms, rows, tf, lens, vocab)
    theirs = index.Loaded("t", np.arange(len(docs)), expected)
    _same(_scores(ours), _scores(theirs))
    query = ["党费", "转正", "没有的词"]
    got = ours.retriever.retrieve([query], k=10, show_progress=False)
    want = expected.retrieve([query], k=10, show_progress=False)
    assert np.allclose(got[1], want[1], rtol=1e-5)


def _regulation(rng: random.Random, n: int) -> str:
    lines = ["示范规定", "第一章 总则"]
    for a in range(1, n + 1):
        body = "，".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))
        lines.append(f"第{'一二三四五六七八九十'[a - 1]}条 {body}。")
    return "\n".join(lines)


def test_a_changed_document_is_applied_not_rebuilt(kb, monkeypatch):
    rng = random.Random(3)
    services.document_load(actor=None, name="a.txt", data=_regulation(rng, 10).encode())
    before = index.current()
    builds = []
    real_build = index._build
    monkeypatch.setattr(index, "_build", lambda token: builds.append(token) or real_build(token))

    # a new version of the document (same file name): ten pieces leave, ten arrive, new terms
    text = _regulation(rng, 10).replace("党费", "党费基数")
    services.document_load(actor=None, name="a.txt", data=text.encode())
    updated = index.current()
    assert builds == []  # applied to the index in hand
    assert updated.token != before.token
    full = real_build(updated.token)
    _same(_scores(updated), _scores(full))
    assert sorted(updated.ids.tolist()) == sorted(full.ids.tolist())
    q = ["党费基数", "转正"]
    ids_u, s_u = updated.retriever.retrieve([q], k=5, show_progress=False)
    ids_f, s_f = full.retriever.retrieve([q], k=5, show_progress=False)
    assert np.allclose(s_u, s_f, rtol=1e-5)
    assert [updated.ids[i] for i in ids_u[0]] == [full.ids[i] for i in ids_f[0]]
    assert ask(None, "党费基数怎么算").citations


def test_two_changes_since_the_index_in_hand_read_the_saved_index(kb, monkeypatch):
    index.current()
    rng = random.Random(5)
    services.document_load(actor=None, name="b.txt", data=_regulation(rng, 4).encode())
    services.document_load(actor=None, name="c.txt", data=_regulation(rng, 4).encode())
    updates = []
    monkeypatch.setattr(index, "_update", lambda prev, token: updates.append(token))
    loaded = index.current()  # the base is not the index in hand: built in full
    assert updates == []
    _same(_scores(loaded), _scores(index._build(loaded.token)))
