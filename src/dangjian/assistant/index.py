"""The BM25 index over the pieces of the documents in force, kept on disk under var/kb-index and in
memory per process, and brought up to date when the knowledge base's state token changes.

Scoring and retrieval are bm25s's (Lucene's BM25, k1 1.5, b 0.75). The score matrix is computed
here with numpy from term counts instead of by `BM25.index`, so that a change is applied rather
than rebuilt: the index keeps each posting's term count and each piece's length, and one changed
document (its pieces leave, its new version's pieces arrive) costs one pass of array arithmetic
over the postings instead of re-reading and re-counting every piece. The matrix is the one
`BM25.index` builds (tests/assistant/test_index.py compares them).

A change is applied incrementally when the index in hand is the state the change started from
(`IndexState.base`); otherwise (several changes since, another process's restart, a restore) the
index is read from disk or built in full. Pieces are never edited in place: a change adds pieces
and takes documents out of force, so the set of piece ids in force says what changed.
"""

from __future__ import annotations

import json
import shutil
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
from django.conf import settings
from django.db import transaction

from .models import IndexState, Piece

_LOCK = threading.Lock()
K1, B = 1.5, 0.75  # bm25s's defaults
INCREMENTAL_MAX = 20_000  # pieces arriving in one change above which a full build is cheaper
_CHUNK = 900  # ids per IN (…) clause


@dataclass
class Loaded:
    token: str
    ids: np.ndarray  # piece id of each row of the matrix
    retriever: bm25s.BM25 | None
    vector_ids: np.ndarray | None = None  # pieces with an embedding, and their unit vectors
    vectors: np.ndarray | None = None
    lens: np.ndarray | None = None  # tokens in each row
    tf: np.ndarray | None = None  # term count of each posting, aligned with the scores' data


_current: Loaded | None = None


def _dir() -> Path:
    return Path(settings.VAR_DIR) / "kb-index"


def state() -> tuple[str, str]:
    """(token, base): the knowledge base's state and the one its last change started from."""
    row = IndexState.objects.filter(pk=1).values_list("token", "base").first()
    return (row[0], row[1]) if row else ("", "")


def state_token() -> str:
    return state()[0]


def bump() -> None:
    """Mark the knowledge base changed (inside the writing transaction)."""
    token = uuid.uuid4().hex
    row = IndexState.objects.select_for_update().filter(pk=1).first()
    if row is None:
        IndexState.objects.create(pk=1, token=token, base="")
    else:
        row.base, row.token = row.token, token
        row.save(update_fields=["token", "base", "changed_at"])


def _in_force() -> np.ndarray:
    ids = (
        Piece.objects.filter(document__in_force=True)
        .exclude(tokens="")
        .order_by("id")
        .values_list("id", flat=True)
    )
    return np.fromiter(ids.iterator(chunk_size=20_000), dtype=np.int64)


def _postings(
    rows: list[tuple[int, str]], vocab: dict[str, int], first_row: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Term postings of `rows` (piece id, space-separated tokens), numbered from `first_row`,
    adding unseen terms to `vocab`: (term, row, count) sorted by term then row, and each row's
    length."""
    terms: list[int] = []
    lens = np.empty(len(rows), dtype=np.int64)
    for i, (_pk, toks) in enumerate(rows):
        words = toks.split(" ")
        lens[i] = len(words)
        terms.extend([vocab.setdefault(w, len(vocab)) for w in words])
    t = np.asarray(terms, dtype=np.int64)
    r = np.repeat(np.arange(first_row, first_row + len(rows), dtype=np.int64), lens)
    keys, counts = np.unique(t * (first_row + len(rows)) + r, return_counts=True)
    return (
        (keys // (first_row + len(rows))).astype(np.int32),
        (keys % (first_row + len(rows))).astype(np.int32),
        counts.astype(np.float32),
        lens,
    )


def _matrix(
    token: str,
    ids: np.ndarray,
    terms: np.ndarray,
    rows: np.ndarray,
    tf: np.ndarray,
    lens: np.ndarray,
    vocab: dict[str, int],
) -> Loaded:
    """The BM25 scores of postings sorted by term, as bm25s holds them (CSC: one column per
    term), with Lucene's idf and term-frequency component."""
    n = len(ids)
    df = np.bincount(terms, minlength=len(vocab))
    idf = np.log1p((n - df + 0.5) / (df + 0.5))
    idf[df == 0] = 0.0
    tfc = tf / (K1 * ((1 - B) + B * lens[rows] / lens.mean()) + tf)
    retriever = bm25s.BM25(k1=K1, b=B)
    retriever.vocab_dict = vocab
    retriever.unique_token_ids_set = set(vocab.values())
    retriever.nonoccurrence_array = None
    retriever.scores = {
        "data": (idf[terms] * tfc).astype(np.float32),
        "indices": rows.astype(np.int32),
        "indptr": np.concatenate([[0], np.cumsum(df)]).astype(np.int64),
        "num_docs": n,
    }
    return Loaded(token, ids, retriever, lens=lens, tf=tf)


def _tokens(ids: np.ndarray) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK].tolist()
        out.extend(Piece.objects.filter(pk__in=chunk).order_by("id").values_list("id", "tokens"))
    return out


