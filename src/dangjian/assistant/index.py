"""The BM25 index over the pieces of the documents in force (bm25s), kept on disk under
var/kb-index and in memory per process, rebuilt when the knowledge base's state token changes.

A change segments only the changed document (its pieces' tokens are stored); the BM25 matrix is
then rebuilt from the stored tokens of every piece, which takes about a second for 100,000 pieces.
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


@dataclass
class Loaded:
    token: str
    ids: np.ndarray  # piece id of each row of the matrix
    retriever: bm25s.BM25 | None
    vector_ids: np.ndarray | None = None  # pieces with an embedding, and their unit vectors
    vectors: np.ndarray | None = None


_current: Loaded | None = None


def _dir() -> Path:
    return Path(settings.VAR_DIR) / "kb-index"


def state_token() -> str:
    row = IndexState.objects.filter(pk=1).values_list("token", flat=True).first()
    return row or ""


def bump() -> None:
    """Mark the knowledge base changed (inside the writing transaction)."""
    IndexState.objects.update_or_create(pk=1, defaults={"token": uuid.uuid4().hex})


def _build(token: str) -> Loaded:
    rows = list(
        Piece.objects.filter(document__in_force=True)
        .exclude(tokens="")
        .order_by("id")
        .values_list("id", "tokens")
    )
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    if not rows:
        return Loaded(token, ids, None)
    retriever = bm25s.BM25()
    retriever.index([r[1].split(" ") for r in rows], show_progress=False)
    vector_ids, vectors = _vectors()
    _save(token, ids, retriever, vector_ids, vectors)
    return Loaded(token, ids, retriever, vector_ids, vectors)


def _save(
    token: str,
    ids: np.ndarray,
    retriever: bm25s.BM25,
    vector_ids: np.ndarray | None,
    vectors: np.ndarray | None,
) -> None:
    """Write the index into its own folder named by the token, renamed into place whole: several
    processes building the same token at once race harmlessly (the first rename wins, the others
    drop theirs), and a reader never sees parts of two builds. Older folders are removed."""
    root = _dir()
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{uuid.uuid4().hex}.tmp"
    try:
        retriever.save(str(tmp))
        np.save(tmp / "ids.npy", ids)
        if vectors is not None and vector_ids is not None:
            np.save(tmp / "vector_ids.npy", vector_ids)
            np.save(tmp / "vectors.npy", vectors)
        (tmp / "state.json").write_text(json.dumps({"token": token}))
        tmp.rename(root / token)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)  # another process saved this token first
        return
    for other in root.iterdir():
        if other.name != token and not other.name.startswith("."):
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
        )
    except (OSError, ValueError, KeyError):
        return None


def current() -> Loaded:
    """The index matching the knowledge base: from memory, else from disk, else rebuilt."""
    global _current
    token = state_token()
    loaded = _current
    if loaded is not None and loaded.token == token:
        return loaded
    with _LOCK:
        if _current is not None and _current.token == token:
            return _current
        _current = _load_disk(token) or _build(token)
        return _current


def search(query_tokens: list[str], k: int = 30) -> list[tuple[int, float]]:
    """(piece id, BM25 score) best first, only pieces that share a term with the query."""
    loaded = current()
    if loaded.retriever is None or not query_tokens:
        return []
    k = min(k, len(loaded.ids))
    docs, scores = loaded.retriever.retrieve([query_tokens], k=k, show_progress=False)
    return [
        (int(loaded.ids[d]), float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0
    ]


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