def _build(token: str) -> Loaded:
    rows = list(
        Piece.objects.filter(document__in_force=True)
        .exclude(tokens="")
        .order_by("id")
        .values_list("id", "tokens")
        .iterator(chunk_size=20_000)
    )
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    if not rows:
        return Loaded(token, ids, None)
    vocab: dict[str, int] = {}
    terms, rws, tf, lens = _postings(rows, vocab, 0)
    loaded = _matrix(token, ids, terms, rws, tf, lens, vocab)
    loaded.vector_ids, loaded.vectors = _vectors()
    _save(loaded)
    return loaded


def _update(prev: Loaded, token: str) -> Loaded | None:
    """`prev` brought to `token` by the difference of the pieces in force; None when a full build
    is the better way (nothing to start from, or most of the index changed)."""
    if prev.retriever is None or prev.lens is None or prev.tf is None:
        return None
    now = _in_force()
    keep = np.isin(prev.ids, now, assume_unique=True)
    added = np.setdiff1d(now, prev.ids, assume_unique=True)
    if len(added) > INCREMENTAL_MAX or not len(now):
        return None
    scores = prev.retriever.scores
    indptr, indices = scores["indptr"], scores["indices"]
    vocab = dict(prev.retriever.vocab_dict)
    terms = np.repeat(np.arange(len(indptr) - 1, dtype=np.int32), np.diff(indptr))
    kept = keep[indices]
    renumber = (np.cumsum(keep) - 1).astype(np.int32)
    terms, rows, tf = terms[kept], renumber[indices[kept]], prev.tf[kept]
    first = int(keep.sum())
    new_rows = _tokens(added)
    n_terms, n_rows, n_tf, n_lens = _postings(new_rows, vocab, first)
    at = np.searchsorted(terms, n_terms, side="right")
    loaded = _matrix(
        token,
        np.concatenate([prev.ids[keep], np.array([r[0] for r in new_rows], dtype=np.int64)]),
        np.insert(terms, at, n_terms),
        np.insert(rows, at, n_rows),
        np.insert(tf, at, n_tf),
        np.concatenate([prev.lens[keep], n_lens]),
        vocab,
    )
    loaded.vector_ids, loaded.vectors = _vectors_update(prev, now, added)
    _save(loaded)
    return loaded


def _save(loaded: Loaded) -> None:
    """Write the index into its own folder named by the token, renamed into place whole: several
    processes building the same token at once race harmlessly (the first rename wins, the others
    drop theirs), and a reader never sees parts of two builds. Older folders are removed."""
    if loaded.retriever is None or loaded.lens is None or loaded.tf is None:
        return
    root = _dir()
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{uuid.uuid4().hex}.tmp"
    try:
        loaded.retriever.save(str(tmp))
        np.save(tmp / "ids.npy", loaded.ids)
        np.save(tmp / "lens.npy", loaded.lens)
        np.save(tmp / "tf.npy", loaded.tf)
        if loaded.vectors is not None and loaded.vector_ids is not None:
            np.save(tmp / "vector_ids.npy", loaded.vector_ids)
            np.save(tmp / "vectors.npy", loaded.vectors)
        (tmp / "state.json").write_text(json.dumps({"token": loaded.token}))
        tmp.rename(root / loaded.token)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)  # another process saved this token first
        return
    for other in root.iterdir():
        if other.name != loaded.token and not other.name.startswith("."):
            shutil.rmtree(other, ignore_errors=True)


def _vectors() -> tuple[np.ndarray | None, np.ndarray | None]:
    """The in-force pieces' embeddings as unit vectors (None when no piece has one)."""
    rows = [
        (pk, bytes(v or b""))
        for pk, v in Piece.objects.filter(document__in_force=True, vector__isnull=False)
        .order_by("id")
        .values_list("id", "vector")
        .iterator(chunk_size=2000)
    ]
    if not rows:
        return None, None
    dim = len(rows[0][1]) // 4
    rows = [r for r in rows if len(r[1]) == dim * 4]  # a model changed mid-way: keep one size
    matrix = np.frombuffer(b"".join(v for _, v in rows), dtype=np.float32).reshape(-1, dim)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.array([pk for pk, _ in rows], dtype=np.int64), matrix / np.maximum(norms, 1e-9)


def _vectors_update(
    prev: Loaded, now: np.ndarray, added: np.ndarray
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """`prev`'s embeddings without the pieces that left, with those of the pieces that arrived."""
    arrived: list[tuple[int, bytes]] = []
    for i in range(0, len(added), _CHUNK):
        arrived.extend(
            (pk, bytes(v or b""))
            for pk, v in Piece.objects.filter(
                pk__in=added[i : i + _CHUNK].tolist(), vector__isnull=False
            )
            .order_by("id")
            .values_list("id", "vector")
        )
    if prev.vectors is None or prev.vector_ids is None:
        return _vectors() if arrived else (None, None)
    keep = np.isin(prev.vector_ids, now, assume_unique=True)
    ids, matrix = prev.vector_ids[keep], prev.vectors[keep]
    dim = matrix.shape[1]
    arrived = [(pk, v) for pk, v in arrived if len(v) == dim * 4]
    if arrived:
        more = np.frombuffer(b"".join(v for _, v in arrived), dtype=np.float32).reshape(-1, dim)
        more = more / np.maximum(np.linalg.norm(more, axis=1, keepdims=True), 1e-9)
        ids = np.concatenate([ids, np.array([pk for pk, _ in arrived], dtype=np.int64)])
        matrix = np.concatenate([matrix, more])
    return (ids, matrix) if len(ids) else (None, None)


def _load_disk(token: str) -> Loaded | None:
    target = _dir() / token
    if not token or not target.is_dir():
        return None
    try:
        saved = json.loads((target / "state.json").read_text())
        if saved.get("token") != token:
            return None
        vids = target / "vector_ids.npy"
        return Loaded(
            token,
            np.load(target / "ids.npy"),
            bm25s.BM25.load(str(target)),
            np.load(vids) if vids.exists() else None,
            np.load(target / "vectors.npy") if vids.exists() else None,
            np.load(target / "lens.npy"),
            np.load(target / "tf.npy"),
        )
    except (OSError, ValueError, KeyError):
        return None


def current() -> Loaded:
    """The index matching the knowledge base: from memory, brought up to date from the state the
    last change started from, else from disk, else built."""
    global _current
    token, base = state()
    loaded = _current
    if loaded is not None and loaded.token == token:
        return loaded
    with _LOCK:
        prev = _current
        if prev is not None and prev.token == token:
            return prev
        fresh = _load_disk(token)
        if fresh is None and prev is not None and base and prev.token == base:
            fresh = _update(prev, token)
        _current = fresh or _build(token)
        return _current


def search(query_tokens: list[str], k: int = 30) -> list[tuple[int, float]]:
    """(piece id, BM25 score) best first, only pieces that share a term with the query."""
    loaded = current()
    if loaded.retriever is None or not query_tokens:
        return []
    # bm25s's scores of every piece; the best k among those sharing a term (a selection over
    # the few non-zero scores instead of bm25s's over all of them: ~10× faster at 100,000 pieces)
    scores = loaded.retriever.get_scores(query_tokens)
    hit = np.flatnonzero(scores > 0)
    if len(hit) > k:
        hit = hit[np.argpartition(-scores[hit], k - 1)[:k]]
    hit = hit[np.lexsort((hit, -scores[hit]))]  # best first, ties in index order
    return [(int(loaded.ids[d]), float(scores[d])) for d in hit]


def nearest(query_vector: list[float], k: int = 30) -> list[tuple[int, float]]:
    """(piece id, cosine similarity) best first, from the pieces' embeddings."""
    loaded = current()
    if loaded.vectors is None or loaded.vector_ids is None:
        return []
    q = np.asarray(query_vector, dtype=np.float32)
    if q.shape[0] != loaded.vectors.shape[1]:
        return []
    q = q / max(float(np.linalg.norm(q)), 1e-9)
    sims = loaded.vectors @ q
    k = min(k, len(sims))
    top = np.argpartition(-sims, k - 1)[:k]
    top = top[np.argsort(-sims[top])]
    return [(int(loaded.vector_ids[i]), float(sims[i])) for i in top]


def fuse(*rankings: list[tuple[int, float]], k: int = 60) -> list[tuple[int, float]]:
    """Reciprocal rank fusion of several rankings of piece ids."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, (pid, _score) in enumerate(ranking, 1):
            scores[pid] = scores.get(pid, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda x: -x[1])


def idf(query_tokens: list[str]) -> dict[str, float]:
    """Each term's inverse document frequency in the index; a term no piece contains gets the
    highest (it is the most telling that nothing answers)."""
    loaded = current()
    n = len(loaded.ids)
    if loaded.retriever is None:
        return dict.fromkeys(query_tokens, 1.0)
    vocab = loaded.retriever.vocab_dict
    indptr = loaded.retriever.scores["indptr"]
    out = {}
    for t in query_tokens:
        i = vocab.get(t)
        df = int(indptr[i + 1] - indptr[i]) if i is not None else 0
        out[t] = float(np.log(1 + (n - df + 0.5) / (df + 0.5)))
    return out


def rebuild() -> Loaded:
    """Rebuild now (the `kb reindex` command, after a restore)."""
    global _current
    with transaction.atomic():
        bump()
    with _LOCK:
        _current = _build(state_token())
        return _current
